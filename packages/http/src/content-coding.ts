import { PassThrough, type Readable } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest, preParsingHookHandler } from 'fastify';
import { HttpProblem, problems } from './problem.ts';

const ACCEPTED = 'gzip, deflate';

/** Methods whose body Fastify never reads (its `bodyless` ones). */
const BODYLESS = new Set(['GET', 'HEAD', 'TRACE']);

/** Whether the request carries a body Fastify will parse (as its handleRequest decides). */
const carriesBody = (request: FastifyRequest) => {
  if (BODYLESS.has(request.method)) return false;
  const length = request.headers['content-length'];
  return (
    request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  );
};

/** `identity` (or nothing), alone or repeated: the body is as it is (RFC 9110 §8.4.1). */
const noCoding = (header: string) =>
  header.split(',').every((coding) => {
    const name = coding.trim().toLowerCase();
    return name === '' || name === 'identity';
  });

/**
 * Every route but those that decode a content coding themselves (decodeContentCoding) takes its
 * body as it is: one sent with `Content-Encoding: gzip` (br, deflate, anything but `identity`) is
 * refused before it is read, 415 with `Accept-Encoding: identity` (RFC 9110 §15.5.16, RFC 7694
 * §3), so the client knows to send it uncompressed. It was parsed as it came, compressed, and
 * refused as a 400 "not valid UTF-8" (or taken, had the bytes happened to parse).
 */
export function refuseContentCodings(app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    const own = [route.preParsing ?? []].flat() as preParsingHookHandler[];
    if (own.includes(decodeContentCoding)) return;
    route.preParsing = [refuseContentCoding, ...own];
  });
}

function refuseContentCoding(
  request: FastifyRequest,
  _reply: FastifyReply,
  payload: Readable,
  done: (error: Error | null, payload?: Readable) => void,
) {
  const coding = request.headers['content-encoding'];
  if (coding === undefined || noCoding(coding) || !carriesBody(request)) {
    done(null, payload);
    return;
  }
  // The detail does not echo the header: a client's bytes are not written into answers.
  done(
    new HttpProblem(
      415,
      'This route takes the body as it is: send it without a Content-Encoding.',
      {
        headers: { 'accept-encoding': 'identity' },
      },
    ),
  );
}

/**
 * A `preParsing` hook for routes whose clients compress what they send (`Content-Encoding: gzip`
 * or `deflate`, RFC 9110 §8.4): Segment's mobile libraries and RudderStack's Node SDK
 * gzip every batch. The route's `bodyLimit` counts the decoded bytes (Fastify checks what this
 * stream yields), so a small compressed body cannot unfold past it: 413 as for any large body.
 * A body that is not valid in its coding is a 400; another coding a 415 naming the accepted ones
 * in `Accept-Encoding` (RFC 7694).
 */
export async function decodeContentCoding(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: Readable,
): Promise<Readable> {
  const coding = request.headers['content-encoding']?.trim().toLowerCase();
  if (!coding || coding === 'identity') return payload;
  const decoder =
    coding === 'gzip' || coding === 'x-gzip'
      ? createGunzip()
      : coding === 'deflate'
        ? createInflate()
        : undefined;
  if (!decoder) {
    // The detail does not echo the header: a client's bytes are not written into answers.
    throw new HttpProblem(
      415,
      `This Content-Encoding is not supported; send ${ACCEPTED} or none.`,
      {
        headers: { 'accept-encoding': ACCEPTED },
      },
    );
  }
  // What Fastify reads. Its length check compares Content-Length with `receivedEncodedLength`,
  // the bytes that came off the wire; a zlib error becomes a problem naming no internals.
  const decoded = new PassThrough() as PassThrough & { receivedEncodedLength: number };
  decoded.receivedEncodedLength = 0;
  // Fastify stops listening once it has refused the body (413 past the limit): an error after
  // that (the rest of the body not valid in its coding) had no listener, so it was thrown and
  // ended the process.
  decoded.on('error', () => {});
  payload.on('data', (chunk: Buffer) => {
    decoded.receivedEncodedLength += chunk.length;
  });
  payload.on('error', (err) => decoded.destroy(err));
  decoder.on('error', () =>
    decoded.destroy(problems.badRequest(`The body is not valid ${coding} data.`)),
  );
  payload.pipe(decoder).pipe(decoded);
  // Once the answer is out, what is left of the body is read as it is (then dropped: wire.ts),
  // no longer inflated. A refusal only made Fastify stop listening, and a body refused as too
  // large was then read to its end through the decoder: a few hundred KB on the wire inflated
  // hundreds of MB after the 413 (one that never ends, until the request timeout).
  reply.raw.once('finish', () => {
    if (payload.readableEnded) return;
    payload.unpipe(decoder);
    decoder.destroy();
    payload.resume();
  });
  return decoded;
}
