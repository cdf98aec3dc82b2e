// A service's request handler: a kept answer or an instance, one retry after a failed attempt.
import type { ServerResponse } from 'node:http';
import { sendProblem } from '@platform/http';
import { requestSpan } from '@platform/telemetry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import type { Balancer, Instance } from './balancer.ts';
import { type Failure, failureOf, unavailable } from './failures.ts';
import { Exchange, type Timeouts } from './forward.ts';
import type { Chooser } from './panic.ts';
import { unsafeHost, unsafePath } from './request-checks.ts';
import type { RevalidationCache } from './revalidation.ts';
import { credentialed, type Keeping, serveKept } from './shared-cache.ts';

// Safe to send again to another instance: the first one never answered and there is no body.
// Nor do they change anything: every other method may, and ends what the cache knows as current.
/** Told of a request whose client went away before its answer was written out (the access log). */
export type GoneListener = (request: FastifyRequest, reply: FastifyReply) => void;

export const RETRIABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function release(request: FastifyRequest) {
  const proxied = request.proxied;
  if (proxied?.holding) {
    proxied.holding.inFlight--;
    proxied.holding = undefined;
  }
}

/**
 * Seconds a client is asked to wait before sending a request the gateway answered 503 for its
 * service again (no instance could take it: none reachable, none left, the only one closing), as
 * a closing service's own refusal and the gateway's full body buffer ask: an instance taken out
 * comes back at its first good poll (2 s apart), a closing one's replacement within seconds, and
 * a client that reads `Retry-After` (RFC 9110 §10.2.3) waits rather than hammer it or give up.
 */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

/** The gateway's own answer to a failed exchange: a 503 says when to try again. */
function answerFailure(request: FastifyRequest, reply: FastifyReply, failure: Failure) {
  if (failure.status === 503) reply.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
  sendProblem(request, reply, failure.status, failure.detail);
}

const clientReply = Symbol('clientReply');
const whenGone = Symbol('whenGone');
type ClientAnswer = ServerResponse & {
  [clientReply]?: FastifyReply;
  [whenGone]?: (reply: FastifyReply) => void;
};

/** The answer's connection closed: before it was written out, its client went away. */
function answerClosed(this: ClientAnswer) {
  const reply = this[clientReply];
  this[clientReply] = undefined;
  if (!this.writableFinished && reply) this[whenGone]?.(reply);
}

