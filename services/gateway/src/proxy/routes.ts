import replyFrom from '@fastify/reply-from';
import { type App, sendProblem } from '@platform/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceName, Upstreams } from '../config.ts';
import { roundRobin } from './balancer.ts';
import { failureOf } from './failures.ts';

/** Public path prefixes and the service behind each; nothing else is reachable through the gateway. */
export const ROUTES: ReadonlyArray<{ prefix: string; service: ServiceName }> = [
  { prefix: '/accounts', service: 'auth' },
  { prefix: '/main', service: 'main' },
  { prefix: '/analytics', service: 'analytics' },
];

export interface ProxyOptions {
  upstreams: Upstreams;
  timeoutMs: number;
}

// A refused or unroutable connection should turn into a 503 in well under a second.
const CONNECT_TIMEOUT_MS = 2000;
// Safe to send again to another instance: the first one never answered and there is no body.
const RETRIABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function proxyRoutes(app: App, options: ProxyOptions) {
  await app.register(replyFrom, {
    disableCache: true,
    disableRequestLogging: true,
    undici: {
      connections: 128,
      pipelining: 1,
      connect: { timeout: CONNECT_TIMEOUT_MS },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    },
  });
  // Bodies are never read here: each one streams to the service, which parses and limits it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  for (const { prefix, service } of ROUTES) {
    const urls = options.upstreams[service];
    const handler = urls.length
      ? forwarder(service, urls, options.timeoutMs)
      : notDeployed(service);
    app.all(prefix, handler);
    app.all(`${prefix}/*`, handler);
  }
}

function forwarder(service: ServiceName, urls: string[], timeoutMs: number) {
  const next = roundRobin(urls);

  const send = (request: FastifyRequest, reply: FastifyReply, retries: number): FastifyReply => {
    const origin = next();
    return reply.from(origin + request.url, {
      timeout: timeoutMs,
      rewriteRequestHeaders: (_req, headers) => forwardedHeaders(request, headers),
      // The callback's reply is this same reply, typed for any server kind.
      onError: (_reply, { error }) => {
        const failure = failureOf(error, service);
        request.log.warn({ err: error, service, upstream: origin }, 'upstream request failed');
        if (failure.retriable && retries > 0) return send(request, reply, retries - 1);
        sendProblem(request, reply, failure.status, failure.detail);
      },
    });
  };

  return (request: FastifyRequest, reply: FastifyReply) => {
    const problem = unsafePath(request.url);
    if (problem) return sendProblem(request, reply, problem.status, problem.detail);
    return send(request, reply, RETRIABLE_METHODS.has(request.method) ? urls.length - 1 : 0);
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

type Headers = Record<string, string | string[] | undefined>;

function forwardedHeaders(request: FastifyRequest, headers: Headers): Headers {
  const prior = headers['x-forwarded-for'];
  const chain = [prior, request.ip].flat().filter(Boolean).join(', ');
  return {
    ...headers,
    'x-forwarded-for': chain,
    'x-forwarded-proto': request.protocol,
    'x-forwarded-host': request.host,
    'x-request-id': request.id,
  };
}
