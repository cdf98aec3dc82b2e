import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@platform/launcher';
import { onFreePorts } from './process.ts';

export interface TestInflux {
  /** Base URL of the v1 HTTP API, e.g. `http://127.0.0.1:38211`. */
  url: string;
  port: number;
  /** SIGKILL: what a crash looks like; the data folder stays for `start()`. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data folder (after `kill()`). */
  start(): Promise<void>;
  /** Stops it and deletes its folder. */
  stop(): Promise<void>;
}

/**
 * A throwaway `influxd` (Debian's `influxdb` 1.6; CI installs it) on free loopback ports, with a
 * generated config whose data, meta and WAL folders live in a temp folder. For `*.full.test.ts`
 * files and benchmarks only.
 */
export async function startInflux(): Promise<TestInflux> {
  return onFreePorts(startOnFreePorts);
}

async function startOnFreePorts(): Promise<TestInflux> {
  const dir = await mkdtemp(path.join(tmpdir(), 'test-influx-'));
  const port = await freePort();
  let rpcPort = await freePort();
  while (rpcPort === port) rpcPort = await freePort();
  const configFile = path.join(dir, 'influxdb.conf');
  await writeFile(
    configFile,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${path.join(dir, 'meta')}"`,
      '[data]',
      `  dir = "${path.join(dir, 'data')}"`,
      `  wal-dir = "${path.join(dir, 'wal')}"`,
      '  query-log-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${port}"`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[continuous_queries]',
      '  enabled = false',
      '[logging]',
      '  level = "warn"',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  async function start() {
    const proc = spawn('influxd', ['-config', configFile], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (chunk) => {
      stderr = (stderr + String(chunk)).slice(-2000);
    });
    const failed = new Promise<never>((_, reject) => {
      proc.once('error', (error) => reject(new Error(`cannot run influxd: ${error.message}`)));
      proc.once('exit', (code) => reject(new Error(`influxd exited with ${code}: ${stderr}`)));
    });
    failed.catch(() => {});
    await Promise.race([waitForPing(url), failed]);
  }

  async function kill() {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
  }

  try {
    await start();
  } catch (error) {
    await kill();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port,
    kill,
    start,
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPing(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) })
      .then((r) => r.status === 204)
      .catch(() => false);
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`influxd did not answer /ping at ${url}`);
}
