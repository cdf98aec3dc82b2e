import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { CLOSING_REFUSAL_HEADER, ROUTE_HEADER } from '@platform/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import type { Instance } from './balancer.ts';
import type { Freshness } from './freshness.ts';
import { requestHeaders, responseHeaders, serveHeaders } from './headers.ts';
import type { RevalidationCache, Stored } from './revalidation.ts';

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

/**
 * A request line in absolute-form (`GET http://evil.example/main/v1/posts`) goes on as its path
 * alone, the one the router matched: the authority is the client's word, and a service would take
 * it over the Host the gateway sends (RFC 9112 §3.2.2).
 */
const originForm = (url: string) =>
  url.charCodeAt(0) === 47 ? url : url.slice(url.indexOf('/', url.indexOf('://') + 3));

/** The answer says its connection closes after it (`Connection: close`). */
function closesConnection(headers: IncomingHttpHeaders) {
  const connection = headers.connection;
  if (connection === undefined) return false;
  const list = Array.isArray(connection) ? connection.join(',') : connection;
  return list.split(',').some((token) => token.trim().toLowerCase() === 'close');
}

/** Told when an exchange failed while nothing had reached the client: answer, or try another. */
export type OnFailure = (exchange: Exchange, error: Error) => void;

/** The exchange, bodies included, took longer than the total timeout allows. */
const deadlineError = () =>
  Object.assign(new Error('the upstream exchange took longer than its total timeout'), {
    code: 'GATEWAY_TOTAL_TIMEOUT',
  });

/**
 * The instance answered the closing refusal of @platform/http (closing.ts): it was shutting down
 * when the request arrived, and no route ran.
 */
export const closingRefusal = () =>
  Object.assign(new Error('the upstream instance is closing: the request was not processed'), {
    code: 'GATEWAY_UPSTREAM_CLOSING',
  });

/**
 * That refusal, and only it: a 503 with the marker only @platform/http's closing path sets (a
 * route cannot: its onSend hook removes it), on a connection the instance closes.
 */
const isClosingRefusal = (status: number, headers: IncomingHttpHeaders) =>
  status === 503 &&
  headers[CLOSING_REFUSAL_HEADER] === '1' &&
  String(headers.connection).toLowerCase() === 'close';

const clientGone = () =>
  Object.assign(new Error('the client went away'), { code: 'GATEWAY_CLIENT_GONE' });

function giveUpOnRefusalBody(exchange: Exchange) {
  exchange.refusalBodyLate();
}

function expire(exchange: Exchange) {
  const error = deadlineError();
  exchange.stop(error);
  exchange.finish(error);
}

/**
 * One attempt: the request to `instance`, the answer to `reply`, bodies streamed both ways. While
 * nothing has reached the client a failure goes to `onFailure` (at most once), which may answer
 * or try another instance; once the answer streams, a failure cuts it off. A class, not
 * closures: this is the one object each proxied request allocates for its own bookkeeping.
 */
export class Exchange implements Dispatcher.DispatchHandler {
  private state: 'waiting' | 'streaming' | 'done' = 'waiting';
  private controller: Dispatcher.DispatchController | undefined;
  private early: Error | undefined;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private held: Buffer[] = [];
  private heldBytes = 0;
  private stream: Readable | undefined;
  /** The kept answer this request asked the service about with If-None-Match. */
  private revalidating: Stored | undefined;
  /** The route's Freshness generation when the request was sent (-1: not a cacheable route). */
  private generation = -1;
  /** The answer is the instance's closing refusal: the request was not processed. */
  private refused = false;
  /**
   * That refusal's body broke off, or had not come when its head was read: with nowhere else to
   * go, the gateway's own 503 answers.
   */
  private cut = false;
  private readonly timer: NodeJS.Timeout;
  /** When it was sent: only an answer to a request sent after a fast failure clears its mark. */
  private readonly sentAt = Date.now();

  constructor(
    readonly request: FastifyRequest,
    readonly reply: FastifyReply,
    readonly instance: Instance,
    /** Another instance may be tried after a failure (idempotent, no body). */
    readonly mayRetry: boolean,
    /**
     * Another instance may be tried when this one provably did not process the request (its
     * closing refusal, no connection): the first attempt, with the body whole in hand.
     */
    readonly mayResend: boolean,
    private readonly timeouts: Timeouts,
    /** The gateway's sampling ratio, for the `traceparent` it writes when it does not trace. */
    private readonly sampleRatio: number,
    private readonly onFailure: OnFailure,
    private readonly cache?: RevalidationCache,
    /** Set on routes whose answers may be served without a hop while current (freshness.ts). */
    private readonly freshness?: Freshness,
  ) {
    this.timer = setTimeout(expire, timeouts.totalMs, this);
  }

  /** Sends the request; a failure may come back at once (to `onFailure`, before this returns). */
  start() {
    const { request, timeouts } = this;
    const headers = requestHeaders(request, this.sampleRatio);
    this.revalidating = this.cache?.candidate(request);
    if (this.freshness) this.generation = this.freshness.generation;
    if (this.revalidating) headers.push('if-none-match', this.revalidating.etag);
    this.instance.pool.dispatch(
      {
        path: originForm(request.url),
        method: request.method as Dispatcher.HttpMethod,
        headers,
        // The whole body, read by `bufferBodies` before this instance was picked.
        body: (request.body as Buffer | undefined) ?? null,
        headersTimeout: timeouts.headersMs,
        bodyTimeout: timeouts.headersMs,
      },
      this,
    );
  }

