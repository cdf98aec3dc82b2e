import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import type { Readable } from 'node:stream';

const fixture = (name: string) => path.join(import.meta.dirname, 'fixtures', name);

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
 * Runs a test server (`fixtures/<name>`) in a process of its own and waits for its
 * `listening <url>` line: the process, its URL and its output so far.
 */
export async function startServer(name: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture(name)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const out = collect(child.stdout);
  await out.until('listening');
  const url = new URL(out.output().match(/listening (\S+)/)![1]!);
  return { child, url, output: out.output };
}

/**
 * A supervisor process that starts `fixtures/slow-server.ts` with an IPC channel (as the launcher
 * does) and `env` added to its environment, then waits; resolves once the service's output (the
 * supervisor's, shared with it) holds `word`. The pipe ends when the service exits.
 */
export async function startSupervised(
  word: string,
  env: Record<string, string> = {},
): Promise<{ supervisor: ChildProcess & { stdout: Readable }; output: () => string }> {
  const args = JSON.stringify(['--import', 'tsx', fixture('slow-server.ts')]);
  const supervisor = spawn(
    process.execPath,
    [
      '-e',
      `require('node:child_process').spawn(process.execPath, ${args}, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...${JSON.stringify(env)} } }); setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const out = collect(supervisor.stdout);
  await out.until(word);
  return { supervisor, output: out.output };
}
