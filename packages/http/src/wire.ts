import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The most of a refused body read and thrown away so that its client can read the refusal. */
const DRAIN_BYTES = 16 * 1024 * 1024;
/** The longest silence while doing so. */
const DRAIN_IDLE_MS = 5000;

/**
 * Two HTTP/1.1 rules a route cannot break by accident:
 *
 * - A 304 or 204 has no body and so no content-length: a route's `send(null)` is serialized as
 *   "null", and a proxy (undici, the gateway) takes the resulting `content-length: 4` with no body
 *   for a broken answer. So is a HEAD's, which Fastify would otherwise fail with a 500.
 * - A body refused before it was read (413 too large, 415 unsupported type) is still read to its
 *   end, up to a bound, before the connection is reused or closed. Fastify closes at once, and
 *   closing a socket with unread data sends a reset that destroys the answer at clients that send
 *   their whole request before reading (RFC 9112 §9.6): they saw EPIPE, the gateway a 502.
 */
export function registerWireRules(app: FastifyInstance) {
  app.addHook('onSend', (request, reply, payload, done) => {
    const status = reply.statusCode;
    if (status === 304 || status === 204) {
      reply.removeHeader('content-length');
      reply.removeHeader('content-type');
      // Fastify's own HEAD handler runs after this hook and cannot take null (a 500); a payload it
      // can measure would give it a content-length. An empty stream it drains, setting none.
      done(null, request.method === 'HEAD' ? Readable.from([]) : null);
      return;
    }
    if ((status === 413 || status === 415) && !request.raw.complete) drainInstead(request, reply);
    done(null, payload);
  });
}

function drainInstead(request: FastifyRequest, reply: FastifyReply) {
  // Fastify asked for a close; a body this large is not worth reading, so the close stands.
  if (Number(request.headers['content-length']) > DRAIN_BYTES) return;
  // Kept open (also when the client asked for a close) until the client, having read the answer
  // and sent the rest, closes or sends its next request. Node reads and drops the rest of an
  // unfinished request once the answer is out; bound that.
  reply.removeHeader('connection');
  reply.raw.shouldKeepAlive = true;
  reply.raw.once('finish', () => {
    const { raw } = request;
    if (raw.complete) return;
    const socket = raw.socket;
    // app.inject's requests have no real socket (no destroy): nothing to drain or close.
    if (typeof socket?.destroy !== 'function') return;
    let read = 0;
    // Unref'd, and cleared with the socket too: a server closed meanwhile (its connections
    // destroyed) did not emit the request's `close`, and the timer held the process for 5 s.
    const idle = setTimeout(() => socket.destroy(), DRAIN_IDLE_MS).unref();
    raw.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > DRAIN_BYTES) socket.destroy();
      else idle.refresh();
    });
    // The socket's listener goes with the timer: a kept-alive connection (the gateway's pool)
    // would otherwise gather one per refused body for as long as it lives.
    const stop = () => {
      clearTimeout(idle);
      socket.off('close', stop);
    };
    raw.once('end', stop);
    raw.once('close', stop);
    socket.once('close', stop);
  });
}
