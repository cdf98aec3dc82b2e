import { DomainError } from '@platform/http';
import { Gauge, type Registry } from 'prom-client';

/**
 * How many queries a replica runs at once. A report over a long range can hold a PostgreSQL
 * connection for up to QUERY_TIMEOUT_MS, and the queue ingestion writes to shares that pool:
 * dashboards refreshing every few seconds, or a script pulling CSVs, took every connection and
 * turned `/track-event` into 503s. Past its limit a query waits its turn, first come first
 * served, and after QUERY_WAIT_MS is answered 503 `service_unavailable` with Retry-After instead.
 * (p-limit and p-queue put no bound on the wait.)
 */
export interface QueryLimiter {
  /** `gone`: aborts when the client went away; a query still waiting then leaves the line. */
  run<T>(query: () => Promise<T>, gone?: AbortSignal): Promise<T>;
}

/**
 * One limiter per kind of query: admins' reports (`/performance`, `/reports`) and users' own
 * activity (`/user-activity`) wait in separate lines, so any signed-in user sending activity reads
 * in a loop holds up only those, never the reports.
 */
export function createQueryLimiters(options: {
  concurrency: number;
  waitMs: number;
  metrics?: Registry;
}): Record<'reports' | 'activity', QueryLimiter> {
  const limiters = {
    reports: createQueryLimiter(options),
    activity: createQueryLimiter(options),
  };
  // Without a registry (tests) they count into none.
  new Gauge({
    name: 'analytics_queries_running',
    help: 'Queries running in this replica, by kind (reports, activity)',
    labelNames: ['queries'] as const,
    registers: options.metrics ? [options.metrics] : [],
    collect() {
      for (const [kind, limiter] of Object.entries(limiters)) {
        this.set({ queries: kind }, limiter.running);
      }
    },
  });
  new Gauge({
    name: 'analytics_queries_waiting',
    help: 'Queries waiting for one of the QUERY_CONCURRENCY slots of their kind',
    labelNames: ['queries'] as const,
    registers: options.metrics ? [options.metrics] : [],
    collect() {
      for (const [kind, limiter] of Object.entries(limiters)) {
        this.set({ queries: kind }, limiter.waiting);
      }
    },
  });
  return limiters;
}

function createQueryLimiter(options: {
  concurrency: number;
  waitMs: number;
}): QueryLimiter & { readonly running: number; readonly waiting: number } {
  let running = 0;
  const waiting: (() => void)[] = [];

  /** Resolves once this query holds a slot; rejects after waitMs without one. */
  function acquire(gone?: AbortSignal): Promise<void> {
    if (running < options.concurrency) {
      running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const leave = () => {
        clearTimeout(timer);
        gone?.removeEventListener('abort', leave);
        waiting.splice(waiting.indexOf(turn), 1);
        reject(
          new DomainError('service_unavailable', 'Too many queries are running; retry shortly.', {
            retryAfterSeconds: 5,
          }),
        );
      };
      const turn = () => {
        clearTimeout(timer);
        gone?.removeEventListener('abort', leave);
        running += 1;
        resolve();
      };
      // A query nobody waits for any more would only keep the next ones waiting.
      const timer = setTimeout(leave, options.waitMs);
      gone?.addEventListener('abort', leave, { once: true });
      waiting.push(turn);
    });
  }

  function release() {
    running -= 1;
    waiting.shift()?.();
  }

  return {
    get running() {
      return running;
    },
    get waiting() {
      return waiting.length;
    },
    async run(query, gone) {
      if (gone?.aborted) throw new DomainError('service_unavailable', 'The client went away.');
      await acquire(gone);
      try {
        return await query();
      } finally {
        release();
      }
    },
  };
}
