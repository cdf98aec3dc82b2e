import { DomainError } from '@platform/http';

/**
 * How many searches one replica runs at once: full-text lists (`q`), and lists filtered in an
 * order no index ranges over (list-service.ts isSearch). Most take milliseconds, but anyone can
 * write one that holds its connection for seconds, and with a new `limit` each misses every
 * cache: `q=time -time&sort=title` walks the title index testing every post (the planner takes
 * the contradiction for a common word), a phrase of common words rechecks every post holding
 * them all (1.2–1.5 s each at 200,000 posts, several seconds at a million). Ten at once held
 * every connection of the pool (DATABASE_POOL_SIZE, 10), and every read and write of posts waited
 * behind them. A filter with sort=title or -created_at can do the same. Past the limit a search
 * waits its turn, first come first served, and after `waitMs` is a 503 `service_unavailable` with
 * Retry-After: searches can only crowd each other.
 */
export interface SearchLimiter {
  run<T>(search: () => Promise<T>): Promise<T>;
}

/** Seconds a search refused for want of a slot is asked to wait. */
const RETRY_AFTER_SECONDS = 2;

export function createSearchLimiter(options: {
  concurrency: number;
  waitMs: number;
}): SearchLimiter {
  let running = 0;
  const waiting: (() => void)[] = [];

  function acquire(): Promise<void> {
    if (running < options.concurrency) {
      running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const turn = () => {
        clearTimeout(timer);
        running += 1;
        resolve();
      };
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(turn), 1);
        reject(
          new DomainError(
            'service_unavailable',
            'Too many searches are running; retry shortly, or list without q.',
            { retryAfterSeconds: RETRY_AFTER_SECONDS },
          ),
        );
      }, options.waitMs);
      waiting.push(turn);
    });
  }

  return {
    async run(search) {
      await acquire();
      try {
        return await search();
      } finally {
        running -= 1;
        waiting.shift()?.();
      }
    },
  };
}
