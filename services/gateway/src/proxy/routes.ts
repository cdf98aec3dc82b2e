import { type App, problems, sendProblem } from '@platform/http';
import type { FastifyReply, FastifyRequest, LogLevel, RouteShorthandOptions } from 'fastify';
import type { Balancer, Instance } from './balancer.ts';
import { type BodyOptions, bufferBodies } from './body.ts';
import { failureOf, unavailable } from './failures.ts';
import { Exchange, type Timeouts } from './forward.ts';
import { RevalidationCache } from './revalidation.ts';
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
  bodies: BodyOptions;
  exact: ExactRoute[];
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
}

declare module 'fastify' {
  interface FastifyRequest {
    proxied: Proxied | null;
  }
  interface FastifyContextConfig {
    /** The service behind a proxied route (also when the edge refuses the request). */
    service?: string;
  }
}

// Safe to send again to another instance: the first one never answered and there is no body.
const RETRIABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function proxyRoutes(app: App, options: ProxyOptions) {
  // Before any of the body is read (authentication has run in an earlier onRequest hook).
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.requiresToken && !request.principal) {
      throw problems.unauthorized();
    }
  });
  bufferBodies(app, options.bodies);
  app.decorateRequest('proxied', null);
  app.addHook('onResponse', (request, _reply, done) => {
    release(request);
    done();
  });
  // A client that goes away mid-request must not leave its instance looking busy forever, nor
  // the service working for nobody.
  app.addHook('onRequestAbort', async (request) => {
    request.proxied?.exchange?.cancel();
    release(request);
  });

  // One for every service: a URL names its service, and a strong ETag is the same on any replica.
  const cache = new RevalidationCache();
  const handlerFor = (route: Route) => {
    const balancer = options.balancers.get(route.service);
    return balancer
      ? forwarder(route.service, balancer, options.timeouts, cache)
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
      method: exact.method,
      url: exact.url,
      ...quiet,
      ...exact.options,
      config: { ...exact.options.config, service: route.service },
      handler: handlerFor(route),
    });
  }
  for (const route of options.routes) {
    const handler = handlerFor(route);
    const routeOptions = { ...quiet, config: { service: route.service } };
    app.all(route.prefix, routeOptions, handler);
    app.all(`${route.prefix}/*`, routeOptions, handler);
  }
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
  cache: RevalidationCache,
) {
  const send = (
    request: FastifyRequest,
    reply: FastifyReply,
    instance: Instance,
    mayRetry: boolean,
  ) => {
    instance.inFlight++;
    const exchange = new Exchange(request, reply, instance, mayRetry, timeouts, failed, cache);
    request.proxied = { service, upstream: instance.url, holding: instance, exchange };
    exchange.start();
  };

  // One function per service rather than a closure per request: the exchange carries the rest.
  const failed = (exchange: Exchange, error: Error) => {
    const { request, reply, instance } = exchange;
    release(request);
    const failure = failureOf(error, service);
    request.log.warn({ err: error, service, upstream: instance.url }, 'upstream request failed');
    if (failure.eject) balancer.eject(instance);
    const next = exchange.mayRetry && failure.retriable ? balancer.pick(instance) : undefined;
    if (next) send(request, reply, next, false);
    else sendProblem(request, reply, failure.status, failure.detail);
  };

  return (request: FastifyRequest, reply: FastifyReply) => {
    const problem = unsafePath(request.url);
    if (problem) {
      sendProblem(request, reply, problem.status, problem.detail);
      return;
    }
    const instance = balancer.pick();
    // Every instance is out: answer now rather than wait on one that is known to be down.
    if (!instance) {
      request.proxied = { service };
      const failure = unavailable(service);
      sendProblem(request, reply, failure.status, failure.detail);
      return;
    }
    // Only a request safe to repeat, and without a body, goes to another instance after a failure.
    const mayRetry = RETRIABLE_METHODS.has(request.method) && request.body === undefined;
    send(request, reply, instance, mayRetry);
  };
}

function notDeployed(service: string) {
  return (request: FastifyRequest, reply: FastifyReply) => {
    sendProblem(request, reply, 503, `The ${service} service is not running.`);
  };
}

const DOT_SEGMENT = /(^|\/)(\.|%2e){1,2}(\/|$)/i;

/**
 * URL parsing resolves `..` (also percent-encoded) and turns `\` into `/`, so such a path could
 * leave its prefix on the way to the service and reach `/internal/*`. No API path needs them.
 */
function unsafePath(url: string): { status: number; detail: string } | undefined {
  const path = url.split('?', 1)[0]!;
  try {
    decodeURIComponent(path);
  } catch {
    return { status: 400, detail: 'The request path is not validly percent-encoded.' };
  }
  if (path.includes('\\') || DOT_SEGMENT.test(path)) {
    return { status: 404, detail: `No route for ${path}.` };
  }
  return undefined;
}
