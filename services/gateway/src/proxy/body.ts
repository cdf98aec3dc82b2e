import type { ServerResponse } from 'node:http';
import { addressBlock, HttpProblem, problems } from '@platform/http';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export const tooLarge = (limit: number) =>
  new HttpProblem(413, `The request body is larger than ${limit} bytes.`);

const stalled = (ms: number) =>
  new HttpProblem(408, `The request body stopped arriving for ${ms} ms.`);

const overShare = () =>
  problems.tooManyRequests(
    1,
    'Too many request bodies are arriving from this address at once; try again shortly.',
  );

const busy = () =>
  new HttpProblem(503, 'Too many request bodies are arriving at once; try again shortly.', {
    headers: { 'retry-after': '1' },
  });

export interface BodyOptions {
  /** The longest silence inside a body before the request is given up with a 408. */
  idleMs: number;
  /** Bytes of bodies held at once across all requests; one that would pass it is a 503. */
  totalBytes: number;
  /** Of those, what one client address may hold; past it that address gets 429s, others go on. */
  perAddressBytes: number;
  /** Of an address's share, what its requests without a valid token may hold. */
  anonymousPerAddressBytes: number;
}

/**
 * Every body is read whole, up to its route's `bodyLimit`, before an instance is picked: a client
 * that sends part of one and goes silent then holds one of its own sockets, never a connection to
 * a service (which it did while bodies streamed through). Bodies are not parsed here; each service
 * validates its own. What they hold in memory together is bounded by `totalBytes`, and each client
 * address gets only a share of that (a smaller one for anonymous bodies, which anyone can send),
 * so that no one place can stall bodies until everyone else's are refused.
 */
export function bufferBodies(app: FastifyInstance, options: BodyOptions) {
  let held = 0;
  const byAddress = tally();
  const anonymousByAddress = tally();
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
      const address = addressBlock(request.ip);
      const mine = byAddress.add(address, chunk.length);
      const anonymous = request.principal ? 0 : anonymousByAddress.add(address, chunk.length);
      timer.refresh();
      if (size > limit) settle(tooLarge(limit));
      else if (mine > options.perAddressBytes || anonymous > options.anonymousPerAddressBytes) {
        settle(overShare());
      } else if (held > options.totalBytes) settle(busy());
      else chunks.push(chunk);
    };
    const timer = setTimeout(() => settle(stalled(options.idleMs)), options.idleMs);
    payload.on('data', onData);
    payload.once('end', () => settle(null, Buffer.concat(chunks, size)));
    payload.once('error', (error) => settle(error));
  });
  const release = (request: FastifyRequest) => {
    held -= request.heldBytes;
    const address = addressBlock(request.ip);
    byAddress.add(address, -request.heldBytes);
    if (!request.principal) anonymousByAddress.add(address, -request.heldBytes);
    request.heldBytes = 0;
  };
  app.decorateRequest('heldBytes', 0);
  app.addHook('onResponse', (request, _reply, done) => {
    if (request.heldBytes) release(request);
    done();
  });
  // A client that goes away once its body is read whole (waiting for its answer) is no abort to
  // Fastify, and its answer never finishes: given back when the answer's connection closes, or
  // its share (a whole body each) stayed taken for good, until that address, then every client,
  // had its bodies refused (429, 503).
  function releaseOnClose(this: BodyAnswer) {
    const request = this[bodyOf];
    this[bodyOf] = undefined;
    if (request?.heldBytes) release(request);
  }
  app.addHook('onRequest', (request, reply, done) => {
    const { headers } = request;
    if (headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined) {
      const answer = reply.raw as BodyAnswer;
      answer[bodyOf] = request;
      answer.once('close', releaseOnClose);
    }
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    if (request.heldBytes) release(request);
    done();
  });
}

const bodyOf = Symbol('bodyOf');
type BodyAnswer = ServerResponse & { [bodyOf]?: FastifyRequest | undefined };

/** Bytes per client address; an address holding none is forgotten. */
function tally() {
  const counts = new Map<string, number>();
  return {
    add(address: string, bytes: number): number {
      const count = (counts.get(address) ?? 0) + bytes;
      if (count > 0) counts.set(address, count);
      else counts.delete(address);
      return count;
    },
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Bytes of this request's body counted against the total held in memory. */
    heldBytes: number;
  }
}