  /** The client went away: the service's answer is not wanted any more. */
  cancel() {
    if (this.state === 'done') return;
    this.state = 'done';
    clearTimeout(this.timer);
    this.stop(clientGone());
  }

  stop(error: Error) {
    if (this.controller) this.controller.abort(error);
    else this.early = error;
  }

  finish(error?: Error) {
    if (this.state === 'done') return;
    clearTimeout(this.timer);
    const streaming = this.state === 'streaming';
    this.state = 'done';
    if (!error) return;
    if (streaming) this.stream!.destroy(error);
    else this.onFailure(this, error);
  }

  onRequestStart(controller: Dispatcher.DispatchController) {
    this.controller = controller;
    if (this.early) controller.abort(this.early);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    status: number,
    headers: IncomingHttpHeaders,
  ) {
    if (status < 200) return; // 1xx: the final answer follows
    this.status = status;
    // The instance refusing work, 503 with its connection closed (shutting down: @platform/http's
    // closing.ts), is a fast failure that panic routing passes over for a while (balancer.ts,
    // failedAt). Not a 503 of one route's own (a query limiter, an upload queue, a query timeout):
    // the instance answers its other routes, and any client could provoke it to steer traffic.
    // Any other answer clears the mark, but only one to a request sent after it: a closing
    // instance still answers what it had in flight, and those say nothing of a request sent now.
    if (status === 503 && closesConnection(headers)) this.instance.failedAt = Date.now();
    else if (this.instance.failedAt < this.sentAt) this.instance.failedAt = 0;
    this.headers = headers;
    this.refused = isClosingRefusal(status, headers);
    // Its head is the whole of what it says: no route ran. Its body, a small problem, is normally
    // in the same read and complete before this turn of the event loop ends; one that is not
    // (stalled, trickling) is not waited for: the request goes to another instance now, or the
    // gateway answers its own 503. Waiting held the client for UPSTREAM_TIMEOUT (30 s) of
    // silence for an answer whose outcome was already known.
    if (this.refused) setImmediate(giveUpOnRefusalBody, this);
  }

  /** The closing refusal's body has not all come by now: the head decides without it. */
  refusalBodyLate() {
    if (this.state !== 'waiting' || !this.refused) return;
    this.cut = true;
    const error = closingRefusal();
    this.stop(error);
    this.finish(error);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer) {
    if (this.state === 'streaming') {
      if (!this.stream!.push(chunk)) controller.pause();
    } else if (this.state === 'waiting') {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes > HOLD_BYTES) this.startStreaming(controller);
    }
  }

  onResponseEnd() {
    if (this.state === 'streaming') {
      this.finish();
      this.stream!.push(null);
    } else if (this.state === 'waiting') {
      // Read to its end first (a small problem), so the connection it closes is done with.
      if (this.refused) {
        this.finish(closingRefusal());
        return;
      }
      this.finish();
      const held = this.held;
      // Usually one chunk: sent as it came, not copied.
      const body = held.length <= 1 ? held[0] : Buffer.concat(held, this.heldBytes);
      const kept =
        body && this.cache?.offer(this.request, this.status, this.headers, body, this.generation);
      if (kept) this.freshness?.used();
      this.respond(body);
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error) {
    // The closing refusal's head came, then its connection broke (a reset over the unread rest of
    // a large body, a close out of time): its mark already said no route ran, so it is still one.
    if (this.state === 'waiting' && this.refused) {
      this.cut = true;
      this.finish(closingRefusal());
      return;
    }
    // Headers are the whole of a 204, a 304 or a HEAD's answer: whatever broke after them (undici
    // refuses a 304 that declares a length it does not send) cannot have cut anything off.
    if (this.state === 'waiting' && this.status > 0 && this.heldBytes === 0 && this.hasNoBody()) {
      this.finish();
      this.respond(undefined);
      return;
    }
    this.finish(error);
  }

  /**
   * Gives the client the instance's closing refusal after all (no other instance to send the
   * request to), its marker stripped with the other internal headers (responseHeaders).
   */
  passOnRefusal() {
    if (!this.refused || this.cut) return false;
    const held = this.held;
    this.respond(held.length <= 1 ? held[0] : Buffer.concat(held, this.heldBytes));
    return true;
  }

  private hasNoBody() {
    return this.status === 204 || this.status === 304 || this.request.method === 'HEAD';
  }

  private respond(payload: Buffer | Readable | undefined) {
    const route = this.headers[ROUTE_HEADER];
    if (typeof route === 'string' && this.request.proxied) this.request.proxied.route = route;
    const stored = this.revalidating;
    // A 304 answers our own If-None-Match (the client sent none): the kept copy is current.
    if (stored && this.status === 304) {
      if (this.freshness) {
        this.cache!.confirm(stored, this.generation);
        this.freshness.used();
      }
      const headers = this.cache!.answer(stored, this.headers);
      serveHeaders(this.reply.code(200), responseHeaders(headers));
      this.reply.send(stored.body);
      return;
    }
    serveHeaders(this.reply.code(this.status), responseHeaders(this.headers));
    this.reply.send(payload);
  }

  private startStreaming(controller: Dispatcher.DispatchController) {
    this.state = 'streaming';
    const stream = new Readable({
      read: () => controller.resume(),
      destroy: (error, callback) => {
        // Fastify destroys the stream when the client goes: the service's answer is not needed.
        if (this.state === 'streaming') {
          this.state = 'done';
          clearTimeout(this.timer);
          controller.abort(error ?? clientGone());
        }
        callback(error);
      },
    });
    this.stream = stream;
    for (const chunk of this.held) stream.push(chunk);
    this.held = [];
    this.respond(stream);
  }
}
