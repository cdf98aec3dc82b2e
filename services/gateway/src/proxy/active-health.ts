import { type Dispatcher, fetch } from 'undici';
import type { Balancer, Readiness } from './balancer.ts';

/**
 * Polls every instance's `/health/ready`: one that says it is not ready (starting, closing, its
 * database down) gets no traffic, one that does not answer gets none after UNHEALTHY_THRESHOLD
 * polls in a row (balancer.ts), and one that was taken out comes back as soon as it is ready.
 */
export function pollHealth(
  balancers: Balancer[],
  intervalMs: number,
  /** The gateway's own connections for health checks (isReady). */
  checks: Dispatcher,
): () => void {
  const timeoutMs = Math.min(intervalMs, 2000);
  let stopped = false;
  const checkAll = async () => {
    await Promise.all(
      balancers.flatMap((balancer) =>
        balancer.instances.map(async (instance) => {
          const ready = await isReady(instance.url, timeoutMs, checks);
          if (!stopped) balancer.setReady(instance, ready);
        }),
      ),
    );
  };
  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    timer = setTimeout(() => void checkAll().finally(() => !stopped && loop()), intervalMs);
    timer.unref();
  };
  loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/**
 * An answer other than 200 is `not ready`; none within the timeout (or a refusal) `unanswered`.
 * Over `checks`, connections the gateway closes when it stops: kept by the process's global
 * dispatcher, they outlived the gateway, and each held a closing instance for its idle grace
 * (@platform/http closing.ts).
 */
export async function isReady(
  baseUrl: string,
  timeoutMs: number,
  checks: Dispatcher,
): Promise<Readiness> {
  try {
    const response = await fetch(`${baseUrl}/health/ready`, {
      dispatcher: checks,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return response.status === 200 ? 'ready' : 'not ready';
  } catch {
    return 'unanswered';
  }
}
