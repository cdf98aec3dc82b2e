// The proxy's options (proxyRoutes in routes.ts): the routes, balancers, timeouts and the shared
// cache's settings, apart so the files that take them need not import the routes.
import type { FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import type { Counter } from 'prom-client';
import type { Balancer } from './balancer.ts';
import type { BodyOptions } from './body.ts';
import type { Timeouts } from './forward.ts';
import type { Chooser } from './panic.ts';
import type { RevalidationCache } from './revalidation.ts';
import type { Route } from './table.ts';

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
  /** A request whose client went away before its answer was written out: its access line. */
  clientGone?: (request: FastifyRequest, reply: FastifyReply) => void;
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