export function forwarder(
  service: string,
  balancer: Balancer,
  timeouts: Timeouts,
  sampleRatio: number,
  cache: RevalidationCache,
  keeping: Keeping | undefined,
  choose: Chooser,
  retries: Counter<'upstream_service' | 'reason'> | undefined,
  clientGone: GoneListener | undefined,
) {
  const retried = {
    closing: retries?.labels(service, 'closing'),
    unreachable: retries?.labels(service, 'unreachable'),
    no_answer: retries?.labels(service, 'no_answer'),
  };
  for (const counter of Object.values(retried)) counter?.inc(0);
  const send = (
    request: FastifyRequest,
    reply: FastifyReply,
    instance: Instance,
    mayRetry: boolean,
    mayResend: boolean,
    panicked: boolean,
  ) => {
    instance.inFlight++;
    const exchange = new Exchange(
      request,
      reply,
      instance,
      mayRetry,
      mayResend,
      timeouts,
      sampleRatio,
      failed,
      cache,
      keeping?.declared ? keeping.freshness : undefined,
    );
    request.proxied = { service, upstream: instance.url, holding: instance, exchange, panicked };
    // The gateway's one span per proxied request names the hop, as Envoy's upstream_cluster and
    // upstream_address do (no client span of its own: client.ts in @platform/telemetry).
    requestSpan(request.raw)?.setAttributes({
      'gateway.upstream': service,
      'gateway.upstream.address': instance.url,
    });
    exchange.start();
  };

  // One function per service rather than a closure per request: the exchange carries the rest.
  const failed = (exchange: Exchange, error: Error) => {
    const { request, reply, instance } = exchange;
    release(request);
    const failure = failureOf(error, service);
    // A closing instance refuses what reaches it during every rolling deploy: not a fault.
    if (failure.unprocessed === 'closing') {
      request.log.info({ service, upstream: instance.url }, 'upstream instance is closing');
    } else {
      request.log.warn({ err: error, service, upstream: instance.url }, 'upstream request failed');
    }
    if (failure.eject) balancer.eject(instance, failure.unreachable);
    // No answer came (refused, reset): a fast failure, as a 503 (balancer.ts, failedAt). Not a
    // timeout: a slow instance already holds its requests in flight and gets fewer.
    if (failure.status !== 504) instance.failedAt = Date.now();
    // Sent again once at most (the second attempt may do neither): any request the instance
    // provably did not process, writes too, as their body is whole in hand; otherwise only a
    // read that got no answer.
    const again = failure.unprocessed ? exchange.mayResend : exchange.mayRetry && failure.retriable;
    // The request's one tally: a retry of a request counted as panic routed is not counted again.
    const tally = { panicked: request.proxied?.panicked === true };
    const next = again ? choose(instance, tally) : undefined;
    if (next) {
      retried[failure.unprocessed ?? 'no_answer']?.inc();
      send(request, reply, next, false, false, tally.panicked);
    } else if (!exchange.passOnRefusal()) {
      answerFailure(request, reply, failure);
    }
  };

  // A client that goes away mid-request must not leave its instance looking busy forever, nor
  // the service working for nobody (and a write it abandoned may still have happened). Told by
  // the answer's close before it was written out, not Fastify's onRequestAbort: that goes by
  // Node's `aborted` mark, set only while the request's body is still arriving, so a write whose
  // body the gateway had read whole (every one, before an instance is picked) went on at the
  // service, its instance's in-flight count held, after its client had gone.
  const gone = (reply: FastifyReply) => {
    const request = reply.request;
    request.proxied?.exchange?.cancel();
    clientGone?.(request, reply);
    release(request);
    if (keeping && !RETRIABLE_METHODS.has(request.method) && credentialed(request)) {
      keeping.freshness.changed();
    }
  };

  return (request: FastifyRequest, reply: FastifyReply) => {
    const problem = unsafePath(request.url) ?? unsafeHost(request);
    if (problem) {
      sendProblem(request, reply, problem.status, problem.detail);
      return;
    }
    if (keeping) {
      if (!RETRIABLE_METHODS.has(request.method)) {
        if (credentialed(request)) keeping.freshness.changed();
      } else if (keeping.declared) {
        const kept = cache.fresh(request, keeping.freshness);
        if (kept) {
          keeping.freshness.used();
          keeping.hit?.inc();
          // A traced hit is the gateway's span alone: the attribute says why no hop follows.
          requestSpan(request.raw)?.setAttribute('gateway.cache', 'hit');
          serveKept(request, reply, kept, service);
          return;
        }
        if (kept === null) keeping.miss?.inc();
      }
    }
    const raw = reply.raw as ClientAnswer;
    const connection = request.raw.socket as { destroyed?: boolean } | null;
    // Gone already (while its token was checked or its limit counted): nothing is sent on its
    // behalf. The close that told so has come and gone, and its answer, never written out, would
    // never have given the instance's in-flight count back.
    if (raw.destroyed || connection?.destroyed) {
      clientGone?.(request, reply);
      return;
    }
    const tally = { panicked: false };
    const instance = choose(undefined, tally);
    // No instance at all (none resolved): answer now.
    if (!instance) {
      request.proxied = { service };
      answerFailure(request, reply, unavailable(service));
      return;
    }
    // Only a request safe to repeat, and without a body, goes to another instance after a failure
    // that may have come after the service acted on it (a reset connection).
    const mayRetry = RETRIABLE_METHODS.has(request.method) && request.body === undefined;
    // Any request whose body is whole in hand (bufferBodies reads every one before this) may go
    // to another instance once this one provably did not process it.
    const mayResend = request.body === undefined || Buffer.isBuffer(request.body);
    raw[clientReply] = reply;
    raw[whenGone] = gone;
    // Also while the answer waits behind others on its connection (closeQueuedAnswers).
    raw.once('close', answerClosed);
    send(request, reply, instance, mayRetry, mayResend, tally.panicked);
  };
}
