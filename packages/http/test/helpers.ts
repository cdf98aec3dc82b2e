import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { compiledScript } from '@platform/testing';

/**
 * How to run `fixtures/<name>`: compiled once per test process (@platform/testing's
 * compiledScript), where under `--import tsx` each start cost 1.5–3 s of CPU loading modules.
 */
const fixture = (name: string) => compiledScript(path.join(import.meta.dirname, 'fixtures', name));

/** A process's output as it comes; `until(word)` waits for the output to hold `word`. */
function collect(stream: Readable) {
  let output = '';
  stream.on('data', (chunk) => {
    output += chunk;
  });
  return {
    output: () => output,
    async until(word: string) {
      while (!output.includes(word)) await once(stream, 'data');
    },
  };
}

/**
 * Runs a test server (`fixtures/<name>`) in a process of its own, `env` added to its environment,
 * and waits for its `listening <url>` line: the process, its URL and its output so far.
 */
export async function startServer(name: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, await fixture(name), {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const out = collect(child.stdout);
  await out.until('listening');
  const url = new URL(out.output().match(/listening (\S+)/)![1]!);
  return { child, url, output: out.output };
}

/**
 * A supervisor process that starts `fixtures/<fixture>` (slow-server.ts by default) with an IPC
 * channel (as the launcher does) and `env` added to its environment, then waits; resolves once the
 * service's output (the supervisor's) holds `word`. The service shares the supervisor's stdout and
 * stderr, so the pipe ends when the service exits; `piped`: its stdout and stderr are pipes the
 * supervisor reads and passes on, as the launcher's are (packages/launcher processes.ts), so they
 * have no reader once the supervisor is gone.
 */
export async function startSupervised(
  word: string,
  env: Record<string, string> = {},
  options: { fixture?: string; piped?: boolean } = {},
): Promise<{ supervisor: ChildProcess & { stdout: Readable }; output: () => string }> {
  const args = JSON.stringify(await fixture(options.fixture ?? 'slow-server.ts'));
  const stdio = options.piped
    ? "['ignore', 'pipe', 'pipe', 'ipc']"
    : "['ignore', 'inherit', 'inherit', 'ipc']";
  const relay = options.piped
    ? 'child.stdout.pipe(process.stdout); child.stderr.pipe(process.stderr);'
    : '';
  const supervisor = spawn(
    process.execPath,
    [
      '-e',
      `const child = require('node:child_process').spawn(process.execPath, ${args}, { stdio: ${stdio}, env: { ...process.env, ...${JSON.stringify(env)} } }); ${relay} setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const out = collect(supervisor.stdout);
  await out.until(word);
  return { supervisor, output: out.output };
}

/**
 * Whether process `pid` (not a child of this one) has exited within `ms`. A zombie has: only its
 * reaping is left, to whichever process adopted it.
 */
export async function exitedWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!running(pid)) return true;
    await sleep(100);
  }
  return !running(pid);
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name's last `)`, its state first: Z, a zombie, has exited.
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}
