/**
 * `npm run bench:idle`: what the stack costs while nobody uses it. Auth, main, analytics and the
 * gateway run as `npm start` runs them (bundled by esbuild, @platform/launcher's compileServices)
 * on one embedded PostgreSQL, without Redis, so every verifier follows auth's revocation feed over
 * HTTP. After they are ready and have settled, it reads each process's CPU time from /proc,
 * idles BENCH_IDLE_MS (default 60 s), reads again and prints CPU milliseconds per second of idling
 * per process (PostgreSQL's backends under `postgres`).
 */
import { symlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDatabase } from '@platform/db';
import { compileServices, startEmbeddedPostgres } from '@platform/launcher';
import { align, cpuSeconds, cpuUsed, root, startService, stopServices } from './bench-lib.ts';

const SERVICES = ['auth', 'main', 'analytics', 'gateway'] as const;
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 60_000);
/** Start-up work (first syncs, permission declarations, the first collections) is not idling. */
const SETTLE_MS = 10_000;

const scratch = await mkdtemp(path.join(tmpdir(), 'bench-idle-'));
const postgres = await startEmbeddedPostgres({ dataDir: scratch });
try {
  // The bundles resolve third-party packages from here, as under node_modules/.cache.
  symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'));
  const entries = await compileServices(root, [...SERVICES], path.join(scratch, 'npm-start'));
  const entry = (service: string) => ({ entry: entries.get(service)! });
  const db = (name: string) => ensureDatabase(postgres.url, `${name}_idle`);
  const auth = await startService(
    'auth',
    {
      DATABASE_URL: await db('auth'),
      PUBLIC_URL: 'http://127.0.0.1',
      MAIL_DIR: path.join(scratch, 'mail'),
    },
    entry('auth'),
  );
  const main = await startService(
    'main',
    { DATABASE_URL: await db('main'), AUTH_URL: auth },
    entry('main'),
  );
  const analytics = await startService(
    'analytics',
    { DATABASE_URL: await db('analytics'), AUTH_URL: auth },
    entry('analytics'),
  );
  await startService(
    'gateway',
    { AUTH_URLS: auth, MAIN_URLS: main, ANALYTICS_URLS: analytics, AUTH_URL: auth },
    entry('gateway'),
  );
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  process.stderr.write(`ready; idling ${IDLE_MS / 1000} s…\n`);
  const before = await cpuSeconds();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const used = cpuUsed(before, await cpuSeconds());
  const seconds = (performance.now() - t0) / 1000;
  const rows = [...SERVICES, 'postgres'].map((name) => [
    name,
    ((used.get(name) ?? 0) / seconds) * 1000,
  ]);
  const total = rows.reduce((n, [, ms]) => n + (ms as number), 0);
  console.log(`\nCPU while idle, ${seconds.toFixed(0)} s, no Redis (ms of CPU per second)\n`);
  console.log(
    align([
      ['process', 'CPU ms/s'],
      ...rows.map(([name, ms]) => [name as string, (ms as number).toFixed(1)]),
      ['total', total.toFixed(1)],
    ]),
  );
} finally {
  await stopServices();
  await postgres.stop();
  await rm(scratch, { recursive: true, force: true });
}
