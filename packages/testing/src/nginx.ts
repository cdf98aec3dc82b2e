import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@platform/launcher';
import { onFreePorts, stopChild } from './process.ts';

export interface TestNginx {
  url: string;
  port: number;
  /** Where its JSON access log is written. */
  accessLog: string;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** `host:port` of each server in the upstream (the gateway replicas, or a service). */
  upstream: string | string[];
  /** Worker processes; the production file says `auto`. */
  workers?: number | 'auto';
  /** The configuration to render; defaults to the repository's deploy/nginx/nginx.conf. */
  configFile?: string;
}

const DEFAULT_CONFIG = path.resolve(import.meta.dirname, '../../../deploy/nginx/nginx.conf');
const TEMP_DIRS = ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi', 'cache'];

/**
 * Debian's `nginx` (CI installs it) as a plain foreground process on a free loopback port, running
 * the production configuration with only its `# rendered` lines rewritten: addresses, the pid
 * file, logs and caches all go to a temporary directory. For `*.full.test.ts` files and benches.
 */
export function startNginx(options: NginxOptions): Promise<TestNginx> {
  return onFreePorts(() => startOnFreePort(options));
}

async function startOnFreePort(options: NginxOptions): Promise<TestNginx> {
  const dir = await mkdtemp(path.join(tmpdir(), 'test-nginx-'));
  // Workers drop to an unprivileged user when the master runs as root: let them in.
  await chmod(dir, 0o755);
  for (const name of TEMP_DIRS) {
    await mkdir(path.join(dir, name));
    await chmod(path.join(dir, name), 0o777);
  }
  const port = await freePort();
  const config = renderConfig(await readFile(options.configFile ?? DEFAULT_CONFIG, 'utf8'), {
    dir,
    port,
    upstreams: [options.upstream].flat(),
    workers: options.workers ?? 1,
  });
  const file = path.join(dir, 'nginx.conf');
  await writeFile(file, config);

  const child = spawn('nginx', ['-p', dir, '-c', file, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`cannot run nginx: ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`nginx exited with ${code}: ${stderr.trim()}`)));
  });
  failed.catch(() => {});
  const stop = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([waitForPort(port), failed]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    accessLog: path.join(dir, 'access.log'),
    stop,
  };
}

export function renderConfig(
  template: string,
  options: { dir: string; port: number; upstreams: string[]; workers: number | 'auto' },
): string {
  const { dir } = options;
  const rendered = template.split('\n').map((line) => {
    if (!line.includes('# rendered')) return line;
    const indent = /^\s*/.exec(line)![0];
    const directive = line.trim().split(/\s+/, 1)[0];
    switch (directive) {
      case 'pid':
        return `${indent}pid ${dir}/nginx.pid;`;
      case 'error_log':
        return `${indent}error_log ${dir}/error.log warn;`;
      case 'access_log':
        return line.replace(/access_log\s+\S+/, `access_log ${dir}/access.log`).split('#')[0]!;
      case 'proxy_cache_path':
        return line
          .replace(/proxy_cache_path\s+\S+/, `proxy_cache_path ${dir}/cache`)
          .split('#')[0]!;
      case 'server':
        return options.upstreams
          .map((u) => `${indent}server ${u} max_fails=3 fail_timeout=10s;`)
          .join('\n');
      case 'listen':
        return `${indent}listen 127.0.0.1:${options.port};`;
      default:
        throw new Error(`no rendering for: ${line.trim()}`);
    }
  });
  const temps = TEMP_DIRS.filter((d) => d !== 'cache')
    .map((d) => `  ${d === 'body' ? 'client_body' : d}_temp_path ${dir}/${d};`)
    .join('\n');
  return rendered
    .join('\n')
    .replace(/^worker_processes\s+\S+;/m, `worker_processes ${options.workers};`)
    .replace(/^http \{$/m, `http {\n${temps}`);
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`nginx did not listen on port ${port}`);
}
