import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/** One entity tag in a list, or `*`; a comma inside quotes belongs to its tag. */
const ENTITY_TAG = /\*|(?:W\/)?"[^"]*"/g;

const opaque = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);

/**
 * RFC 9110 §13.1.2 If-None-Match: true when `*` or any listed tag matches `etag` by weak
 * comparison (a `W/` on either side is ignored), so the answer is a 304.
 */
export function isNotModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const current = opaque(etag);
  for (const [tag] of ifNoneMatch.matchAll(ENTITY_TAG)) {
    if (tag === '*' || opaque(tag) === current) return true;
  }
  return false;
}

/**
 * A weak ETag (a hash of the bytes) on every 200 JSON answer to a GET or HEAD that set none of its
 * own, so `If-None-Match` is a 304 on any read, as conditional requests promise end to end.
 * Routes with a version of their own (a post) set a strong tag first and keep it. Weak: the same
 * bytes, not a version, so the gateway's shared cache, which keeps only strong tags, ignores it.
 * Registered before the wire rules, which take the body off the 304.
 */
export function registerConditionalReads(app: FastifyInstance) {
  app.addHook('onSend', (request, reply, payload, done) => {
    if (
      (request.method === 'GET' || request.method === 'HEAD') &&
      reply.statusCode === 200 &&
      !reply.hasHeader('etag') &&
      (typeof payload === 'string' || Buffer.isBuffer(payload)) &&
      String(reply.getHeader('content-type') ?? '').startsWith('application/json')
    ) {
      const etag = `W/"${createHash('sha1').update(payload).digest('base64url')}"`;
      reply.header('etag', etag);
      if (isNotModified(request.headers['if-none-match'], etag)) reply.code(304);
    }
    done(null, payload);
  });
}
