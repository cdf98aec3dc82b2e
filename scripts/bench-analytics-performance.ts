/**
 * Part 2 of `npm run bench:analytics` (see bench-analytics.ts): the `/performance` query time
 * over BENCH_SAMPLES (default 10 million) samples, on the PostgreSQL store and (unless
 * BENCH_INFLUX_SAMPLES=0) on InfluxDB. The samples are loaded straight into the stores, then
 * rolled up as the service would: on PostgreSQL by the statements of the rollup migrations; on
 * InfluxDB by marking every minute dirty and timing the service's own rollup job until it has
 * computed them all.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureDatabase } from '@platform/db';
import pg from 'pg';
import { influxClient } from '../services/analytics/src/store/influx-client.ts';
import { sampleLine } from '../services/analytics/src/store/line-protocol.ts';
import { CONCURRENCY } from './bench-analytics-ingestion.ts';
import { pool, root, until } from './bench-lib.ts';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 10_000_000);
const INFLUX_SAMPLES = Number(process.env.BENCH_INFLUX_SAMPLES ?? SAMPLES);
const log = (line: string) => process.stderr.write(`${line}\n`);
const f = (n: number) => n.toFixed(0);

/**
 * Loads and queries the analytics service at `onPostgres` (its database on `postgresUrl`) and the
 * one at `onInflux` (InfluxDB database `bench`), as an admin with `token`; prints the figures.
 */
export async function benchPerformance(deps: {
  postgresUrl: string;
  influxUrl: string;
  onPostgres: string;
  onInflux: string;
  token: string;
}): Promise<void> {
  const { postgresUrl, influxUrl, onPostgres, onInflux, token } = deps;
  const influx = influxClient({ url: influxUrl, database: 'bench' });
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
    connectionString: await ensureDatabase(postgresUrl, 'analytics_pg'),
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
    await pool(Math.ceil(INFLUX_SAMPLES / 5000), CONCURRENCY, async (chunk) => {
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
      await influx.write(part);
    });
    // What the writer does after each write of samples: mark their minutes for the rollup job.
    const state = new pg.Client({
      connectionString: await ensureDatabase(postgresUrl, 'analytics_influx'),
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
}
