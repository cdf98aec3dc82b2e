import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Resolves when the process has exited, with its code or the signal that ended it. */
  exited: Promise<Exit>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** `code 1` or `signal SIGKILL`. */
export const describeExit = ({ code, signal }: Exit) =>
  code !== null ? `code ${code}` : `signal ${signal}`;

const COLOURS = [36, 35, 33, 32, 34, 31];
export const useColour = process.stdout.isTTY && !process.env.NO_COLOR;

/** `name |` in front of every line a process writes, padded so the columns line up. */
export function prefixer(names: string[]): (name: string) => string {
  const width = Math.max(...names.map((n) => n.length));
  return (name) => {
    const label = name.padEnd(width);
    const colour = COLOURS[Math.max(0, names.indexOf(name)) % COLOURS.length];
    return useColour ? `\x1b[${colour}m${label} |\x1b[0m ` : `${label} | `;
  };
}

/** Turns one line a service wrote into the text shown (one or more lines, each ending in \n). */
export type LineFormat = (line: string) => string;

function pipeLines(from: Readable, to: Writable, prefix: string, format?: LineFormat) {
  createInterface({ input: from, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
    if (!format) return void to.write(`${prefix}${line}\n`);
    const text = format(line);
    for (const part of text.slice(0, text.endsWith('\n') ? -1 : undefined).split('\n'))
      to.write(`${prefix}${part}\n`);
  });
}

const TELEMETRY = '@platform/telemetry/register';
/**
 * Holds the young generation small while the service loads (see its comment). A module, not a
 * flag on node's command line: V8 raises a growth factor below 2 back to 2 when it sets up a heap.
 */
const START_UP = '@platform/http/start-up';

/**
 * glibc's malloc, as the Dockerfile sets it (unless the environment says otherwise). By default
 * glibc raises its mmap threshold (and with it the heap's trim threshold) to the largest block
 * freed so far, up to 32 MB: after start-up frees V8's compilation zones (a 30 MB peak, from
 * compiling undici's llhttp WebAssembly on the first fetch), freed memory stays in the process
 * for good. Fixing the threshold at glibc's own initial 128 KiB keeps both where they start:
 * ≈5–10 MB less resident per idle service, and 64 KiB socket reads still come from the heap.
 */
const MALLOC_SETTINGS = { MALLOC_MMAP_THRESHOLD_: '131072' };

export function spawnService(
  name: string,
  entry: string,
  options: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    prefix: string;
    nodeOptions?: string[];
    format?: LineFormat;
    /** False when `entry` is JavaScript already (compiled for tests): no tsx hooks to pay for. */
    typescript?: boolean;
  },
): ServiceProcess {
  // Compiled JavaScript (what an image and `npm start` run, and what tests start) needs no
  // TypeScript loader; an image's main.js (and npm start's main.mjs) loads the telemetry module
  // itself. From source, the telemetry module goes
  // before the service's own, so OpenTelemetry hooks http, pg and pino before they load (without
  // an OTLP endpoint it does nothing).
  const compiled = options.typescript === false || /\.m?js$/.test(entry);
  const hooks = compiled ? [] : ['--import', 'tsx', '--import', START_UP, '--import', TELEMETRY];
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), ...hooks, entry], {
    cwd: options.cwd,
    env: { ...MALLOC_SETTINGS, ...options.env },
    // The IPC channel is how the service learns that its supervisor died (@platform/http listen).
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // A process group of its own: a terminal's Ctrl-C (SIGINT to its whole foreground group)
    // reaches only the launcher, which stops the services in order (main.ts shutdown).
    detached: process.platform !== 'win32',
  });
  pipeLines(child.stdout!, process.stdout, options.prefix, options.format);
  pipeLines(child.stderr!, process.stderr, options.prefix, options.format);
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A spawn that fails (no such executable) never emits `exit`.
    child.once('error', () => resolve({ code: child.exitCode ?? 1, signal: null }));
  });
  return { name, child, exited };
}

export const isRunning = (p: ServiceProcess) =>
  p.child.exitCode === null && p.child.signalCode === null && p.child.pid !== undefined;

/** SIGTERM, then SIGKILL if it has not exited after the grace period; true if it was killed. */
export async function stopProcess(p: ServiceProcess, graceMs: number): Promise<boolean> {
  if (!isRunning(p)) return false;
  p.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  const killed = (await Promise.race([p.exited, late])) === 'late';
  if (killed) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  clearTimeout(timer);
  return killed;
}

/** Stops all at once; returns the names of those that had to be killed. */
export async function stopAll(processes: ServiceProcess[], graceMs: number): Promise<string[]> {
  const killed = await Promise.all(processes.map((p) => stopProcess(p, graceMs)));
  return processes.filter((_, i) => killed[i]).map((p) => p.name);
}

/** The last resort in `process.on('exit')`, where nothing asynchronous runs. */
export function killAllNow(processes: ServiceProcess[]) {
  for (const p of processes) if (isRunning(p)) p.child.kill('SIGKILL');
}
