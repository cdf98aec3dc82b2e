import { HttpProblem } from '@platform/http';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export const tooLarge = (limit: number) =>
  new HttpProblem(413, `The request body is larger than ${limit} bytes.`);

const stalled = (ms: number) =>
  new HttpProblem(408, `The request body stopped arriving for ${ms} ms.`);

const busy = () =>
  new HttpProblem(503, 'Too many request bodies are arriving at once; try again shortly.', {
    headers: { 'retry-after': '1' },
  });

export interface BodyOptions {
  /** The longest silence inside a body before the request is given up with a 408. */
  idleMs: number;
  /** Bytes of bodies held at once across all requests; one that would pass it is a 503. */
  totalBytes: number;
}

/**
 * Every body is read whole, up to its route's `bodyLimit`, before an instance is picked: a client
 * that sends part of one and goes silent then holds one of its own sockets, never a connection to
 * a service (which it did while bodies streamed through). Bodies are not parsed here; each service
 * validates its own. What they hold in memory together is bounded by `totalBytes`.
 */
export function bufferBodies(app: FastifyInstance, options: BodyOptions) {
  let held = 0;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request: FastifyRequest, payload, done) => {
    const limit = request.routeOptions.bodyLimit ?? Number.POSITIVE_INFINITY;
    // Node's parser already holds a body to its declared length.
    if (Number(request.headers['content-length']) > limit) return done(tooLarge(limit), undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error: Error | null, body?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      payload.removeListener('data', onData);
      // Whatever else comes is read and dropped (see @platform/http's wire rules), not kept.
      if (error) payload.resume();
      done(error, body);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      held += chunk.length;
      request.heldBytes = size;
      timer.refresh();
      if (size > limit) settle(tooLarge(limit));
      else if (held > options.totalBytes) settle(busy());
      else chunks.push(chunk);
    };
    const timer = setTimeout(() => settle(stalled(options.idleMs)), options.idleMs);
    payload.on('data', onData);
    payload.once('end', () => settle(null, Buffer.concat(chunks, size)));
    payload.once('error', (error) => settle(error));
  });
  const release = (request: FastifyRequest) => {
    held -= request.heldBytes;
    request.heldBytes = 0;
  };
  app.decorateRequest('heldBytes', 0);
  app.addHook('onResponse', (request, _reply, done) => {
    if (request.heldBytes) release(request);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    if (request.heldBytes) release(request);
    done();
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Bytes of this request's body counted against the total held in memory. */
    heldBytes: number;
  }
}
