/**
 * `npm run bench:gateway`: what the gateway and NGINX cost. Auth and main run on an embedded
 * PostgreSQL (main seeded with posts); the same two requests — `GET /main/v1/posts?limit=20` and an
 * authenticated `GET /accounts/v1/user` — are measured in one run directly on the service, through
 * the gateway, through NGINX → gateway, and through NGINX → service alone. Every process logs at
 * `warn` (no access lines), the gateway's limits are set out of reach and analytics is not
 * running (samples are dropped and counted), so the figures show the forwarding path itself.
 * Absolute numbers depend on the machine (autocannon shares its two cores); ratios travel.
 * `BENCH_CPU_PROF=<dir>` writes each service's CPU profile there (`node --cpu-prof`) for the
 * whole run, and prints which process each is and how many requests each URL served (warm-ups
 * included) to divide them by; open them in Chrome DevTools or speedscope.
 *
 * Then the cost of tracing: a second auth, main and gateway on the same databases with
 * OpenTelemetry on at 100 % sampling, exporting OTLP/protobuf to a local receiver that reads and
 * drops the batches (a process of its own, `otlp sink` in the CPU table: a collector runs
 * elsewhere in production), measured against the first (tracing off) through the gateway, side by
 * side; the exporting services' own CPU for encoding and sending is in their columns.
 * `BENCH_TRACING=0` skips it; `BENCH_TRACING=only` measures just that.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDatabase } from '@platform/db';
import { startEmbeddedPostgres } from '@platform/launcher';
import { startNginx, type TestNginx } from '@platform/testing';
import autocannon from 'autocannon';
import { align, cpuSeconds, postJson, startService, stopServices } from './bench-lib.ts';
import { startTraceSink, tracedEnv } from './bench-trace-sink.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  failed: number;
  requests: number;
  /** CPU seconds each process spent during the measured seconds. */
  cpu: Map<string, number>;
}

/** Requests each URL served, warm-ups included: what a CPU profile of the run divides by. */
const served = new Map<string, number>();

async function measure(name: string, url: string, headers: Record<string, string>) {
  process.stderr.write(`measuring ${name} for ${SECONDS} s…\n`);
  // A short warm-up so connection pools and JIT are in place before the figures count.
  const warm = await autocannon({ url, headers, connections: CONNECTIONS, duration: 1 });
  const before = await cpuSeconds();
  const r = await autocannon({ url, headers, connections: CONNECTIONS, duration: SECONDS });
  const after = await cpuSeconds();
  served.set(url, (served.get(url) ?? 0) + warm.requests.total + r.requests.total);
  const row: Row = {
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    failed: r.non2xx + r.errors + r.timeouts,
    requests: r.requests.total,
    cpu: new Map([...after].map(([name, cpu]) => [name, cpu - (before.get(name) ?? 0)])),
  };
  return row;
}

function median(name: string, rows: Row[]): Row {
  const mid = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return {
    name,
    rps: mid(rows.map((r) => r.rps)),
    p50: mid(rows.map((r) => r.p50)),
    p99: mid(rows.map((r) => r.p99)),
    failed: rows.reduce((sum, r) => sum + r.failed, 0),
    requests: rows.reduce((sum, r) => sum + r.requests, 0),
    cpu: rows.reduce((sum, r) => {
      for (const [name, cpu] of r.cpu) sum.set(name, (sum.get(name) ?? 0) + cpu);
      return sum;
    }, new Map<string, number>()),
  };
}

/**
 * CPU microseconds per request of each process on each path, over all rounds: what a path
 * costs where every process has a core of its own, which two shared cores cannot show.
 */
function cpuTable(rows: Row[]): string {
  const processes = [...new Set(rows.flatMap((r) => [...r.cpu.keys()]))].filter((name) =>
    rows.some((r) => (r.cpu.get(name) ?? 0) / r.requests > 5e-6),
  );
  const lines = [['CPU µs per request', ...processes]];
  for (const r of rows) {
    lines.push([
      r.name,
      ...processes.map((name) => cell(((r.cpu.get(name) ?? 0) / r.requests) * 1e6)),
    ]);
  }
  return align(lines);
}

