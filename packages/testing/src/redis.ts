import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@platform/launcher';
import { onFreePorts, stopChild } from './process.ts';

export interface TestRedis {
  url: string;
  port: number;
  /** Freezes the server (SIGSTOP): connections stay open and nothing is answered, as when hung. */
  pause(): void;
  /** Lets a paused server go on (SIGCONT). */
  resume(): void;
  stop(): Promise<void>;
}

/**
 * A throwaway `redis-server` (Debian's package; CI installs it) on a free loopback port, with
 * no persistence and its own directory. For `*.full.test.ts` files only.
 */
export function startRedis(): Promise<TestRedis> {
  return onFreePorts(startOnFreePort);
}

async function startOnFreePort(): Promise<TestRedis> {
  const dir = await mkdtemp(path.join(tmpdir(), 'test-redis-'));
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  // Redis logs to stdout, a failed bind among it.
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output = (output + chunk).slice(-2000);
  });
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`cannot run redis-server: ${error.message}`)));
    child.once('exit', (code) =>
      reject(
        new Error(
          `redis-server exited with ${code}: ${output.trim().split('\n').slice(-3).join(' / ')}`,
        ),
      ),
    );
  });
  // Rejects at every exit, including the one stop() causes; only the race below listens.
  spawnError.catch(() => {});
  const stop = async () => {
    child.kill('SIGCONT');
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([waitForPong(port), spawnError]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    stop,
  };
}

async function waitForPong(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await ping(port)) return;
    await sleep(50);
  }
  throw new Error(`redis-server did not answer PING on port ${port}`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
