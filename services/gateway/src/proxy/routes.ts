import { METHODS } from 'node:http';
import { type App, isNotModified, problems, sendProblem } from '@platform/http';
import { requestSpan } from '@platform/telemetry';
import type { FastifyReply, FastifyRequest, LogLevel, RouteShorthandOptions } from 'fastify';
import type { Counter } from 'prom-client';
import type { Balancer, Instance } from './balancer.ts';
import { type BodyOptions, bufferBodies } from './body.ts';
import { failureOf, unavailable } from './failures.ts';
import { Exchange, type Timeouts } from './forward.ts';
import { Freshness, followVersion } from './freshness.ts';
import { serveHeaders } from './headers.ts';
import type { Chooser } from './panic.ts';
import { unsafeHost, unsafePath } from './request-checks.ts';
import type { RevalidationCache, Stored } from './revalidation.ts';
import { type Route, routeFor } from './table.ts';

/** A path with its own limits (body size, rate), still forwarded like the rest of its prefix. */
export interface ExactRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  options: RouteShorthandOptions;
}

export interface ProxyOptions {
  routes: readonly Route[];
  balancers: ReadonlyMap<string, Balancer>;
  timeouts: Timeouts;
  /** The share of requests whose `traceparent` says sampled when the gateway does not trace. */
  sampleRatio: number;
  bodies: BodyOptions;
  exact: ExactRoute[];
  cache: SharedCacheOptions;
  /** Counts a request refused for want of a token against the rate limit (or answers 429). */
  refused?: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  /**
   * The instance for each request, by service (panic.ts): shared with `/docs` and the feeds, so a
   * service's panic is one, whoever sends it a request.
   */
  choosers: ReadonlyMap<string, Chooser>;
  /** Requests sent again to another instance, by service and why (failures.ts). */
  retries?: Counter<'upstream_service' | 'reason'>;
}

/** The answers the gateway keeps (revalidation.ts) and serves without a hop (freshness.ts). */
export interface SharedCacheOptions {
  store: RevalidationCache;
  /** Off: declared routes are revalidated with the service every time, like all others. */
  enabled: boolean;
  feedIntervalMs: number;
  /** How long a service may hold a version request (long poll); 0: plain polling. */
  feedWaitSeconds: number;
  maxStalenessMs: number;
  serviceToken: string | undefined;
  lookups?: Counter<'service' | 'result'>;
}

/** Which service and instance a request went to, for the access log, metrics and samples. */
export interface Proxied {
  service: string;
  /** The last instance tried. */
  upstream?: string;
  /** The route template the service matched (ROUTE_HEADER); unset for a path it has no route for. */
  route?: string;
  /** The instance whose in-flight count this request holds, until it ends. */
  holding?: Instance;
  /** The exchange with the service under way, abandoned if the client goes away. */
  exchange?: Exchange;
  /** Answered from the gateway's cache, without a hop. */
  cached?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    proxied: Proxied | null;
  }
  interface FastifyContextConfig {
    /** The service behind a proxied route (also when the edge refuses the request). */
    service?: string;
    /** The service declared anonymous GETs here cacheable (manifest `edge`, `cache`). */
    sharedCache?: boolean;
  }
}

