import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** A list page as sent: its JSON bytes and a strong validator of exactly those bytes. */
export interface Page {
  body: Buffer;
  etag: string;
}

export const pageOf = (json: string): Page => {
  const body = Buffer.from(json);
  return { body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
};

/**
 * Anonymous list pages of one replica, by URL. An anonymous caller sees published posts only,
 * so the page depends on the URL and the data alone. `stamp` is read from the database before
 * each request (list_stamp, bumped in the same transaction as every write of posts or
 * categories): pages computed under an older stamp are dropped, on every replica alike, so a
 * write is never hidden, not even from a reader on another replica the next instant. A hit
 * costs one tiny query instead of the list's and skips row mapping and serialisation.
 * Concurrent misses of one URL share one computation.
 */
export function createListCache(options: { maxBytes: number; maxPageBytes: number }) {
  let current: string | undefined;
  const pages = new LRUCache<string, Page>({
    maxSize: options.maxBytes,
    maxEntrySize: options.maxPageBytes,
    sizeCalculation: (page, url) => page.body.length + url.length + 64,
  });
  const pending = new Map<string, Promise<Page>>();

  return {
    async page(stamp: string, url: string, compute: () => Promise<string>): Promise<Page> {
      if (stamp !== current) {
        // Stamps only grow: a request that read an older one than the cache holds computes
        // its page without evicting the newer ones, nor storing its own.
        if (current !== undefined && BigInt(stamp) < BigInt(current)) {
          return pageOf(await compute());
        }
        current = stamp;
        pages.clear();
      }
      const hit = pages.get(url);
      if (hit) return hit;
      const key = `${stamp} ${url}`;
      let computing = pending.get(key);
      if (!computing) {
        computing = compute()
          .then((json) => {
            const page = pageOf(json);
            if (stamp === current) pages.set(url, page);
            return page;
          })
          .finally(() => pending.delete(key));
        pending.set(key, computing);
      }
      return computing;
    },
  };
}

export type ListCache = ReturnType<typeof createListCache>;
