import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { Counter, Gauge } from 'prom-client';

/**
 * The relay's backlog, read at each scrape (every replica reports the shared outbox; alert on the
 * max): events written but not yet accepted by analytics, and how long the oldest has waited.
 * And the published events this replica's purges deleted (sum over replicas): returns what to
 * call with each purge's count.
 */
export function registerOutboxMetrics(
  app: FastifyInstance,
  pool: pg.Pool,
): { purged(count: number): void } {
  let last: Promise<Record<'pending' | 'oldest' | 'aside' | 'refused', number>> | undefined;
  const read = () => {
    last ??= pool
      .query<{ pending: number; oldest: number | null; aside: number; refused: number }>(
        `select count(*) filter (where set_aside_at is null)::float8 as pending,
                extract(epoch from now() - min(occurred_at) filter (where set_aside_at is null))::float8 as oldest,
                count(*) filter (where set_aside_at is not null)::float8 as aside,
                count(*) filter (where set_aside_at is null and refusals > 0)::float8 as refused
           from outbox where published_at is null`,
      )
      .then(({ rows }) => ({
        pending: rows[0]?.pending ?? 0,
        oldest: Math.max(0, rows[0]?.oldest ?? 0),
        aside: rows[0]?.aside ?? 0,
        refused: rows[0]?.refused ?? 0,
      }))
      // Before the migrations ran, or with the database away: "unknown", not a failed scrape.
      .catch(() => ({
        pending: Number.NaN,
        oldest: Number.NaN,
        aside: Number.NaN,
        refused: Number.NaN,
      }))
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
    name: 'outbox_set_aside_events',
    help: 'Domain events a subscriber refused again and again, set aside (never relayed again unless cleared)',
    registers: [app.metrics],
    async collect() {
      this.set((await read()).aside);
    },
  });
  new Gauge({
    name: 'outbox_refused_events',
    help: 'Domain events a subscriber refused as such, sent again with backoff until taken or set aside',
    registers: [app.metrics],
    async collect() {
      this.set((await read()).refused);
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
  const purged = new Counter({
    name: 'outbox_purged_events_total',
    help: 'Published outbox events deleted once older than the retention (OUTBOX_RETENTION_DAYS)',
    registers: [app.metrics],
  });
  return { purged: (count) => purged.inc(count) };
}