// Safe to send again to another instance: the first one never answered and there is no body.
// Nor do they change anything: every other method may, and ends what the cache knows as current.
const RETRIABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function proxyRoutes(app: App, options: ProxyOptions) {
  // Before any of the body is read (authentication has run in an earlier onRequest hook). Counted
  // like a bad token's 401: the limiter runs later, and a request with no token at all never
  // reached it, so it went uncounted and without RateLimit-*.
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.requiresToken && !request.principal) {
      await options.refused?.(request, reply);
      throw problems.unauthorized();
    }
  });
  bufferBodies(app, options.bodies);
  app.decorateRequest('proxied', null);
  app.addHook('onResponse', (request, _reply, done) => {
    release(request);
    done();
  });
  const freshness = followVersions(app, options);
  // A client that goes away mid-request must not leave its instance looking busy forever, nor
  // the service working for nobody (and a write it abandoned may still have happened).
  app.addHook('onRequestAbort', async (request) => {
    request.proxied?.exchange?.cancel();
    release(request);
    if (credentialed(request)) changedBy(request, freshness);
  });
  if (freshness.size > 0) {
    // Before the writer hears back: its next read through this gateway sees its write. On every
    // answer to a write but a refusal (4xx: nothing changed; a 5xx or timed-out write may still
    // commit), so refused writes anyone can send do not turn the kept pages into misses.
    app.addHook('onSend', (request, reply, payload, done) => {
      if (reply.statusCode < 400 || reply.statusCode >= 500) changedBy(request, freshness);
      done(null, payload);
    });
  }

  // One for every service: a URL names its service, and a strong ETag is the same on any replica.
  const cache = options.cache.store;
  const lookups = options.cache.lookups;
  const handlerFor = (route: Route, declared = false) => {
    const balancer = options.balancers.get(route.service);
    const fresh = freshness.get(route.service);
    const keeping = fresh && {
      freshness: fresh,
      declared,
      hit: lookups?.labels(route.service, 'hit'),
      miss: lookups?.labels(route.service, 'miss'),
    };
    const choose = options.choosers.get(route.service);
    return balancer && choose
      ? forwarder(
          route.service,
          balancer,
          options.timeouts,
          options.sampleRatio,
          cache,
          keeping,
          choose,
          options.retries,
        )
      : notDeployed(route.service);
  };
  // Access lines are the gateway's own (one per request); Fastify's pair would double them.
  const level = app.log.level as LogLevel;
  const quiet = {
    logLevel: ['silent', 'fatal', 'error'].includes(level) ? level : ('warn' as LogLevel),
  };
  for (const exact of options.exact) {
    const route = routeFor(options.routes, exact.url);
    if (!route) continue;
    app.route({
      // A HEAD of its own, forwarded as the catch-all forwards one: the HEAD route Fastify adds
      // for a GET answers Content-Length: 0 when the handler sends no payload, as a proxied
      // HEAD's never does.
      // A route pages on any origin call takes their preflight too (edge/security.ts answers it).
      method: [
        ...(exact.method === 'GET' ? ['GET', 'HEAD'] : [exact.method]),
        ...(exact.options.config?.anyOrigin ? ['OPTIONS'] : []),
      ],
      exposeHeadRoute: false,
      url: exact.url,
      ...quiet,
      ...exact.options,
      config: { ...exact.options.config, service: route.service },
      handler: handlerFor(route, exact.options.config?.sharedCache === true),
    });
  }
  forwardEveryMethod(app);
  for (const route of options.routes) {
    const handler = handlerFor(route);
    const routeOptions = { ...quiet, config: { service: route.service } };
    app.all(route.prefix, routeOptions, handler);
    app.all(`${route.prefix}/*`, routeOptions, handler);
  }
}

/**
 * Every method Node parses goes on to the service, not only those Fastify routes by default: a
 * WebDAV method (PROPFIND, LOCK, …) fell to the gateway's own 404 handler, whose 405 named every
 * method of the catch-all (`PUT` and `DELETE` on `/main/v1/posts`); the service's names its own.
 * CONNECT is a tunnel, never a request for a path.
 */
function forwardEveryMethod(app: App) {
  for (const method of METHODS) {
    if (method !== 'CONNECT' && !app.supportedMethods.includes(method)) {
      app.addHttpMethod(method, { hasBody: true });
    }
  }
}

/**
 * A Freshness, and a feed following its version, for every deployed service that declared a
 * route cacheable; none when the cache is off.
 */
