/**
 * `npm run bench:idle`: what the stack costs while nobody uses it. Auth, main, analytics and the
 * gateway run as `npm start` runs them (bundled by esbuild, @platform/launcher's compileServices)
 * on one embedded PostgreSQL, without Redis, so every verifier follows auth's revocation feed over
 * HTTP. After they are ready and have settled, it reads each process's CPU time from /proc,
 * idles BENCH_IDLE_MS (default 60 s), reads again and prints CPU milliseconds per second of idling
 * per process (PostgreSQL's backends under `postgres`).
 *
 * BENCH_IDLE_VISIT_MS (default 0: never): one anonymous read of a list page through the gateway
 * this often, from before settling to the end, as a site with the odd visitor has: the gateway
 * then follows main's cache version (it stops a minute after the last kept answer was used). The
 * number of `/internal/cache-version` requests main saw while idling is printed too.
 */
import { symlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDatabase } from '@platform/db';
import { compileServices, startEmbeddedPostgres } from '@platform/launcher';
import { edgeRoutesSetting, loadManifests } from '@platform/manifest';
import { align, cpuSeconds, cpuUsed, root, startService, stopServices } from './bench-lib.ts';

const SERVICES = ['auth', 'main', 'analytics', 'gateway'] as const;
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 60_000);
/** Start-up work (first syncs, permission declarations, the first collections) is not idling. */
const SETTLE_MS = 10_000;
const VISIT_MS = Number(process.env.BENCH_IDLE_VISIT_MS ?? 0);

/** `/internal/cache-version` requests main has answered (held or not). */
async function versionRequests(main: string): Promise<number> {
  const text = await (await fetch(`${main}/metrics`)).text();
  return [...text.matchAll(/^main_cache_version_requests_total\{[^}]*\} (\d+)/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
}

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
  const gateway = await startService(
    'gateway',
    {
      AUTH_URLS: auth,
      MAIN_URLS: main,
      ANALYTICS_URLS: analytics,
      AUTH_URL: auth,
      // As npm start sets it: main's anonymous list is a route the gateway may answer itself.
      EDGE_ROUTES: edgeRoutesSetting(loadManifests(root)),
    },
    entry('gateway'),
  );
  const visit = () => fetch(`${gateway}/main/v1/posts?limit=10`).then((r) => r.arrayBuffer());
  let visits: NodeJS.Timeout | undefined;
  if (VISIT_MS > 0) {
    await visit();
    visits = setInterval(() => void visit().catch(() => {}), VISIT_MS);
  }
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const asked = await versionRequests(main);
  process.stderr.write(`ready; idling ${IDLE_MS / 1000} s…\n`);
  const before = await cpuSeconds();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const used = cpuUsed(before, await cpuSeconds());
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(visits);
  const feedRequests = (await versionRequests(main)) - asked;
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
  console.log(
    `\n/internal/cache-version requests at main while idling: ${feedRequests}` +
      (VISIT_MS > 0 ? ` (a visit every ${VISIT_MS / 1000} s)` : ' (no visits)'),
  );
} finally {
  await stopServices();
  await postgres.stop();
  await rm(scratch, { recursive: true, force: true });
}
