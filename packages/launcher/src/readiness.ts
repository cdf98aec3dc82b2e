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

async function answersReady(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}
