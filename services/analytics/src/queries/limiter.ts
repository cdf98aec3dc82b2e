import { DomainError } from '@platform/http';
import { Gauge, type Registry } from 'prom-client';

/**
 * How many queries (`/user-activity`, `/performance`, `/reports`) a replica runs at once. A report
 * over a long range can hold a PostgreSQL connection for up to QUERY_TIMEOUT_MS, and the queue
 * ingestion writes to shares that pool: dashboards refreshing every few seconds, or a script
 * pulling CSVs, took every connection and turned `/track-event` into 503s. Past QUERY_CONCURRENCY
 * a query waits its turn, first come first served, and after QUERY_WAIT_MS is answered 503
 * `service_unavailable` with Retry-After instead. (p-limit and p-queue have no bound on the wait.)
 */
export interface QueryLimiter {
  run<T>(query: () => Promise<T>): Promise<T>;
}

export function createQueryLimiter(options: {
  concurrency: number;
  waitMs: number;
  metrics?: Registry;
}): QueryLimiter {
  let running = 0;
  const waiting: (() => void)[] = [];
  // Without a registry (tests) they count into none.
  new Gauge({
    name: 'analytics_queries_running',
    help: 'Queries (user activity, performance, reports) running in this replica',
    registers: options.metrics ? [options.metrics] : [],
    collect() {
      this.set(running);
    },
  });
  new Gauge({
    name: 'analytics_queries_waiting',
    help: 'Queries waiting for one of the QUERY_CONCURRENCY slots',
    registers: options.metrics ? [options.metrics] : [],
    collect() {
      this.set(waiting.length);
    },
  });

  /** Resolves once this query holds a slot; rejects after waitMs without one. */
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
          new DomainError('service_unavailable', 'Too many queries are running; retry shortly.', {
            retryAfterSeconds: 5,
          }),
        );
      }, options.waitMs);
      waiting.push(turn);
    });
  }

  function release() {
    running -= 1;
    waiting.shift()?.();
  }

  return {
    async run(query) {
      await acquire();
      try {
        return await query();
      } finally {
        release();
      }
    },
  };
}
