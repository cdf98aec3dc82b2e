import replyFrom from '@fastify/reply-from';
import { type App, sendProblem } from '@platform/http';
import type { FastifyReply, FastifyRequest, LogLevel, RouteShorthandOptions } from 'fastify';
import type { ServiceName } from '../config.ts';
import type { Balancer, Instance } from './balancer.ts';
import { streamBodies, tooLarge } from './body.ts';
import { type Failure, failureOf, unavailable } from './failures.ts';
import { requestHeaders, responseHeaders } from './headers.ts';

/** Public path prefixes and the service behind each; nothing else is reachable through the gateway. */
export const ROUTES: ReadonlyArray<{ prefix: string; service: ServiceName }> = [
  { prefix: '/accounts', service: 'auth' },
  { prefix: '/main', service: 'main' },
  { prefix: '/analytics', service: 'analytics' },
];

/** A path with its own limits (body size, rate), still forwarded like the rest of its prefix. */
export interface ExactRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  options: RouteShorthandOptions;
}

export interface ProxyOptions {
  balancers: ReadonlyMap<ServiceName, Balancer>;
  timeoutMs: number;
  connectTimeoutMs: number;
  exact: ExactRoute[];
}

/** Which service and instance a request went to, for the access log, metrics and samples. */
export interface Proxied {
  service: ServiceName;
  /** The last instance tried. */
  upstream?: string;
  /** The instance whose in-flight count this request holds, until it ends. */
  holding?: Instance;
}

declare module 'fastify' {
  interface FastifyRequest {
    proxied: Proxied | null;
  }
  interface FastifyContextConfig {
    /** The service behind a proxied route (also when the edge refuses the request). */
    service?: ServiceName;
  }
}

// Safe to send again to another instance: the first one never answered and there is no body.
const RETRIABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function proxyRoutes(app: App, options: ProxyOptions) {
  await app.register(replyFrom, {
    disableCache: true,
    disableRequestLogging: true,
    undici: {
      connections: 128,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connect: { timeout: options.connectTimeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    },
  });
  streamBodies(app);
  app.decorateRequest('proxied', null);
  app.addHook('onResponse', async (request) => release(request));
  // A client that goes away mid-request must not leave its instance looking busy forever.
  app.addHook('onRequestAbort', async (request) => release(request));

  const serviceOf = (url: string) => ROUTES.find((r) => url.startsWith(`${r.prefix}/`))!.service;
  const handlerFor = (service: ServiceName) => {
    const balancer = options.balancers.get(service);
    return balancer?.instances.length
      ? forwarder(service, balancer, options.timeoutMs)
      : notDeployed(service);
  };
  // Access lines are the gateway's own (one per request); Fastify's pair would double them.
  const level = app.log.level as LogLevel;
  const quiet = {
    logLevel: ['silent', 'fatal', 'error'].includes(level) ? level : ('warn' as LogLevel),
  };
  for (const route of options.exact) {
    const service = serviceOf(route.url);
    app.route({
      method: route.method,
      url: route.url,
      ...quiet,
      ...route.options,
      config: { ...route.options.config, service },
      handler: handlerFor(service),
    });
  }
  for (const { prefix, service } of ROUTES) {
    const handler = handlerFor(service);
    const options = { ...quiet, config: { service } };
    app.all(prefix, options, handler);
    app.all(`${prefix}/*`, options, handler);
  }
}

function release(request: FastifyRequest) {
  const proxied = request.proxied;
  if (proxied?.holding) {
    proxied.holding.inFlight--;
    proxied.holding = undefined;
  }
}

function forwarder(service: ServiceName, balancer: Balancer, timeoutMs: number) {
  const fail = (request: FastifyRequest, reply: FastifyReply, failure: Failure) =>
    sendProblem(request, reply, failure.status, failure.detail);

  const send = (
    request: FastifyRequest,
    reply: FastifyReply,
    instance: Instance,
    retry: boolean,
  ) => {
    instance.inFlight++;
    request.proxied = { service, upstream: instance.url, holding: instance };
    return reply.from(instance.url + request.url, {
      timeout: timeoutMs,
      // Our own retry (on another instance) replaces reply-from's (same instance, 503s included).
      retryDelay: () => null,
      rewriteRequestHeaders: (_req, headers) => requestHeaders(request, headers),
      rewriteHeaders: (headers) => responseHeaders(headers),
      // The callback's reply is this same reply, typed for any server kind.
      onError: (_reply, { error }) => {
        release(request);
        if (request.bodyTooLarge) return reply.send(tooLarge(request.routeOptions.bodyLimit));
        const failure = failureOf(error, service);
        request.log.warn(
          { err: error, service, upstream: instance.url },
          'upstream request failed',
        );
        if (failure.eject) balancer.eject(instance);
        const next = retry && failure.retriable ? balancer.pick(instance) : undefined;
        if (next) return send(request, reply, next, false);
        fail(request, reply, failure);
      },
    });
  };

  return (request: FastifyRequest, reply: FastifyReply) => {
    const problem = unsafePath(request.url);
    if (problem) return sendProblem(request, reply, problem.status, problem.detail);
    const instance = balancer.pick();
    // Every instance is out: answer now rather than wait on one that is known to be down.
    if (!instance) {
      request.proxied = { service };
      return fail(request, reply, unavailable(service));
    }
    return send(request, reply, instance, RETRIABLE_METHODS.has(request.method));
  };
}

function notDeployed(service: ServiceName) {
  return (request: FastifyRequest, reply: FastifyReply) =>
    sendProblem(request, reply, 503, `The ${service} service is not running.`);
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
