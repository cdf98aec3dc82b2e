import type { IncomingHttpHeaders } from 'node:http';
import { ROUTE_HEADER } from '@platform/http';
import type { FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { Freshness } from './freshness.ts';
import { responseHeaders } from './headers.ts';

/** A service's answer as the gateway keeps it: headers, bytes and the validator of both. */
export interface Stored {
  etag: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The headers a kept answer is served with: the service's, minus per-exchange ones. */
  served: IncomingHttpHeaders;
  /** The route template the service named (ROUTE_HEADER), for the access log and metrics. */
  route: string | undefined;
  /** The service's Freshness generation the answer was current in; -1: revalidate only. */
  generation: number;
}

export interface CacheLimits {
  maxBytes: number;
  maxEntries: number;
  maxAnswerBytes: number;
}

/** Made for one exchange or connection: a kept copy must not replay them to someone else. */
const NOT_SERVED = new Set([
  'content-length',
  'transfer-encoding',
  'date',
  'x-request-id',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'retry-after',
  ROUTE_HEADER,
]);

/**
 * The gateway's shared cache of anonymous public answers, by URL (one for every service: a URL
 * names its service, and a strong ETag is the same on any replica). Two uses:
 *
 * - Revalidation (every route): the next anonymous GET goes to the service with `If-None-Match`,
 *   and a 304 spares it, and the hop, the bytes of the page (RFC 9111 `no-cache`).
 * - Answers without a hop (`fresh`): only on routes a service declared cacheable for anonymous
 *   callers, and only while its Freshness says nothing changed since (freshness.ts). That service
 *   invalidates the gateway itself (its change feed): for the gateway its `no-cache` is for the
 *   caches downstream, as a CDN's surrogate keys are.
 *
 * Requests with credentials (Authorization, cookies), ranges or conditions other than
 * If-None-Match never use it; answers that are private, vary on anything but Authorization, set
 * cookies or lack a strong ETag are never kept.
 */
export class RevalidationCache {
  private readonly entries: LRUCache<string, Stored>;

  constructor(limits: CacheLimits) {
    this.entries = new LRUCache<string, Stored>({
      max: limits.maxEntries,
      maxSize: limits.maxBytes,
      maxEntrySize: limits.maxAnswerBytes,
      sizeCalculation: (stored, url) => stored.body.length + url.length + 512,
    });
  }

  get size() {
    return this.entries.size;
  }

  get bytes() {
    return this.entries.calculatedSize;
  }

  /** What this request may be revalidated against, if it may use the cache at all. */
  candidate(request: FastifyRequest): Stored | undefined {
    return mayUse(request) && request.headers['if-none-match'] === undefined
      ? this.entries.get(request.url)
      : undefined;
  }

  /**
   * A kept answer this request may have without asking the service (see Freshness); null when
   * it may have one but none is current (a miss), undefined when it may not use the cache.
   */
  fresh(request: FastifyRequest, freshness: Freshness): Stored | null | undefined {
    if (!mayUse(request) || reloads(request)) return undefined;
    const stored = this.entries.get(request.url);
    return stored && freshness.isCurrent(stored.generation) ? stored : null;
  }

  /**
   * Keeps a complete 200 answer to a request that may use the cache, when it is storable; with
   * `generation` (the Freshness generation when the request was sent), as current in it.
   * True when it was kept.
   */
  offer(
    request: FastifyRequest,
    status: number,
    headers: IncomingHttpHeaders,
    body: Buffer,
    generation = -1,
  ): boolean {
    if (status !== 200 || !mayUse(request)) return false;
    const etag = headers.etag;
    const control = String(headers['cache-control'] ?? '').toLowerCase();
    const vary = String(headers.vary ?? '')
      .toLowerCase()
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const storable =
      typeof etag === 'string' &&
      etag.startsWith('"') &&
      /(^|[\s,])public([\s,]|$)/.test(control) &&
      !/private|no-store/.test(control) &&
      headers['set-cookie'] === undefined &&
      vary.every((name) => name === 'authorization');
    if (!storable) {
      this.entries.delete(request.url);
      return false;
    }
    const route = headers[ROUTE_HEADER];
    this.entries.set(request.url, {
      etag,
      headers,
      body,
      served: servedHeaders(headers),
      route: typeof route === 'string' ? route : undefined,
      generation,
    });
    return true;
  }

  /** A 304 to our If-None-Match for a request sent in `generation`: the kept copy is current. */
  confirm(stored: Stored, generation: number) {
    if (generation > stored.generation) stored.generation = generation;
  }

  /** The 200 to send for a 304 to our own If-None-Match: the stored bytes, the fresh headers. */
  answer(stored: Stored, fresh: IncomingHttpHeaders): IncomingHttpHeaders {
    const headers = { ...stored.headers, ...fresh };
    // Fastify counts the stored bytes itself.
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    return headers;
  }
}

function servedHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out = responseHeaders(headers) as IncomingHttpHeaders;
  for (const name of NOT_SERVED) delete out[name];
  return out;
}

function mayUse(request: FastifyRequest): boolean {
  const h = request.headers;
  return (
    request.method === 'GET' &&
    h.authorization === undefined &&
    h.cookie === undefined &&
    h['if-modified-since'] === undefined &&
    h['if-match'] === undefined &&
    h['if-unmodified-since'] === undefined &&
    h.range === undefined
  );
}

/** A client asking for a reload (`Cache-Control: no-cache`) gets the service's own answer. */
function reloads(request: FastifyRequest): boolean {
  const h = request.headers;
  return (
    (h['cache-control'] !== undefined && /no-cache|no-store|max-age=0/i.test(h['cache-control'])) ||
    (h.pragma !== undefined && /no-cache/i.test(h.pragma))
  );
}
