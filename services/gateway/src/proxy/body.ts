import { Transform } from 'node:stream';
import { HttpProblem } from '@platform/http';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export const tooLarge = (limit: number) =>
  new HttpProblem(413, `The request body is larger than ${limit} bytes.`);

/**
 * Bodies are never parsed here: each one streams to the service, which validates it. The route's
 * `bodyLimit` is still enforced, from Content-Length at once, or by counting a chunked body as
 * it passes (the service then sees it cut off, and the client a 413).
 */
export function streamBodies(app: FastifyInstance) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request: FastifyRequest, payload, done) => {
    const limit = request.routeOptions.bodyLimit ?? Number.POSITIVE_INFINITY;
    const declared = request.headers['content-length'];
    if (declared !== undefined) {
      // Node's parser already holds a body to its declared length.
      return Number(declared) > limit ? done(tooLarge(limit), undefined) : done(null, payload);
    }
    let size = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > limit) {
          request.bodyTooLarge = true;
          return callback(tooLarge(limit));
        }
        callback(null, chunk);
      },
    });
    payload.on('error', (error) => counted.destroy(error));
    done(null, payload.pipe(counted));
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** A chunked body went past the route's limit on its way through. */
    bodyTooLarge?: boolean;
  }
}
