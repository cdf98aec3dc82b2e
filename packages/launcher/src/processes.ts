import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Resolves when the process has exited, with its code (or 128 + signal number). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const COLOURS = [36, 35, 33, 32, 34, 31];
const useColour = process.stdout.isTTY && !process.env.NO_COLOR;

/** `name |` in front of every line a process writes, padded so the columns line up. */
export function prefixer(names: string[]): (name: string) => string {
  const width = Math.max(...names.map((n) => n.length));
  return (name) => {
    const label = name.padEnd(width);
    const colour = COLOURS[Math.max(0, names.indexOf(name)) % COLOURS.length];
    return useColour ? `\x1b[${colour}m${label} |\x1b[0m ` : `${label} | `;
  };
}

function pipeLines(from: Readable, to: Writable, prefix: string) {
  createInterface({ input: from, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
    to.write(`${prefix}${line}\n`);
  });
}

export function spawnService(
  name: string,
  entry: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; prefix: string; nodeOptions?: string[] },
): ServiceProcess {
  const child = spawn(
    process.execPath,
    [...(options.nodeOptions ?? []), '--import', 'tsx', entry],
    {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  pipeLines(child.stdout!, process.stdout, options.prefix);
  pipeLines(child.stderr!, process.stderr, options.prefix);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A spawn that fails (no such executable) never emits `exit`.
    child.once('error', () => resolve({ code: child.exitCode ?? 1, signal: null }));
  });
  return { name, child, exited };
}

export const isRunning = (p: ServiceProcess) =>
  p.child.exitCode === null && p.child.signalCode === null && p.child.pid !== undefined;

/** SIGTERM to all; whatever has not exited after the grace period is killed. */
export async function stopAll(processes: ServiceProcess[], graceMs: number): Promise<string[]> {
  const killed: string[] = [];
  await Promise.all(
    processes.filter(isRunning).map(async (p) => {
      p.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), graceMs);
      });
      if ((await Promise.race([p.exited, late])) === 'late') {
        killed.push(p.name);
        p.child.kill('SIGKILL');
        await p.exited;
      }
      clearTimeout(timer);
    }),
  );
  return killed;
}

/** The last resort in `process.on('exit')`, where nothing asynchronous runs. */
export function killAllNow(processes: ServiceProcess[]) {
  for (const p of processes) if (isRunning(p)) p.child.kill('SIGKILL');
}
