import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { copyCluster, freePort } from '@platform/launcher/postgres';
import { loadManifests, portVariable } from '@platform/manifest';
import { compiledScript } from '@platform/testing';

export const root = path.resolve(import.meta.dirname, '../../..');

/** A whole stack starting on a busy two-core machine. */
export const READY_MS = 90_000;

/** Every service of the stack, as the manifests list them (a new service counts too). */
export const SERVICE_NAMES = loadManifests(root)
  .map((s) => s.name)
  .sort();

/** A free port for each service, by its port variable (GATEWAY_PORT, AUTH_PORT, …). */
export async function ports() {
  const found: { GATEWAY_PORT: string; [variable: string]: string } = { GATEWAY_PORT: '' };
  const taken = new Set<number>();
  for (const { name } of loadManifests(root)) {
    // A port just probed is free again: ask until it is a new one.
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    found[portVariable(name)] = String(port);
  }
  return found;
}

/**
 * A DATA_DIR as a first `npm start` leaves it, for a test about something else: the cluster the
 * test run keeps initialised (scripts/test.ts, TEST_POSTGRES_CLUSTER) copied in, so the launcher
 * skips initdb (about 2 s of a busy machine). Empty without one, as on a first start.
 */
export async function dataDirWithCluster(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const template = process.env.TEST_POSTGRES_CLUSTER;
  if (!template || !existsSync(path.join(template, 'postgres', 'PG_VERSION'))) return dir;
  await copyCluster(template, dir);
  return dir;
}

/** SIGTERM, as Ctrl-C; resolves with the launcher's exit code. */
export async function stop(launched: Launched): Promise<number | null> {
  launched.child.kill('SIGTERM');
  const code = await Promise.race([
    launched.exited,
    sleep(20_000, undefined, { ref: false }).then(() => 'timeout' as const),
  ]);
  assert.notEqual(code, 'timeout', `still running 20 s after SIGTERM:\n${launched.output()}`);
  return code as number | null;
}

/** Waits until none of `pids` runs; returns those still running after `ms`. */
export async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let alive = pids.filter(isAlive);
  while (alive.length && Date.now() < deadline) {
    await sleep(100);
    alive = alive.filter(isAlive);
  }
  return alive;
}

/** Polls `check` until it returns a value other than undefined or false. */
export async function until<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

export interface Launched {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `pattern` in the output, or rejects when the process ends. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

/**
 * `npm start` as a user runs it, minus npm: the launcher in its own process. `--dev`: `npm run dev`.
 * The launcher runs compiled (@platform/testing's compiledScript: under `--import tsx` every module it
 * loads takes a round trip to tsx's hooks thread, 2–4 s of CPU per launch on a busy two-core machine,
 * and these tests launch it a dozen times) unless `asNpmStart`: then under `--import tsx`, as
 * package.json's scripts run it. Without the test runner's preload: that one is for test processes
 * (it notes their run times for the next run's order).
 */
export async function launch(
  env: Record<string, string>,
  args: string[] = [],
  options: {
    /** The launcher leads a process group of its own, as a shell's foreground job. */
    detached?: boolean;
    asNpmStart?: boolean;
  } = {},
): Promise<Launched> {
  const base = { ...process.env };
  // The test runner's own server must not be picked up: the embedded path is under test.
  delete base.POSTGRES_URL;
  delete base.TEST_POSTGRES_URL;
  const launcher = options.asNpmStart
    ? ['--import', 'tsx', 'packages/launcher/src/main.ts']
    : await compiledScript('packages/launcher/src/main.ts', { preload: false });
  const child = spawn(process.execPath, [...launcher, ...args], {
    cwd: root,
    env: { ...base, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );

  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = text.match(pattern);
        if (match) done(() => resolve(match));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${text}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      void exited.then((code) =>
        done(() => reject(new Error(`launcher exited with ${code} before ${pattern}:\n${text}`))),
      );
      check();
    });

  return { child, output: () => text, waitFor, exited };
}

/** The processes whose command line names `dataDir`'s cluster: PostgreSQL's postmaster, and its guard. */
export const postgresOf = (dataDir: string) =>
  readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => readCommandLine(pid).includes(path.join(dataDir, 'postgres')));

/** Every process below `pid`, read from /proc (PostgreSQL's workers included). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** The process id of each service the launcher runs, from its children's command lines. */
export function servicePids(launcherPid: number): Record<string, number> {
  const pids: Record<string, number> = {};
  for (const pid of descendants(launcherPid)) {
    if (!isAlive(pid)) continue;
    // `npm run dev`: services/<name>/src/server.ts; `npm start`: …/services/<name>/main.mjs.
    const match = readCommandLine(pid).match(/services\/([^/]+)\/(?:src\/server\.ts|main\.mjs)/);
    if (match) pids[match[1]!] = pid;
  }
  return pids;
}

export function readCommandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** A zombie has finished; only its parent's (or init's) reaping is left. */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

function readStat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses; the fields after its last `)` do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}
