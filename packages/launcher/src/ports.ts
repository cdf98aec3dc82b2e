import { createServer } from 'node:net';
import type { PlannedService } from './services.ts';

/** A problem the user can fix, reported as one line without a stack. */
export class LaunchError extends Error {
  override name = 'LaunchError';
}

/**
 * Fails before anything starts when two services would share a port or one is taken, naming the
 * variable that moves it: a service that cannot bind would otherwise die after a slow start.
 */
export async function assertPortsFree(services: PlannedService[], host: string): Promise<void> {
  const seen = new Map<number, string>();
  for (const { portVariable, port, portSource: variable } of services) {
    const other = seen.get(port);
    if (other)
      throw new LaunchError(
        `${variable} and ${other} are both port ${port}: set one of them to another port.`,
      );
    seen.set(port, variable);
    if (!(await isFree(port, host))) {
      throw new LaunchError(
        `port ${port} (${variable}) is already in use on ${host}: stop whatever listens there, or set ${portVariable} to a free port.`,
      );
    }
  }
}

function isFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
