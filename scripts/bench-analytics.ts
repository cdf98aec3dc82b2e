/**
 * `npm run bench:analytics`: auth and two analytics processes (one on InfluxDB, one on its own
 * PostgreSQL) on an embedded PostgreSQL and a throwaway influxd, measured in one run:
 *  1. batch ingestion end to end — 500-event batches POSTed to /track-event until every event is
 *     visible in InfluxDB — next to raw line-protocol writes of the same events straight to
 *     InfluxDB, as a ratio; and the p99 latency of one 500-event batch. Both sides get the same
 *     events, in the same 500-event batches, from the same number of concurrent clients, in
 *     alternating rounds (the median counts). The end-to-end side is timed until the service's
 *     queue is empty (every point acknowledged by InfluxDB), the raw side until its last write is
 *     acknowledged; then each round's points are counted, untimed, and must all be there;
 *  2. the `/performance` query time over BENCH_SAMPLES (default 10 million) samples, on the
 *     PostgreSQL store and (unless BENCH_INFLUX_SAMPLES=0) on InfluxDB. The samples are loaded
 *     straight into the stores, then rolled up as the service would: on PostgreSQL by the
 *     statements of the rollup migration; on InfluxDB by marking every minute dirty and timing
 *     the service's own rollup job until it has computed them all.
 * Knobs: BENCH_EVENTS (default 600000 per round), BENCH_BATCH (500), BENCH_ROUNDS (5),
 * BENCH_CONCURRENCY (4), BENCH_SAMPLES, BENCH_INFLUX_SAMPLES; BENCH_CPU_PROF=<dir> writes the CPU
 * profile of the analytics process on InfluxDB there, BENCH_NODE_FLAGS adds Node.js flags to it.
 * Rounds are long enough for each side to pay InfluxDB's compactions of what it writes: with
 * 200 000 events the raw side's 0.7 s mostly ended before the next one, which then ran in the
 * end-to-end side's time (InfluxDB's CPU per point, same points: raw ~10 % below end to end at
 * 200 000 events per round, ~3 % at 600 000).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDatabase } from '@platform/db';
import { startEmbeddedPostgres } from '@platform/launcher';
import { startInflux } from '@platform/testing';
import pg from 'pg';
import { request } from 'undici';
import { trackedId } from '../services/analytics/src/ingestion/queue.ts';
import { influxClient } from '../services/analytics/src/store/influx-client.ts';
import { eventLine, sampleLine } from '../services/analytics/src/store/line-protocol.ts';
import { cpuSeconds, cpuUsed, formatCpu, root, startService, stopServices } from './bench-lib.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 600_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 10_000_000);
const INFLUX_SAMPLES = Number(process.env.BENCH_INFLUX_SAMPLES ?? SAMPLES);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const log = (line: string) => process.stderr.write(`${line}\n`);

const scaled = (m: Map<string, number>, k: number) =>
  new Map([...m].map(([name, s]) => [name, s * k] as const));

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};

/** Runs `count` jobs with `CONCURRENCY` at a time. */
async function pool(count: number, job: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

async function until(check: () => Promise<boolean>, timeoutMs: number, everyMs = 20) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the store');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const batchOf = (b: number) =>
  Array.from({ length: BATCH }, (_, i) => ({
    event: `bench.event.${i % 10}`,
    anonymous_id: `anon-${(b * BATCH + i) % 1000}`,
    properties: { batch: b, i, plan: 'pro' },
  }));

const scratch = await mkdtemp(path.join(tmpdir(), 'bench-analytics-'));
const postgres = await startEmbeddedPostgres({
  dataDir: scratch,
  onLog: (line) => {
    if (/FATAL|PANIC/.test(line)) log(`postgres: ${line.trim()}`);
  },
});
const influx = await startInflux();
try {
  const serviceToken = randomBytes(32).toString('base64url');
  const admin = { email: 'admin@example.com', password: 'bench admin password' };
  const authUrl = await startService('auth', {
    DATABASE_URL: await ensureDatabase(postgres.url, 'auth'),
    MAIL_DIR: path.join(scratch, 'mail'),
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
  });
  const analytics = async (name: string, env: Record<string, string>) =>
    startService(
      'analytics',
      {
        AUTH_URL: authUrl,
        SERVICE_TOKEN: serviceToken,
        DATABASE_URL: await ensureDatabase(postgres.url, name),
        ...env,
      },
      { label: name, profile: name === 'analytics_influx' },
    );
  const onInflux = await analytics('analytics_influx', {
    INFLUX_URL: influx.url,
    INFLUX_DB: 'bench',
  });
  const onPostgres = await analytics('analytics_pg', {});

  const login = await fetch(`${authUrl}/accounts/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(admin),
  });
  const token = ((await login.json()) as { access_token: string }).access_token;

  // 1. Rounds of: end to end (accepted by the API and visible in InfluxDB), then the same events
  // as raw line protocol. Alternating rounds expose both sides to the same state of the machine
  // and of InfluxDB (which compacts in the background); the median ratio is the figure.
  const batches = Math.ceil(EVENTS / BATCH);
  const events = batches * BATCH;
  const bench = influxClient({ url: influx.url, database: 'bench' });
  const queue = new pg.Client({
    connectionString: await ensureDatabase(postgres.url, 'analytics_influx'),
  });
  queue.on('error', () => {});
  await queue.connect();
  const raw = influxClient({ url: influx.url, database: 'raw' });
  await raw.query('CREATE DATABASE raw', true);
  /** Points written since `since` (ms): each round counts only its own. */
  const count = async (client: typeof bench, since: number) => {
    const [[series] = []] = await client.query(
      `SELECT COUNT(event_id) FROM events WHERE time >= ${since}ms`,
    );
    return Number(series?.values[0]?.[1] ?? 0);
  };
  // Bodies made beforehand, as the raw lines are: only the systems under test are timed.
  const bodies = Array.from({ length: batches }, (_, b) => JSON.stringify({ events: batchOf(b) }));
  const latencies: number[] = [];
  const rounds: { e2e: number; accepted: number; raw: number }[] = [];
  const cpu = { e2e: new Map<string, number>(), raw: new Map<string, number>() };
  const addCpu = (total: Map<string, number>, used: Map<string, number>) => {
    for (const [name, s] of used) total.set(name, (total.get(name) ?? 0) + s);
  };
  /** One batch through the API, with undici's request as the raw side's client uses. */
  const post = async (b: number) => {
    const res = await request(`${onInflux}/analytics/v1/track-event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bodies[b % bodies.length]!,
    });
    const text = await res.body.text();
    if (res.statusCode !== 202) throw new Error(`track-event: ${res.statusCode} ${text}`);
  };
  const queueEmpty = async () => (await queue.query('select 1 from queue limit 1')).rowCount === 0;
  // Untimed warm-up: the first round would otherwise also measure the service's JIT compiling
  // its hot paths (it was the lowest of five every time).
  log('warming up: 100 000 events through the API…');
  await pool(200, post);
  await until(queueEmpty, 600_000, 5);
  for (let round = 1; round <= ROUNDS; round += 1) {
    log(`round ${round}/${ROUNDS}: ${events} events through the API, then as raw line protocol…`);
    const since = Date.now();
    const cpuE2e = await cpuSeconds();
    const startE2e = performance.now();
    await pool(batches, async (b) => {
      const t0 = performance.now();
      await post(b);
      latencies.push(performance.now() - t0);
    });
    const acceptedMs = performance.now() - startE2e;
    // The writer deletes a queue row once InfluxDB has acknowledged its points, so an empty
    // queue ends this side as the last acknowledged /write ends the raw one; both are then
    // counted, untimed. (Polling a count instead would charge InfluxDB a scan of the round's
    // points every few milliseconds.)
    await until(queueEmpty, 600_000, 5);
    const e2eMs = performance.now() - startE2e;
    addCpu(cpu.e2e, cpuUsed(cpuE2e, await cpuSeconds()));
    const seen = await count(bench, since);
    if (seen !== events) throw new Error(`end to end: ${seen} of ${events} events in InfluxDB`);

    // The points the service wrote, as near as can be: a UUID per event, and each batch's time
    // when it arrived, spread over the round as the API's requests were.
    const now = Date.now();
    // One text per batch, made beforehand as the API's bodies are: the raw side's client only
    // sends, as the end-to-end side's does.
    const lines = Array.from({ length: batches }, (_, b) => {
      const base = randomUUID();
      const batch = batchOf(b).map((e, i) =>
        eventLine({
          seq: (round * batches + b) * BATCH + i,
          id: trackedId(base, i),
          event: e.event,
          source: 'client',
          userId: null,
          anonymousId: e.anonymous_id,
          properties: e.properties,
          timestamp: '',
          time: now + Math.floor((b * acceptedMs) / batches),
        }),
      );
      return `${batch.join('\n')}\n`;
    });
    const cpuRaw = await cpuSeconds();
    const startRaw = performance.now();
    await pool(batches, (b) => raw.write(lines[b]!));
    const rawMs = performance.now() - startRaw;
    addCpu(cpu.raw, cpuUsed(cpuRaw, await cpuSeconds()));
    if ((await count(raw, now)) !== events) throw new Error('raw write lost points');
    rounds.push({
      e2e: events / (e2eMs / 1000),
      accepted: events / (acceptedMs / 1000),
      raw: events / (rawMs / 1000),
    });
    log(
      `  end to end ${e2eMs.toFixed(0)} ms (accepted in ${acceptedMs.toFixed(0)}), raw ${rawMs.toFixed(0)} ms`,
    );
  }

  await queue.end();
  const f = (n: number) => n.toFixed(0);
  const median = (values: number[]) => percentile(values, 50);
  const ratios = rounds.map((r) => r.e2e / r.raw);
  console.log(`
Batch ingestion (${events} events per round in batches of ${BATCH}, ${CONCURRENCY} concurrent clients, ${ROUNDS} rounds; medians)
  end to end, accepted by the API and visible in InfluxDB: ${f(median(rounds.map((r) => r.e2e)))} events/s
  accepted by the API (202):                              ${f(median(rounds.map((r) => r.accepted)))} events/s
  raw line protocol straight to InfluxDB:                 ${f(median(rounds.map((r) => r.raw)))} events/s
  ratio end to end / raw, per round:                      ${ratios.map((r) => r.toFixed(2)).join(' ')}
  ratio end to end / raw, median:                         ${median(ratios).toFixed(2)} (target >= 0.5)
  one 500-event batch: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms
  CPU seconds per round, end to end: ${formatCpu(scaled(cpu.e2e, 1 / ROUNDS))}
  CPU seconds per round, raw:        ${formatCpu(scaled(cpu.raw, 1 / ROUNDS))}`);

  // 2. /performance over many samples.
  /** Times one query and prints it at once; a failure is printed, not fatal. */
  const timed = async (label: string, url: string) => {
    const t0 = performance.now();
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const body = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200) {
      console.log(`  ${label}: ${res.status} after ${f(ms)} ms: ${body.slice(0, 200)}`);
      return;
    }
    const series = (JSON.parse(body) as { series: { points: { requests: number }[] }[] }).series;
    const points = series.reduce((n, x) => n + x.points.length, 0);
    // Every sample counted once: the rollups are complete.
    const requests = series.reduce((n, x) => n + x.points.reduce((m, p) => m + p.requests, 0), 0);
    console.log(`  ${label}: ${f(ms)} ms (${points} points, ${requests} requests)`);
  };
  const span = 7 * 86_400_000;
  const end = Math.floor(Date.now() / 3600_000) * 3600_000;
  const start = end - span;
  const q = (base: string, from: number, interval: string) =>
    `${base}/analytics/v1/performance?from=${new Date(from).toISOString()}&to=${new Date(end).toISOString()}&interval=${interval}`;

  log(`loading ${SAMPLES} samples into the PostgreSQL store…`);
  const db = new pg.Client({
    connectionString: await ensureDatabase(postgres.url, 'analytics_pg'),
  });
  db.on('error', () => {});
  await db.connect();
  const step = span / SAMPLES;
  for (let from = 1; from <= SAMPLES; from += 1_000_000) {
    const to = Math.min(SAMPLES, from + 999_999);
    await db.query(
      `insert into samples (seq, service, route, method, status, duration_ms, occurred_at)
       select g, 'service' || (g % 4), '/api/v1/route' || (g % 25), 'GET',
         case when g % 97 = 0 then 503 else 200 end, 1 + (g * 7919 % 1000) / 10.0,
         to_timestamp(($1::float8 + g * $2::float8) / 1000.0)
       from generate_series($3::bigint, $4::bigint) g`,
      [start, step, from, to],
    );
  }
  // The rollups the migrations build from samples already stored, with their very statements.
  for (const file of ['0002_rollups.sql', '0005_rollups_15m.sql']) {
    const migration = await readFile(path.join(root, 'services/analytics/drizzle', file), 'utf8');
    for (const statement of migration.split('--> statement-breakpoint')) {
      if (/^\s*(--.*\n\s*)*INSERT INTO "sample_rollups/i.test(statement)) await db.query(statement);
    }
  }
  await db.query('analyze samples, sample_rollups_1m, sample_rollups_15m, sample_rollups_1h');
  await db.end();
  console.log(
    `\n/performance over ${SAMPLES} samples (7 days, 4 services x 25 routes), PostgreSQL store`,
  );
  const queries = (base: string) => [
    ['last hour at 1m ', q(base, end - 3600_000, '1m')],
    ['last day at 1m  ', q(base, end - 86_400_000, '1m')],
    ['last day at 15m ', q(base, end - 86_400_000, '15m')],
    ['whole week at 1h', q(base, start, '1h')],
    ['30 days at 1h   ', q(base, end - 30 * 86_400_000, '1h')],
    ['whole week at 1d', q(base, start, '1d')],
  ];
  for (const [label, url] of queries(onPostgres)) await timed(label!, url!);

  if (INFLUX_SAMPLES > 0) {
    // The service settles from when its rollups are complete at its first query or sample:
    // before these samples arrive, as for a service that was running when they were taken.
    await fetch(q(onInflux, end - 3600_000, '1m'), {
      headers: { authorization: `Bearer ${token}` },
    });
    log(`loading ${INFLUX_SAMPLES} samples into InfluxDB…`);
    const istep = span / INFLUX_SAMPLES;
    await pool(Math.ceil(INFLUX_SAMPLES / 5000), async (chunk) => {
      const part: string[] = [];
      for (let g = chunk * 5000 + 1; g <= Math.min(INFLUX_SAMPLES, (chunk + 1) * 5000); g += 1) {
        part.push(
          sampleLine({
            seq: g,
            service: `service${g % 4}`,
            route: `/api/v1/route${g % 25}`,
            method: 'GET',
            status: g % 97 === 0 ? 503 : 200,
            durationMs: 1 + ((g * 7919) % 1000) / 10,
            timestamp: new Date(start + g * istep).toISOString(),
            requestId: null,
            userId: null,
            upstream: null,
          }),
        );
      }
      await bench.write(part);
    });
    // What the writer does after each write of samples: mark their minutes for the rollup job.
    const state = new pg.Client({
      connectionString: await ensureDatabase(postgres.url, 'analytics_influx'),
    });
    state.on('error', () => {});
    await state.connect();
    const [{ store }] = (await state.query('select store from rollup_state')).rows;
    await state.query(
      `insert into rollup_dirty (store, minute)
       select $1, m from generate_series($2::timestamptz, $3::timestamptz, '1 minute') m
       on conflict do nothing`,
      [store, new Date(start), new Date(end)],
    );
    log('waiting for the service to roll them up…');
    const t0 = performance.now();
    await until(
      async () => (await state.query('select 1 from rollup_dirty limit 1')).rowCount === 0,
      3600_000,
    );
    await state.end();
    console.log(
      `InfluxDB rollups of ${INFLUX_SAMPLES} samples (${(span / 60_000).toFixed(0)} minutes) computed by the service in ${f(performance.now() - t0)} ms`,
    );
    console.log(`/performance over ${INFLUX_SAMPLES} samples, InfluxDB store`);
    for (const [label, url] of queries(onInflux)) await timed(label!, url!);
  }
} finally {
  await stopServices();
  await influx.stop();
  await postgres.stop();
  await rm(scratch, { recursive: true, force: true });
}
