import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { HttpProblem } from './problem-class.ts';

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

const WRITES = new Set(['PUT', 'PATCH', 'DELETE']);

/** What the read made on a change's behalf carries of the caller's request: who is asking. */
const AS_THE_CALLER = ['authorization', 'cookie', 'accept-language'] as const;

/**
 * Marks the read made on a change's behalf, so the request metrics count the change alone (it
 * was a phantom GET of the URL in http_request_duration_seconds for every conditional change): a
 * random value of this process, which no client can send.
 */
const OWN_READ_HEADER = 'x-platform-own-read';
const OWN_READ = randomBytes(18).toString('base64url');

/** The request is the read a conditional change made of its URL (registerConditionalWrites). */
export function isOwnRead(request: FastifyRequest): boolean {
  return request.headers[OWN_READ_HEADER] === OWN_READ;
}

/**
 * RFC 9110 §13.1.1 If-Match on every change to a URL that also has a JSON read (`PATCH /user`
 * after `GET /user`), as conditional requests promise end to end; it was ignored, so a client
 * holding a stale copy overwrote a newer one without knowing. The current version is the ETag
 * that read answers the same caller now (compared weakly, as main's posts do: NGINX's gzip
 * weakens every tag it compresses); `*` holds when the read answers 200. No match: 412
 * `version_conflict`, after the route's own checks (a 401 or 403 comes first) and before its
 * handler. A route that honours If-Match itself (an `if-match` header in its schema, main's posts
 * within their transaction) is left alone, and so is a change with no read at its URL, registered
 * before it, which has no version to hold it to. Not atomic: a change committed between the read
 * and this one goes unseen, which a route with a version of its own closes in its transaction.
 */
export function registerConditionalWrites(app: FastifyInstance) {
  const reads = new Set<string>();
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    // A route that reads and writes alike (the gateway's catch-all) passes requests on: the
    // service behind it holds them to its versions.
    if (methods.includes('GET')) {
      reads.add(route.url);
      return;
    }
    if (!methods.some((m) => WRITES.has(m)) || !reads.has(route.url)) return;
    const headers = route.schema?.headers as { properties?: Record<string, unknown> } | undefined;
    if (headers?.properties?.['if-match'] !== undefined) return;
    if (route.schema) {
      const errors = (route.schema.errors as string[] | undefined) ?? [];
      route.schema = { ...route.schema, errors: [...new Set([...errors, 'version_conflict'])] };
    }
    route.preHandler = [route.preHandler ?? []].flat().concat(ifMatchHolds);
  });
}

const ifMatchHolds: preHandlerAsyncHookHandler = async (request: FastifyRequest, reply) => {
  const ifMatch = request.headers['if-match'];
  if (ifMatch === undefined) return;
  // Its log lines under the change's request id: they belong to it.
  const headers: Record<string, string | string[]> = {
    'x-request-id': request.id,
    [OWN_READ_HEADER]: OWN_READ,
  };
  for (const name of AS_THE_CALLER) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const read = await request.server.inject({ method: 'GET', url: request.url, headers });
  // The version could not be read (the database is down): the precondition is not known to hold,
  // so the change must not go ahead as if it did, as it did when every non-200 was let through.
  if (read.statusCode >= 500) {
    reply.header('retry-after', String(read.headers['retry-after'] ?? '5'));
    throw new HttpProblem(
      503,
      'The current version could not be read to check If-Match; try again.',
      { code: 'service_unavailable' },
    );
  }
  // Not there, or not the caller's to see: the change answers that itself.
  if (read.statusCode !== 200) return;
  const etag = read.headers.etag;
  if (typeof etag === 'string' && isNotModified(ifMatch, etag)) return;
  throw new HttpProblem(
    412,
    'The resource has changed since you read it; read it again and reapply your change.',
    { code: 'version_conflict' },
  );
};
