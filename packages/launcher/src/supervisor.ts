import { LaunchError } from './ports.ts';
import {
  describeExit,
  type Exit,
  isRunning,
  type ServiceProcess,
  stopProcess,
} from './processes.ts';
import { waitReady } from './readiness.ts';

/** How soon a crashed service is started again: the delay doubles with each crash in a row. */
export interface RestartPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  /** A process that stayed up this long ends the row: its crash is counted as the first again. */
  resetAfterMs: number;
}

export const RESTART_POLICY: RestartPolicy = {
  firstDelayMs: 500,
  maxDelayMs: 30_000,
  resetAfterMs: 60_000,
};

export interface SupervisorOptions {
  name: string;
  /** Its base URL; `/health/ready` there says it is up. */
  url: string;
  spawn(): ServiceProcess;
  say(line: string): void;
  /** True once the launcher shuts down: exits are expected then, and nothing starts again. */
  stopping(): boolean;
  readyTimeoutMs: number;
  stopGraceMs: number;
  policy?: RestartPolicy;
}

export interface Supervisor {
  readonly name: string;
  /** Its processes that have not exited yet: the current one, and one being replaced. */
  processes(): ServiceProcess[];
  /**
   * The first start: resolves once ready, rejects with a one-line reason if it exits or hangs
   * first. A service that cannot start at all (a bad setting) is not restarted: the launch fails.
   */
  start(): Promise<void>;
  /**
   * Replaces the process now (its code changed); a pending crash restart is cancelled.
   * `prepare` (`npm run dev`'s new build) runs while the old process stops; the new one starts
   * once both are done. If it fails, nothing starts (the error is said) until the next restart.
   */
  restart(reason: string, prepare?: () => Promise<unknown>): Promise<void>;
  /** Cancels a pending crash restart; the launcher stops the processes itself. */
  cancel(): void;
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/**
 * One service's process over the launcher's life. Once it has been ready, an exit the launcher
 * did not ask for is a crash: the service starts again after a delay that grows with each crash
 * in a row, while the other services keep running.
 */
export function supervise(options: SupervisorOptions): Supervisor {
  const { name, say, policy = RESTART_POLICY } = options;
  const alive = new Set<ServiceProcess>();
  let current: ServiceProcess | undefined;
  let startedAt = 0;
  let wasReady = false;
  let crashes = 0;
  let pending: NodeJS.Timeout | undefined;
  /** Restarts for changed code run one at a time; one asked for meanwhile runs after. */
  let replacing: Promise<void> | undefined;
  let queued: { reason: string; prepare?: () => Promise<unknown> } | undefined;

  function spawn(): ServiceProcess {
    const p = options.spawn();
    current = p;
    startedAt = Date.now();
    alive.add(p);
    void p.exited.then((exit) => {
      alive.delete(p);
      onExit(p, exit);
    });
    return p;
  }

  function onExit(p: ServiceProcess, exit: Exit) {
    // Replaced on purpose, shutting down, or the first start, whose failure ends the launch.
    if (p !== current || options.stopping() || !wasReady) return;
    current = undefined;
    if (Date.now() - startedAt >= policy.resetAfterMs) crashes = 0;
    crashes += 1;
    const delay = Math.min(policy.firstDelayMs * 2 ** (crashes - 1), policy.maxDelayMs);
    say(
      `${name} exited with ${describeExit(exit)} (crash ${crashes} in a row); restarting in ${seconds(delay)}`,
    );
    pending = setTimeout(() => {
      pending = undefined;
      if (!options.stopping()) announceReady(spawn(), 'is back');
    }, delay);
  }

  /** Says when a restarted process is ready; one that exits first is a crash, handled above. */
  function announceReady(p: ServiceProcess, what: string) {
    const began = Date.now();
    waitReady(p, options.url, options.readyTimeoutMs).then(
      () => {
        if (p === current) say(`${name} ${what} (ready in ${seconds(Date.now() - began)})`);
      },
      (error: unknown) => {
        if (p === current && isRunning(p) && !options.stopping())
          say(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  }

  async function replace(reason: string, prepare?: () => Promise<unknown>) {
    let next: typeof queued = { reason, prepare };
    while (next !== undefined && !options.stopping()) {
      const { reason: why, prepare: ready } = next;
      queued = undefined;
      clearTimeout(pending);
      pending = undefined;
      crashes = 0;
      say(`${name}: ${why}; restarting`);
      const old = current;
      current = undefined;
      const [killed, failed] = await Promise.all([
        old ? stopProcess(old, options.stopGraceMs) : false,
        (ready?.() ?? Promise.resolve()).then(
          () => undefined,
          (error: unknown) => ({ error }),
        ),
      ]);
      if (killed)
        say(`${name} killed: still running ${seconds(options.stopGraceMs)} after SIGTERM`);
      if (options.stopping()) return;
      if (failed) {
        const { error } = failed;
        say(
          `${name}: not started again: ${error instanceof Error ? error.message : String(error)}`,
        );
      } else announceReady(spawn(), 'restarted');
      next = queued;
    }
  }

  return {
    name,
    processes: () => [...alive],
    async start() {
      const p = spawn();
      await waitReady(p, options.url, options.readyTimeoutMs);
      if (p !== current || !isRunning(p)) throw new LaunchError(`${name} exited while starting.`);
      wasReady = true;
    },
    restart(reason, prepare) {
      if (replacing) {
        queued = { reason, prepare };
        return replacing;
      }
      replacing = replace(reason, prepare).finally(() => {
        replacing = undefined;
      });
      return replacing;
    },
    cancel() {
      clearTimeout(pending);
      pending = undefined;
    },
  };
}
