/**
 * `npm run bench`: the auth service alone (no launcher, no gateway) on an embedded PostgreSQL in
 * a temporary folder, measured in one run so the figures compare with each other: the cost of an
 * authenticated read against a bare liveness probe, logins per second, and resident memory.
 * Absolute numbers depend on the machine (the load generator shares its cores); ratios travel.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDatabase } from '@platform/db';
import { startEmbeddedPostgres } from '@platform/launcher';
import autocannon from 'autocannon';
import { align, postJson, started, startService, stopServices } from './bench-lib.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  failed: number;
}

async function measure(name: string, options: autocannon.Options): Promise<Row> {
  process.stderr.write(`measuring ${name} for ${options.duration} s…\n`);
  const result = await autocannon(options);
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

// Latencies are whole milliseconds; a bare probe can round to 0.
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a (0 ms baseline)');

function table(rows: Row[]): string {
  const lines = [['', 'req/s', 'p50 ms', 'p99 ms', 'failed']];
  for (const r of rows) {
    lines.push([r.name, r.rps.toFixed(0), r.p50.toFixed(1), r.p99.toFixed(1), String(r.failed)]);
  }
  return align(lines);
}

const scratch = await mkdtemp(path.join(tmpdir(), 'bench-'));
const postgres = await startEmbeddedPostgres({ dataDir: scratch });
try {
  const base = await startService('auth', {
    DATABASE_URL: await ensureDatabase(postgres.url, 'auth'),
    PUBLIC_URL: 'http://127.0.0.1',
    MAIL_DIR: path.join(scratch, 'mail'),
  });
  const pid = [...started.keys()][0]!;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const rssIdle = await rssMb(pid);

  const user = { email: 'bench@example.com', username: 'bench', password: 'bench-password-1' };
  await postJson(`${base}/accounts/v1/register`, user);
  const login = { email: user.email, password: user.password };
  const { access_token: token } = await postJson(`${base}/accounts/v1/login`, login);

  const common = { connections: 16, duration: SECONDS };
  const live = await measure('GET /health/live', { ...common, url: `${base}/health/live` });
  const me = await measure('GET /accounts/v1/user', {
    ...common,
    url: `${base}/accounts/v1/user`,
    headers: { authorization: `Bearer ${token}` },
  });
  // Password hashing dominates a login; a few connections already keep both cores busy.
  const logins = await measure('POST /accounts/v1/login', {
    connections: 4,
    duration: SECONDS,
    url: `${base}/accounts/v1/login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(login),
  });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const rssAfter = await rssMb(pid);

  console.log(`\n${table([live, me, logins])}\n`);
  console.log(
    `GET /accounts/v1/user vs GET /health/live: ${ratio(me.rps, live.rps)} the req/s, ${ratio(me.p99, live.p99)} the p99`,
  );
  console.log(`logins/s: ${logins.rps.toFixed(1)}`);
  console.log(
    `auth RSS, idle after start: ${rssIdle.toFixed(1)} MB; idle after the load: ${rssAfter.toFixed(1)} MB`,
  );
  const failed = [live, me, logins].filter((r) => r.failed > 0);
  if (failed.length) {
    console.error(`failed requests in: ${failed.map((r) => r.name).join(', ')}`);
    process.exitCode = 1;
  }
} finally {
  await stopServices();
  await postgres.stop();
  await rm(scratch, { recursive: true, force: true });
}
