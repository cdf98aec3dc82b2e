import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';
import { createTestDatabase } from '@platform/testing';
import pg from 'pg';
import { type OutboxRelay, type OutboxRelayOptions, startOutboxRelay } from '../src/index.ts';

/**
 * A test database of the file's own with the outbox table, dropped after its tests: a pool on
 * it. Each test file gets one, so files running side by side never share rows.
 */
export async function outboxDatabase(): Promise<pg.Pool> {
  const database = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: database.url });
  after(async () => {
    await pool.end();
    await database.drop();
  });
  await createOutbox(pool);
  return pool;
}

/** The table every producing service has, with its indexes (src/table.ts `outbox`). */
async function createOutbox(pool: pg.Pool) {
  await pool.query(`create table outbox (id bigserial primary key, type text not null,
    payload jsonb not null, occurred_at timestamptz not null default now(),
    published_at timestamptz, trace_context text, set_aside_at timestamptz, failure text,
    refusals int not null default 0, first_refused_at timestamptz, retry_at timestamptz,
    delivered_to text[])`);
  await pool.query(`create index outbox_unpublished_idx on outbox (id)
    where published_at is null and set_aside_at is null`);
  await pool.query(`create index outbox_published_idx on outbox (published_at)
    where published_at is not null`);
}

export interface SentEvent {
  id: string;
  type: string;
  payload: Record<string, unknown>;
}

/**
 * A subscriber answering each POST with `status(events)`, keeping the events of its 2xx answers
 * (`received`) and every batch it was sent (`batches`).
 */
export async function subscriber(status: (events: SentEvent[]) => number) {
  const received: string[] = [];
  const batches: { ids: string[]; status: number }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const { events } = JSON.parse(body) as { events: SentEvent[] };
      const code = status(events);
      batches.push({ ids: events.map((e) => e.id), status: code });
      if (code < 300) received.push(...events.map((e) => e.id));
      res
        .writeHead(code, { 'content-type': 'application/json' })
        .end('{"code":"validation_failed"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, batches, calls: () => batches.length };
}

/** Polls `done` (every 25 ms, up to 20 s under a loaded machine) until it holds. */
export async function until(done: () => boolean | Promise<boolean>) {
  for (let i = 0; i < 800; i += 1) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('timed out waiting');
}

/** A log that keeps nothing, and the service token the relays send. */
export const quietLog = { debug: () => {}, info: () => {}, warn: () => {} };
export const TOKEN = 's'.repeat(40);

/**
 * Starts a relay as these tests run one: for `auth`, looking every 20 ms, sending refused events
 * again 50 ms later (1 s doubling up to 30 s by default), logging nothing; `options` on top (its
 * pool, its subscribers…). Closed after the test if the test did not close it.
 */
export function startRelay(
  options: Partial<OutboxRelayOptions> & Pick<OutboxRelayOptions, 'subscribers'>,
): OutboxRelay {
  const relay = startOutboxRelay({
    service: 'auth',
    serviceToken: TOKEN,
    log: quietLog,
    intervalMs: 20,
    maxBackoffMs: 50,
    ...options,
  });
  after(() => relay.close());
  return relay;
}
