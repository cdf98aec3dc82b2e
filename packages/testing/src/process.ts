import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** SIGTERM, then SIGKILL if the server has not exited within `graceMs`; resolves once it is gone. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Runs `start` again (on new free ports) when the one it picked was taken by another process
 * before the server bound it: test files run in parallel, each asking for free ports.
 */
export async function onFreePorts<T>(start: () => Promise<T>, tries = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= tries || !/address already in use/i.test(String(error))) throw error;
    }
  }
}

/**
 * Services started side by side (each waits only for what started before them: main and
 * analytics both wait for auth): resolves with each once all have started, in the order given,
 * and hands each one's `stop` to `register` as soon as that one has started, so a start that
 * fails does not leave the others running after the test.
 */
export function startedSideBySide<const T extends readonly Promise<{ stop(): Promise<void> }>[]>(
  register: (stop: () => Promise<void>) => void,
  starts: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  return Promise.all(
    starts.map((start) =>
      start.then((started) => {
        register(started.stop);
        return started;
      }),
    ),
  ) as Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }>;
}
