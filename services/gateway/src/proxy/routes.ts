// The proxy's routes, each service's prefix and exact ones, and the hooks around every request.
import { METHODS } from 'node:http';
import { type App, problems, sendProblem } from '@platform/http';
import type { FastifyReply, FastifyRequest, LogLevel } from 'fastify';
import type { Instance } from './balancer.ts';
import { bufferBodies } from './body.ts';
import { closeQueuedAnswers } from './client-gone.ts';
import type { Exchange } from './forward.ts';
import { forwarder, RETRIABLE_METHODS, release } from './forwarder.ts';
import type { Freshness } from './freshness.ts';
import type { ProxyOptions } from './options.ts';
import { followVersions } from './shared-cache.ts';
import { type Route, routeFor } from './table.ts';

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
  /** Counted as panic routed (an attempt went to an instance out with all the others). */
  panicked?: boolean;
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
  closeQueuedAnswers(app);
  bufferBodies(app, options.bodies);
  app.decorateRequest('proxied', null);
  app.addHook('onResponse', (request, _reply, done) => {
    release(request);
    done();
  });
  const freshness = followVersions(app, options);
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
          options.clientGone,
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

function changedBy(request: FastifyRequest, freshness: ReadonlyMap<string, Freshness>) {
  const service = request.proxied?.service;
  if (service && !RETRIABLE_METHODS.has(request.method)) freshness.get(service)?.changed();
}

function notDeployed(service: string) {
  return (request: FastifyRequest, reply: FastifyReply) => {
    sendProblem(request, reply, 503, `The ${service} service is not running.`);
  };
}
