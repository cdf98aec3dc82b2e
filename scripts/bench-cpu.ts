/**
 * CPU accounting shared by the benchmarks: on two shared cores a ratio of req/s mixes what each
 * process costs, so the scripts also print the CPU each process spent on the same work.
 */
import { readdir, readFile } from 'node:fs/promises';

/**
 * CPU seconds used so far by this process and everything under it, per name: the services by
 * their name, the others (postgres, influxd) by their command. Linux only (/proc).
 */
export async function cpuSeconds(names: Map<number, string>): Promise<Map<string, number>> {
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
      const name = names.get(child) ?? (inherited === 'bench client' ? p.command : inherited);
      totals.set(name, (totals.get(name) ?? 0) + p.cpu);
      visit(child, name);
    }
  };
  totals.set('bench client', procs.get(process.pid)?.cpu ?? 0);
  visit(process.pid, 'bench client');
  return totals;
}

export const cpuDelta = (before: Map<string, number>, after: Map<string, number>) =>
  [...after]
    .map(([name, cpu]) => [name, cpu - (before.get(name) ?? 0)] as const)
    .filter(([, cpu]) => cpu >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([name, cpu]) => `${name} ${cpu.toFixed(1)}`)
    .join(', ');
