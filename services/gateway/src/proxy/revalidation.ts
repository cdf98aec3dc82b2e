import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';

/** A service's answer as the gateway keeps it: headers, bytes and the validator of both. */
export interface Stored {
  etag: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const MAX_BYTES = 16 * 1024 * 1024;
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * A shared cache that never answers by itself (RFC 9111 `no-cache`): anonymous GETs whose answer
 * a service marked `public` with a strong ETag are kept by URL, and the next such request goes to
 * the service with `If-None-Match`. The service still decides every time (main checks its list
 * stamp), so nothing is ever staler than asking it directly; a 304 only spares it, and the hop,
 * the bytes of the page. Requests with credentials, conditions or ranges of their own pass
 * through untouched, and so do answers that are private, vary on anything but Authorization, or
 * set cookies.
 */
export class RevalidationCache {
  private readonly entries = new LRUCache<string, Stored>({
    maxSize: MAX_BYTES,
    maxEntrySize: MAX_ANSWER_BYTES,
    sizeCalculation: (stored, url) => stored.body.length + url.length + 512,
  });

  /** What this request may be revalidated against, if it may use the cache at all. */
  candidate(request: FastifyRequest): Stored | undefined {
    return mayUse(request) ? this.entries.get(request.url) : undefined;
  }

  /** Keeps a complete 200 answer to a request that may use the cache, when it is storable. */
  offer(request: FastifyRequest, status: number, headers: IncomingHttpHeaders, body: Buffer) {
    if (status !== 200 || !mayUse(request)) return;
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
    if (storable) this.entries.set(request.url, { etag, headers, body });
    else this.entries.delete(request.url);
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

function mayUse(request: FastifyRequest): boolean {
  const h = request.headers;
  return (
    request.method === 'GET' &&
    h.authorization === undefined &&
    h.cookie === undefined &&
    h['if-none-match'] === undefined &&
    h['if-modified-since'] === undefined &&
    h.range === undefined
  );
}
