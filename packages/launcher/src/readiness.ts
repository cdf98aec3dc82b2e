import { setTimeout as sleep } from 'node:timers/promises';
import { LaunchError } from './ports.ts';
import { describeExit, isRunning, type ServiceProcess } from './processes.ts';

const POLL_MS = 200;

/** Polls `/health/ready` until it answers 200; a process that has exited stops the wait. */
export async function waitReady(
  service: ServiceProcess,
  baseUrl: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(service)) {
      const exit = await service.exited;
      throw new LaunchError(
        `${service.name} exited with ${describeExit(exit)} before it was ready.`,
      );
    }
    if (await answersReady(baseUrl)) return;
    await sleep(POLL_MS);
  }
  throw new LaunchError(
    `${service.name} was not ready within ${timeoutMs / 1000} s (${baseUrl}/health/ready); see its log above.`,
  );
}

/**
 * Waits (at most `timeoutMs`) until the entry point's `GET /health`, the stack as a client sees it
 * through it, answers 200. Every service answering its own `/health/ready` is not yet enough: the
 * gateway routes by its own polls of them (every 2 s), and one that came up since its last poll
 * got a 503 until the next; its `GET /health` checks them now and routes by what it finds.
 */
export async function waitStackReady(entryUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !(await answersReady(entryUrl, '/health'))) {
    await sleep(POLL_MS);
  }
}

async function answersReady(baseUrl: string, path = '/health/ready'): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(3000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}
