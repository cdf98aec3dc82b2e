import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { Gauge } from 'prom-client';

/**
 * The relay's backlog, read at each scrape (every replica reports the shared outbox; alert on the
 * max): events written but not yet accepted by analytics, and how long the oldest has waited.
 */
export function registerOutboxMetrics(app: FastifyInstance, pool: pg.Pool): void {
  let last: Promise<{ pending: number; oldest: number }> | undefined;
  const read = () => {
    last ??= pool
      .query<{ pending: number; oldest: number | null }>(
        `select count(*)::float8 as pending,
                extract(epoch from now() - min(occurred_at))::float8 as oldest
           from outbox where published_at is null`,
      )
      .then(({ rows }) => ({
        pending: rows[0]?.pending ?? 0,
        oldest: Math.max(0, rows[0]?.oldest ?? 0),
      }))
      // Before the migrations ran, or with the database away: "unknown", not a failed scrape.
      .catch(() => ({ pending: Number.NaN, oldest: Number.NaN }))
      .finally(() => {
        setImmediate(() => {
          last = undefined;
        });
      });
    return last;
  };
  new Gauge({
    name: 'outbox_pending_events',
    help: 'Domain events in the outbox not yet relayed to analytics',
    registers: [app.metrics],
    async collect() {
      this.set((await read()).pending);
    },
  });
  new Gauge({
    name: 'outbox_oldest_pending_seconds',
    help: 'Age of the oldest outbox event not yet relayed to analytics: the relay lag',
    registers: [app.metrics],
    async collect() {
      this.set((await read()).oldest);
    },
  });
}
