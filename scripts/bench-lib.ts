/**
 * What the benchmark scripts share: starting a service as its own process, CPU accounting per
 * process (on two shared cores a ratio of req/s mixes what each process costs, so the scripts
 * also print the CPU each one spent), and plain-text tables.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  compileServices,
  freePort,
  type ServiceProcess,
  spawnService,
  stopAll,
  waitReady,
} from '@platform/launcher';
import { loadManifests } from '@platform/manifest';

export const root = path.resolve(import.meta.dirname, '..');

/** What every service of one benchmark run shares, as `npm start` would give it. */
const SECRETS = {
  SERVICE_TOKEN: randomBytes(32).toString('base64url'),
  KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
};

/** Every service a script started, by pid: cpuSeconds names their CPU after them. */
export const started = new Map<number, string>();
const running: ServiceProcess[] = [];

/** `BENCH_CPU_PROF=<dir>`: where the services a script profiles write their CPU profiles. */
const CPU_PROF = process.env.BENCH_CPU_PROF;
/** `BENCH_NODE_FLAGS='--flag …'`: more Node.js flags for those services (A/B runs, --trace-gc). */
const NODE_FLAGS = process.env.BENCH_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [];

/**
 * `BENCH_COMPILED=1`: every service as `npm start` runs it — bundled by the launcher's compiler
 * (packages/launcher/src/compile.ts), plain `node` without tsx's loader — instead of from source
 * under tsx. Compiled once per run, into a folder removed at exit.
 */
let compiled: Promise<Map<string, string>> | undefined;
function compiledEntryOf(service: string): Promise<string | undefined> {
  compiled ??= compileServices(
    root,
    loadManifests(root).map((s) => s.name),
    path.join(root, 'node_modules', '.cache', 'bench-services', String(process.pid)),
  ).then((entries) => {
    process.once('exit', () =>
      rmSync(path.join(root, 'node_modules', '.cache', 'bench-services', String(process.pid)), {
        recursive: true,
        force: true,
      }),
    );
    return entries;
  });
  return compiled.then((entries) => entries.get(service));
}

/**
 * Starts `services/<service>/src/server.ts` (or `entry`, such as the `main.js` an image build
 * compiles) on a free loopback port, logging at `warn` (no
 * access lines in the figures), with the Node.js flags `npm start` gives it (with `profile`,
 * also `--cpu-prof` when BENCH_CPU_PROF is set, and BENCH_NODE_FLAGS), and resolves with its URL
 * once `/health/ready` answers.
 */
export async function startService(
  service: string,
  env: Record<string, string>,
  options: { label?: string; profile?: boolean; entry?: string } = {},
): Promise<string> {
  const label = options.label ?? service;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Node refuses `--cpu-prof` in NODE_OPTIONS: it goes on the command line.
  const profile = !options.profile
    ? []
    : [
        ...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF)}`] : []),
        ...NODE_FLAGS,
      ];
  const entry =
    options.entry ??
    (process.env.BENCH_COMPILED === '1' ? await compiledEntryOf(service) : undefined) ??
    `services/${service}/src/server.ts`;
  const child = spawnService(label, entry, {
    cwd: root,
    prefix: `${label} | `,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...SECRETS,
      ...env,
    },
    nodeOptions: [
      ...(loadManifests(root).find((s) => s.name === service)?.node_options ?? []),
      ...profile,
    ],
  });
  running.push(child);
  if (child.child.pid) started.set(child.child.pid, label);
  await waitReady(child, url, 60_000);
  return url;
}

/**
 * Newest first: a service started later may depend on an earlier one (main follows auth's
 * revocation feed) and would log every failed poll while it waits to stop.
 */
export async function stopServices(): Promise<void> {
  for (const service of running.reverse()) await stopAll([service], 12_000);
}

export async function postJson(
  url: string,
  body: unknown,
  token?: string,
): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Rows of cells as columns: the first left-aligned, the others right-aligned. */
export function align(lines: string[][]): string {
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines
    .map((l) =>
      l.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '),
    )
    .join('\n');
}

/**
 * CPU seconds used so far by this process and everything under it, per name: the services by
 * their name, the others (postgres, influxd) by their command. Linux only (/proc).
 */
export async function cpuSeconds(names = started): Promise<Map<string, number>> {
  const procs = new Map<number, { parent: number; command: string; cpu: number }>();
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const close = stat.lastIndexOf(')');
    if (close < 0) continue;
    const f = stat.slice(close + 2).split(' ');
    // utime, stime and those of reaped children, in clock ticks (100 per second).
    const ticks = [11, 12, 13, 14].reduce((n, i) => n + Number(f[i]), 0);
    procs.set(Number(entry), {
      parent: Number(f[1]),
      command: stat.slice(stat.indexOf('(') + 1, close),
      cpu: ticks / 100,
    });
  }
  const totals = new Map<string, number>();
  const visit = (pid: number, inherited: string) => {
    for (const [child, p] of procs) {
      if (p.parent !== pid) continue;
      // A shell the bench started (PostgreSQL's guard, packages/launcher/src/postgres.ts) is
      // named by what runs under it; its own few ticks count as the client's.
      if (inherited === 'bench client' && p.command === 'sh' && !names.has(child)) {
        totals.set(inherited, (totals.get(inherited) ?? 0) + p.cpu);
        visit(child, inherited);
        continue;
      }
      const name = names.get(child) ?? (inherited === 'bench client' ? p.command : inherited);
      totals.set(name, (totals.get(name) ?? 0) + p.cpu);
      visit(child, name);
    }
  };
  totals.set('bench client', procs.get(process.pid)?.cpu ?? 0);
  visit(process.pid, 'bench client');
  return totals;
}

/** CPU seconds each process used between two readings. */
export const cpuUsed = (before: Map<string, number>, after: Map<string, number>) =>
  new Map([...after].map(([name, cpu]) => [name, cpu - (before.get(name) ?? 0)] as const));

/** `analytics 1.2, postgres 0.3`: the processes that used a measurable share, busiest first. */
export const formatCpu = (used: Map<string, number>) =>
  [...used]
    .filter(([, cpu]) => cpu >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([name, cpu]) => `${name} ${cpu.toFixed(2)}`)
    .join(', ');

/** Runs `count` jobs, `concurrency` at a time. */
export async function pool(
  count: number,
  concurrency: number,
  job: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

/** Polls `check` every `everyMs` until it holds; throws after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, everyMs = 20) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the store');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The `p`th percentile (nearest rank) of `values`; 0 for none. */
export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
};
