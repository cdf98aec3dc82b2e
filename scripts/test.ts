/**
 * `npm test`: starts one embedded PostgreSQL for the whole run (unless TEST_POSTGRES_URL is set),
 * then runs every `test/**\/*.test.ts` of the workspaces with node's test runner. Each test file
 * creates its own database on that server, so files run in parallel without sharing state.
 *
 * `npm run test:full` also runs `*.full.test.ts`: the tests that start InfluxDB, Redis, NGINX or
 * Chromium from Debian's packages. `--only-full` runs just those (CI, after `npm test`).
 * Extra arguments narrow the run to paths that contain them, e.g. `npm test -- services/auth`.
 *
 * The test files are compiled first (scripts/test-bundles.ts: it halves each file's start-up);
 * `TEST_TSX=1` runs the TypeScript files under tsx instead, e.g. to rule the compilation out.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '@platform/launcher/postgres';
import { bundleTests } from './test-bundles.ts';

const args = process.argv.slice(2);
const full = args.includes('--full') || args.includes('--only-full');
const onlyFull = args.includes('--only-full');
const filters = args.filter((a) => !a.startsWith('--'));
const root = path.resolve(import.meta.dirname, '..');

async function testFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const group of ['packages', 'services']) {
    for (const name of await readdir(path.join(root, group))) {
      const dir = path.join(root, group, name, 'test');
      const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
      for (const entry of entries) {
        if (!entry.endsWith('.test.ts')) continue;
        const isFull = entry.endsWith('.full.test.ts');
        if ((isFull && !full) || (onlyFull && !isFull)) continue;
        files.push(path.relative(root, path.join(dir, entry)));
      }
    }
  }
  return files.filter((f) => filters.length === 0 || filters.some((p) => f.includes(p))).sort();
}

const files = await testFiles();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

// Inside the repository, so the compiled files find npm packages as their sources do.
const cache = path.join(root, 'node_modules', '.cache', 'test-bundles');
let run: string[];
let bundles: string | undefined;
if (process.env.TEST_TSX) {
  run = ['--import', 'tsx', ...files];
} else {
  await mkdir(cache, { recursive: true });
  bundles = await mkdtemp(path.join(cache, 'run-'));
  const outDir = bundles;
  // The services' entry points too, for the gateway's tests that start them as processes.
  const startsServices = files.some((f) => f.startsWith(path.join('services', 'gateway')));
  const servers = startsServices
    ? (await readdir(path.join(root, 'services'))).map((s) =>
        path.join('services', s, 'src', 'server.ts'),
      )
    : [];
  const entries = [...files, ...servers.filter((s) => existsSync(path.join(root, s)))];
  const outputs = await bundleTests(root, entries, outDir).catch(async (error: unknown) => {
    await rm(outDir, { recursive: true, force: true });
    throw error;
  });
  run = ['--enable-source-maps', ...outputs.slice(0, files.length)];
  process.env.TEST_COMPILED_DIR = outDir;
}

let stopPostgres: (() => Promise<void>) | undefined;
let scratch: string | undefined;
if (!process.env.TEST_POSTGRES_URL) {
  scratch = await mkdtemp(path.join(tmpdir(), 'test-pg-'));
  const pg = await startEmbeddedPostgres({
    dataDir: scratch,
    // A throwaway server: durability only costs time (creating a database syncs its files).
    settings: ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'],
  });
  process.env.TEST_POSTGRES_URL = pg.url;
  stopPostgres = pg.stop;
}

const code = await new Promise<number>((resolve) => {
  const child = spawn(
    process.execPath,
    [
      '--test',
      // Two files at a time on this 2-core machine; one per core where there are more (CI).
      `--test-concurrency=${Math.max(2, availableParallelism())}`,
      '--test-timeout=120000',
      ...run,
    ],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
    },
  );
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward).on('SIGTERM', forward);
  child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
});

await stopPostgres?.();
if (bundles) await rm(bundles, { recursive: true, force: true });
if (scratch) await rm(scratch, { recursive: true, force: true });
process.exit(code);
