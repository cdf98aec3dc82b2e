/**
 * Part 1 of `npm run bench:analytics` (see bench-analytics.ts): batch ingestion end to end —
 * 500-event batches POSTed to /track-event until every event is acknowledged by InfluxDB — next to
 * raw line-protocol writes of the same events straight to InfluxDB, as a ratio, and the latency of
 * one batch. Both sides get the same events, in the same batches, from the same number of
 * concurrent clients (undici's request, bodies made beforehand), in alternating rounds after an
 * untimed warm-up; the median of the per-round ratios is the figure. The end-to-end side is timed
 * until the service's queue is empty (a row leaves once InfluxDB acknowledged its points), the raw
 * side until its last write is acknowledged; then each round's points are counted, untimed, and
 * must all be there.
 * Knobs: BENCH_EVENTS (600000 per round), BENCH_WARMUP (events sent first, untimed: as many as a
 * round), BENCH_BATCH (500), BENCH_ROUNDS (5),
 * BENCH_CONCURRENCY (4), BENCH_DEDUP (1: each event carries a message_id, claimed in the dedup
 * index as it is accepted; 0: none). Rounds are long enough for each side to pay InfluxDB's compactions of
 * what it writes: with 200 000 events the raw side's 0.7 s mostly ended before the next one,
 * which then ran in the end-to-end side's time (InfluxDB's CPU per point, same points: raw ~10 %
 * below end to end at 200 000 events per round, ~3 % at 600 000).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { request } from 'undici';
import { trackedId } from '../services/analytics/src/ingestion/queue-rows.ts';
import { influxClient } from '../services/analytics/src/store/influx-client.ts';
import { eventLine } from '../services/analytics/src/store/line-protocol.ts';
import { cpuSeconds, cpuUsed, formatCpu, percentile, pool, until } from './bench-lib.ts';

export const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 600_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const WARMUP = Number(process.env.BENCH_WARMUP ?? EVENTS);
const log = (line: string) => process.stderr.write(`${line}\n`);

const scaled = (m: Map<string, number>, k: number) =>
  new Map([...m].map(([name, s]) => [name, s * k] as const));

/** BENCH_DEDUP=0 leaves message ids out; by default every event carries one (deduplicated). */
const DEDUP = process.env.BENCH_DEDUP !== '0';
const RUN = randomUUID();

const batchOf = (b: number, round = 0) =>
  Array.from({ length: BATCH }, (_, i) => ({
    event: `bench.event.${i % 10}`,
    anonymous_id: `anon-${(b * BATCH + i) % 1000}`,
    properties: { batch: b, i, plan: 'pro' },
    // Unique per round: a round repeating the last one's ids would all be duplicates.
    ...(DEDUP ? { message_id: `${RUN}-${round}-${b}-${i}` } : {}),
  }));

/**
 * Runs the rounds against the analytics service at `onInflux` (InfluxDB database `bench`, its
 * queue in the PostgreSQL database at `queueUrl`) and prints the figures.
 */
export async function benchIngestion(deps: {
  influxUrl: string;
  onInflux: string;
  queueUrl: string;
}): Promise<void> {
  const { influxUrl, onInflux, queueUrl } = deps;
  // Rounds of: end to end (accepted by the API and visible in InfluxDB), then the same events
  // as raw line protocol. Alternating rounds expose both sides to the same state of the machine
  // and of InfluxDB (which compacts in the background); the median ratio is the figure.
  const batches = Math.ceil(EVENTS / BATCH);
  const events = batches * BATCH;
  const bench = influxClient({ url: influxUrl, database: 'bench' });
  const queue = new pg.Client({ connectionString: queueUrl });
  queue.on('error', () => {});
  await queue.connect();
  const raw = influxClient({ url: influxUrl, database: 'raw' });
  await raw.query('CREATE DATABASE raw', true);
  /** Points written since `since` (ms): each round counts only its own. */
  const count = async (client: typeof bench, since: number) => {
    const [[series] = []] = await client.query(
      `SELECT COUNT(event_id) FROM events WHERE time >= ${since}ms`,
    );
    return Number(series?.values[0]?.[1] ?? 0);
  };
  // Bodies made beforehand, as the raw lines are: only the systems under test are timed.
  const bodiesOf = (round: number) =>
    Array.from({ length: batches }, (_, b) => JSON.stringify({ events: batchOf(b, round) }));
  let bodies = bodiesOf(0);
  const latencies: number[] = [];
  /** The raw side's points so far are all before this time (ms). */
  let rawAfter = 0;
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
  // Through the primary key: a packed queue row fills a heap page, and a scan for any row (`limit
  // 1`) read the pages of the rows deleted since the last vacuum, every 5 ms.
  const queueEmpty = async () =>
    (await queue.query('select min(seq) is null as empty from queue')).rows[0].empty === true;
  // Untimed warm-up, a round's worth: the first rounds would otherwise also measure the service's
  // JIT compiling its hot paths. After 100 000 events (the warm-up until session 29) V8 still
  // optimized 442 functions during the first round and 224 during the second, where TurboFan was
  // ~9 % of the service's CPU (perf), and the first round was the lowest of five in most runs.
  log(`warming up: ${WARMUP} events through the API…`);
  await pool(Math.ceil(WARMUP / BATCH), CONCURRENCY, post);
  await until(queueEmpty, 600_000, 5);
  for (let round = 1; round <= ROUNDS; round += 1) {
    log(`round ${round}/${ROUNDS}: ${events} events through the API, then as raw line protocol…`);
    bodies = bodiesOf(round);
    const since = Date.now();
    const cpuE2e = await cpuSeconds();
    const startE2e = performance.now();
    await pool(batches, CONCURRENCY, async (b) => {
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
    // After the previous round's raw points, which reach into the future by as long as that
    // round's requests took: counting from an earlier time would count some of them too.
    const now = Math.max(Date.now(), rawAfter);
    rawAfter = now + Math.ceil(acceptedMs) + 1;
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
    await pool(batches, CONCURRENCY, (b) => raw.write(lines[b]!));
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
Batch ingestion (${events} events per round in batches of ${BATCH}, ${CONCURRENCY} concurrent clients, ${ROUNDS} rounds; messageId dedup ${DEDUP ? 'on' : 'off'}; medians)
  end to end, accepted by the API and visible in InfluxDB: ${f(median(rounds.map((r) => r.e2e)))} events/s
  accepted by the API (202):                              ${f(median(rounds.map((r) => r.accepted)))} events/s
  raw line protocol straight to InfluxDB:                 ${f(median(rounds.map((r) => r.raw)))} events/s
  ratio end to end / raw, per round:                      ${ratios.map((r) => r.toFixed(2)).join(' ')}
  ratio end to end / raw, median:                         ${median(ratios).toFixed(2)} (target >= 0.5)
  one ${BATCH}-event batch: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms
  CPU seconds per round, end to end: ${formatCpu(scaled(cpu.e2e, 1 / ROUNDS))}
  CPU seconds per round, raw:        ${formatCpu(scaled(cpu.raw, 1 / ROUNDS))}`);
}