function followVersions(app: App, options: ProxyOptions): Map<string, Freshness> {
  const all = new Map<string, Freshness>();
  const { cache } = options;
  if (!cache.enabled) return all;
  for (const exact of options.exact) {
    if (!exact.options.config?.sharedCache) continue;
    const route = routeFor(options.routes, exact.url);
    const choose = route && options.choosers.get(route.service);
    if (!route || !choose || all.has(route.service)) continue;
    const freshness = new Freshness(route.service, cache.maxStalenessMs);
    all.set(route.service, freshness);
    const stop = followVersion({
      freshness,
      choose,
      serviceToken: cache.serviceToken,
      intervalMs: cache.feedIntervalMs,
      waitSeconds: cache.feedWaitSeconds,
      timeoutMs: Math.max(cache.maxStalenessMs, 1000),
      log: app.log,
    });
    // Before the pools close: they would wait for a held poll (up to its wait) to end.
    app.addHook('preClose', async () => stop());
  }
  return all;
}

/**
 * A request that acts for someone, as the edge verified (its Bearer token): only such writes
 * count as changes before an answer. Not a header's mere presence: a cookie, which no service
 * here reads, or a Basic header passed on unchecked to a write-key route are anyone's to send,
 * and each such refused write sent every anonymous list read back to the service.
 */
const credentialed = (request: FastifyRequest) => Boolean(request.principal);

function changedBy(request: FastifyRequest, freshness: ReadonlyMap<string, Freshness>) {
  const service = request.proxied?.service;
  if (service && !RETRIABLE_METHODS.has(request.method)) freshness.get(service)?.changed();
}

interface Keeping {
  /** The service's. */
  freshness: Freshness;
  /** This route's kept answers may be served without a hop while current. */
  declared: boolean;
  hit: { inc(): void } | undefined;
  miss: { inc(): void } | undefined;
}

/** A kept answer, with the headers the service gave it and a 304 for a matching If-None-Match. */
function serveKept(request: FastifyRequest, reply: FastifyReply, kept: Stored, service: string) {
  request.proxied = { service, route: kept.route, cached: true };
  serveHeaders(reply, kept.served);
  if (isNotModified(request.headers['if-none-match'], kept.etag)) {
    reply.removeHeader('content-type');
    reply.code(304).send();
  } else reply.code(200).send(kept.body);
}

function release(request: FastifyRequest) {
  const proxied = request.proxied;
  if (proxied?.holding) {
    proxied.holding.inFlight--;
    proxied.holding = undefined;
  }
}

function forwarder(
  service: string,
  balancer: Balancer,
  timeouts: Timeouts,
  sampleRatio: number,
  cache: RevalidationCache,
  keeping: Keeping | undefined,
  choose: Chooser,
  retries: Counter<'upstream_service' | 'reason'> | undefined,
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
    request.proxied = { service, upstream: instance.url, holding: instance, exchange };
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
    const next = again ? choose(instance) : undefined;
    if (next) {
      retried[failure.unprocessed ?? 'no_answer']?.inc();
      send(request, reply, next, false, false);
    } else if (!exchange.passOnRefusal()) {
      sendProblem(request, reply, failure.status, failure.detail);
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
    const instance = choose();
    // No instance at all (none resolved): answer now.
    if (!instance) {
      request.proxied = { service };
      const failure = unavailable(service);
      sendProblem(request, reply, failure.status, failure.detail);
      return;
    }
    // Only a request safe to repeat, and without a body, goes to another instance after a failure
    // that may have come after the service acted on it (a reset connection).
    const mayRetry = RETRIABLE_METHODS.has(request.method) && request.body === undefined;
    // Any request whose body is whole in hand (bufferBodies reads every one before this) may go
    // to another instance once this one provably did not process it.
    const mayResend = request.body === undefined || Buffer.isBuffer(request.body);
    send(request, reply, instance, mayRetry, mayResend);
  };
}

function notDeployed(service: string) {
  return (request: FastifyRequest, reply: FastifyReply) => {
    sendProblem(request, reply, 503, `The ${service} service is not running.`);
  };
}
