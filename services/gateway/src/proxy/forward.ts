import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import { requestHeaders, responseHeaders } from './headers.ts';

/**
 * An answer up to this size is held until it is complete and sent in one write: a service that
 * stalls inside it still gets a clean 504, not a cut-off 200. A longer one streams from here on.
 */
const HOLD_BYTES = 64 * 1024;

export interface Timeouts {
  /** To the response headers once the request is sent, and the longest silence inside a body. */
  headersMs: number;
  /** The whole exchange, first byte out to last byte back: a body that trickles ends here. */
  totalMs: number;
}

/** The total deadline passed; while the client was still uploading, the client was the slow one. */
export const deadlineError = (uploading: boolean) =>
  Object.assign(new Error('the upstream exchange took longer than its total timeout'), {
    code: uploading ? 'GATEWAY_UPLOAD_TIMEOUT' : 'GATEWAY_TOTAL_TIMEOUT',
  });

const clientGone = () =>
  Object.assign(new Error('the client went away'), { code: 'GATEWAY_CLIENT_GONE' });

/**
 * One attempt: the request to `pool`, the answer to `reply`, bodies streamed both ways. While
 * nothing has reached the client, a failure goes to `onFailure` (at most once), which may answer
 * or try another instance; once the answer streams, a failure cuts it off. Returns a function
 * that abandons the exchange (the client went away).
 */
export function forward(
  request: FastifyRequest,
  reply: FastifyReply,
  pool: Dispatcher,
  timeouts: Timeouts,
  onFailure: (error: Error) => void,
): () => void {
  let state: 'waiting' | 'streaming' | 'done' = 'waiting';
  let controller: Dispatcher.DispatchController | undefined;
  let early: Error | undefined;
  let status = 0;
  let headers: IncomingHttpHeaders = {};
  let held: Buffer[] = [];
  let heldBytes = 0;
  let stream: Readable | undefined;

  const stop = (error: Error) => {
    if (controller) controller.abort(error);
    else early = error;
  };
  const finish = (error?: Error) => {
    if (state === 'done') return;
    clearTimeout(timer);
    const streaming = state === 'streaming';
    state = 'done';
    if (!error) return;
    if (streaming) stream!.destroy(error);
    else onFailure(error);
  };
  const timer = setTimeout(() => {
    const error = deadlineError(!request.raw.complete);
    stop(error);
    finish(error);
  }, timeouts.totalMs);

  const respond = (payload: Buffer | Readable | undefined) => {
    reply.code(status).headers(responseHeaders(headers)).send(payload);
  };
  const startStreaming = (c: Dispatcher.DispatchController) => {
    state = 'streaming';
    stream = new Readable({
      read: () => c.resume(),
      destroy(error, callback) {
        // Fastify destroys the stream when the client goes: the service's answer is not needed.
        if (state === 'streaming') {
          state = 'done';
          clearTimeout(timer);
          c.abort(error ?? clientGone());
        }
        callback(error);
      },
    });
    for (const chunk of held) stream.push(chunk);
    held = [];
    respond(stream);
  };

  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
      if (early) c.abort(early);
    },
    onResponseStart(_c, statusCode, given) {
      if (statusCode < 200) return; // 1xx: the final answer follows
      status = statusCode;
      headers = given;
    },
    onResponseData(c, chunk) {
      if (state === 'streaming') {
        if (!stream!.push(chunk)) c.pause();
      } else if (state === 'waiting') {
        held.push(chunk);
        heldBytes += chunk.length;
        if (heldBytes > HOLD_BYTES) startStreaming(c);
      }
    },
    onResponseEnd() {
      if (state === 'streaming') {
        finish();
        stream!.push(null);
      } else if (state === 'waiting') {
        finish();
        // Usually one chunk: sent as it came, not copied.
        respond(held.length <= 1 ? held[0] : Buffer.concat(held, heldBytes));
      }
    },
    onResponseError(_c, error) {
      finish(error);
    },
  };

  pool.dispatch(
    {
      path: request.url,
      method: request.method as Dispatcher.HttpMethod,
      headers: requestHeaders(request),
      // A stream from `streamBodies` when the client sent a body.
      body: (request.body as Readable | undefined) ?? null,
      headersTimeout: timeouts.headersMs,
      bodyTimeout: timeouts.headersMs,
    },
    handler,
  );
  return () => {
    if (state === 'done') return;
    state = 'done';
    clearTimeout(timer);
    stop(clientGone());
  };
}
