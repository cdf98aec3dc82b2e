/**
 * `npm run bench:memory` (also part of `npm run bench`): each service's resident memory (VmRSS)
 * when idle, a few seconds after it is ready, in two forms: as `npm start` runs it (bundled by
 * esbuild into node_modules/.cache, @platform/launcher's compileServices) and as its image runs it
 * (compiled by deploy/docker/build.mjs, plain `node main.js`). All four run side by side on one embedded
 * PostgreSQL with their default settings; no Redis, so no service loads a Redis client.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDatabase } from '@platform/db';
import { compileServices, startEmbeddedPostgres } from '@platform/launcher';
import { align, root, started, startService, stopServices } from './bench-lib.ts';

const SERVICES = ['auth', 'main', 'analytics', 'gateway'] as const;
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 3000);
const TARGET_MB = 100;

/** The image's app folder of `service`, runnable here against the repository's node_modules. */
function build(service: string, scratch: string): string {
  const out = path.join(scratch, 'build', service);
  const made = spawnSync(process.execPath, ['deploy/docker/build.mjs', service, out], {
    cwd: root,
    encoding: 'utf8',
  });
  if (made.status !== 0) throw new Error(`build ${service}: ${made.stderr}`);
  const app = path.join(out, 'app');
  // The image installs the workspace packages as @platform/*; here they point at the build's.
  mkdirSync(path.join(app, 'node_modules', '@platform'), { recursive: true });
  for (const name of readdirSync(path.join(app, 'packages'))) {
    symlinkSync(
      path.join(app, 'packages', name),
      path.join(app, 'node_modules', '@platform', name),
    );
  }
  return path.join(app, 'main.js');
}

const rssMb = async (pid: number) => {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN) / 1024;
};

async function measure(
  form: string,
  entryOf: (service: string) => string | undefined,
  postgresUrl: string,
  scratch: string,
): Promise<Map<string, number>> {
  process.stderr.write(`starting the services (${form})…\n`);
  started.clear();
  const db = (name: string) => ensureDatabase(postgresUrl, `${name}_${form.replace(/\W/g, '_')}`);
  const options = (service: string) => {
    const entry = entryOf(service);
    return entry ? { entry } : {};
  };
  const auth = await startService(
    'auth',
    {
      DATABASE_URL: await db('auth'),
      PUBLIC_URL: 'http://127.0.0.1',
      MAIL_DIR: path.join(scratch, 'mail'),
    },
    options('auth'),
  );
  const main = await startService(
    'main',
    { DATABASE_URL: await db('main'), AUTH_URL: auth },
    options('main'),
  );
  const analytics = await startService(
    'analytics',
    { DATABASE_URL: await db('analytics'), AUTH_URL: auth },
    options('analytics'),
  );
  await startService(
    'gateway',
    { AUTH_URLS: auth, MAIN_URLS: main, ANALYTICS_URLS: analytics, AUTH_URL: auth },
    options('gateway'),
  );
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const rss = new Map<string, number>();
  for (const [pid, name] of started) rss.set(name, await rssMb(pid));
  await stopServices();
  return rss;
}

const scratch = await mkdtemp(path.join(tmpdir(), 'bench-memory-'));
const postgres = await startEmbeddedPostgres({ dataDir: scratch });
try {
  // The builds resolve third-party packages from here, as the image's node_modules would.
  symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'));
  process.stderr.write('compiling the services as their images do…\n');
  const entries = new Map(SERVICES.map((s) => [s, build(s, scratch)]));
  const image = await measure('image', (s) => entries.get(s as never), postgres.url, scratch);
  const compiled = await compileServices(root, [...SERVICES], path.join(scratch, 'npm-start'));
  const dev = await measure('npm start', (s) => compiled.get(s), postgres.url, scratch);
  console.log(`\nresident memory (VmRSS, MB), ${IDLE_MS / 1000} s after ready, idle\n`);
  console.log(
    align([
      ['service', 'image (node main.js)', 'npm start (main.mjs)'],
      ...SERVICES.map((s) => [s, image.get(s)!.toFixed(1), dev.get(s)!.toFixed(1)]),
    ]),
  );
  const over = SERVICES.filter((s) => image.get(s)! >= TARGET_MB);
  console.log(
    over.length
      ? `\nover ${TARGET_MB} MB as deployed: ${over.join(', ')}`
      : `\nevery service under ${TARGET_MB} MB as deployed`,
  );
  const overDev = SERVICES.filter((s) => dev.get(s)! >= TARGET_MB);
  console.log(
    overDev.length
      ? `over ${TARGET_MB} MB under npm start: ${overDev.join(', ')}`
      : `every service under ${TARGET_MB} MB under npm start too`,
  );
} finally {
  await stopServices();
  await postgres.stop();
  await rm(scratch, { recursive: true, force: true });
}
