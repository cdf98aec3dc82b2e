// The shared cache in the proxy: a version feed per service, kept answers served without a hop.
import { type App, isNotModified } from '@platform/http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Freshness, followVersion } from './freshness.ts';
import { serveHeaders } from './headers.ts';
import type { ProxyOptions } from './options.ts';
import type { Stored } from './revalidation.ts';
import { routeFor } from './table.ts';

/**
 * A Freshness, and a feed following its version, for every deployed service that declared a
 * route cacheable; none when the cache is off.
 */
export function followVersions(app: App, options: ProxyOptions): Map<string, Freshness> {
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
export const credentialed = (request: FastifyRequest) => Boolean(request.principal);

export interface Keeping {
  /** The service's. */
  freshness: Freshness;
  /** This route's kept answers may be served without a hop while current. */
  declared: boolean;
  hit: { inc(): void } | undefined;
  miss: { inc(): void } | undefined;
}

/** A kept answer, with the headers the service gave it and a 304 for a matching If-None-Match. */
export function serveKept(
  request: FastifyRequest,
  reply: FastifyReply,
  kept: Stored,
  service: string,
) {
  request.proxied = { service, route: kept.route, cached: true };
  serveHeaders(reply, kept.served);
  if (isNotModified(request.headers['if-none-match'], kept.etag)) {
    reply.removeHeader('content-type');
    reply.code(304).send();
  } else reply.code(200).send(kept.body);
}