const cell = (n: number, digits = 0) => n.toFixed(digits);
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}` : 'n/a');

function table(rows: Row[]): string {
  const direct = rows[0]!;
  const lines = [['', 'req/s', 'p50 ms', 'p99 ms', 'failed', 'req/s vs direct']];
  for (const r of rows) {
    lines.push([
      r.name,
      cell(r.rps),
      cell(r.p50, 1),
      cell(r.p99, 1),
      String(r.failed),
      ratio(r.rps, direct.rps),
    ]);
  }
  return align(lines);
}

const scratch = await mkdtemp(path.join(tmpdir(), 'bench-gateway-'));
const postgres = await startEmbeddedPostgres({ dataDir: scratch });
const proxies: TestNginx[] = [];
const closers: (() => Promise<void>)[] = [];

const start = (name: string, env: Record<string, string>) =>
  startService(name, env, { profile: true });

try {
  const auth = await start('auth', {
    DATABASE_URL: await ensureDatabase(postgres.url, 'auth'),
    PUBLIC_URL: 'http://127.0.0.1',
    MAIL_DIR: path.join(scratch, 'mail'),
  });
  const main = await start('main', {
    DATABASE_URL: await ensureDatabase(postgres.url, 'main'),
    AUTH_URL: auth,
  });
  const unlimited = String(1e9);
  const gateway = await start('gateway', {
    AUTH_URLS: auth,
    MAIN_URLS: main,
    AUTH_URL: auth,
    RATE_LIMIT_PER_ADDRESS: unlimited,
    RATE_LIMIT_PER_USER: unlimited,
    RATE_LIMIT_PER_ADDRESS_SIGNED_IN: unlimited,
  });
  const host = (url: string) => new URL(url).host;
  const [nginxGateway, nginxMain, nginxAuth] = await Promise.all(
    [gateway, main, auth].map((u) => startNginx({ upstream: host(u), workers: 1 })),
  );
  proxies.push(nginxGateway!, nginxMain!, nginxAuth!);

  const user = { email: 'bench@example.com', username: 'bench', password: 'bench-password-1' };
  await postJson(`${auth}/accounts/v1/register`, user);
  const login = await postJson(`${auth}/accounts/v1/login`, {
    email: user.email,
    password: user.password,
  });
  const token = login.access_token as string;
  for (let i = 0; i < 40; i++) {
    await postJson(
      `${main}/main/v1/posts`,
      { title: `Post ${i}`, body: `Body of post ${i}. `.repeat(20), status: 'published' },
      token,
    );
  }

  const cases: {
    path: string;
    headers: Record<string, string>;
    service: string;
    nginxService: TestNginx;
  }[] = [
    { path: '/main/v1/posts?limit=20', headers: {}, service: main, nginxService: nginxMain! },
    {
      path: '/accounts/v1/user',
      headers: { authorization: `Bearer ${token}` },
      service: auth,
      nginxService: nginxAuth!,
    },
  ];
  const failed: string[] = [];
  for (const c of process.env.BENCH_TRACING === 'only' ? [] : cases) {
    const paths = [
      { name: 'direct', url: c.service + c.path },
      { name: 'gateway', url: gateway + c.path },
      { name: 'nginx → gateway', url: nginxGateway!.url + c.path },
      { name: 'nginx → service', url: c.nginxService.url + c.path },
    ];
    // Rounds in rotated order, median per path: a neighbour's burst on the shared cores then
    // skews one sample of every path rather than the whole of one.
    const samples = new Map<string, Row[]>(paths.map((p) => [p.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < paths.length; i++) {
        const p = paths[(i + round) % paths.length]!;
        samples
          .get(p.name)!
          .push(await measure(`${p.name} (round ${round + 1})`, p.url, c.headers));
      }
    }
    const rows = paths.map((p) => median(p.name, samples.get(p.name)!));
    console.log(
      `\nGET ${c.path} (${CONNECTIONS} connections, median of ${ROUNDS} × ${SECONDS} s)\n${table(rows)}`,
    );
    console.log(`\n${cpuTable(rows)}`);
    console.log(
      `gateway vs direct: ${ratio(rows[1]!.rps, rows[0]!.rps)} of the req/s (target ≥ 0.7); ` +
        `nginx → gateway vs nginx → service: ${ratio(rows[2]!.rps, rows[3]!.rps)} (target ≥ 0.8)`,
    );
    failed.push(...rows.filter((r) => r.failed > 0).map((r) => `${c.path} ${r.name}`));
  }
  if (process.env.BENCH_TRACING !== '0') {
    const sink = await startTraceSink();
    closers.push(sink.close);
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_SAMPLER: 'always_on',
      ...tracedEnv(),
    };
    const authTraced = await startService(
      'auth',
      {
        DATABASE_URL: await ensureDatabase(postgres.url, 'auth'),
        PUBLIC_URL: 'http://127.0.0.1',
        MAIL_DIR: path.join(scratch, 'mail'),
        ...otel,
      },
      { label: 'auth (traced)', profile: true },
    );
    const mainTraced = await startService(
      'main',
      { DATABASE_URL: await ensureDatabase(postgres.url, 'main'), AUTH_URL: authTraced, ...otel },
      { label: 'main (traced)', profile: true },
    );
    const gatewayTraced = await startService(
      'gateway',
      {
        AUTH_URLS: authTraced,
        MAIN_URLS: mainTraced,
        AUTH_URL: authTraced,
        RATE_LIMIT_PER_ADDRESS: unlimited,
        RATE_LIMIT_PER_USER: unlimited,
        RATE_LIMIT_PER_ADDRESS_SIGNED_IN: unlimited,
        ...otel,
      },
      { label: 'gateway (traced)', profile: true },
    );
    for (const c of cases) {
      const paths = [
        { name: 'gateway, tracing off', url: gateway + c.path },
        { name: 'gateway, tracing on (100 %)', url: gatewayTraced + c.path },
      ];
      const samples = new Map<string, Row[]>(paths.map((p) => [p.name, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < paths.length; i++) {
          const p = paths[(i + round) % paths.length]!;
          samples
            .get(p.name)!
            .push(await measure(`${p.name} (round ${round + 1})`, p.url, c.headers));
        }
      }
      const rows = paths.map((p) => median(p.name, samples.get(p.name)!));
      console.log(
        `\nGET ${c.path}: tracing (${CONNECTIONS} connections, median of ${ROUNDS} × ${SECONDS} s)\n${table(rows)}`,
      );
      console.log(`\n${cpuTable(rows)}`);
      const kept = rows[1]!.rps / rows[0]!.rps;
      console.log(
        `tracing on keeps ${ratio(rows[1]!.rps, rows[0]!.rps)} of the req/s ` +
          `(costs ${((1 - kept) * 100).toFixed(1)} %; target < 15 %) on Node ${process.versions.node}` +
          (Number(process.versions.node.split('.')[0]) < 22
            ? ' (AsyncLocalStorage hooks every promise here: docs/measurements/tracing-overhead.md, "Third round")'
            : ''),
      );
      failed.push(...rows.filter((r) => r.failed > 0).map((r) => `${c.path} ${r.name}`));
    }
    const { requests, bytes } = await sink.stats();
    console.log(`\nspans exported: ${requests} OTLP requests, ${(bytes / 1e6).toFixed(1)} MB`);
    if (process.env.BENCH_CPU_PROF)
      console.log(
        `requests served, warm-ups included: ${JSON.stringify(Object.fromEntries(served))}`,
      );
  }
  if (failed.length) {
    console.error(`failed requests in: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
} finally {
  for (const proxy of proxies) await proxy.stop();
  await stopServices();
  for (const close of closers) await close();
  await postgres.stop();
  await rm(scratch, { recursive: true, force: true });
}
