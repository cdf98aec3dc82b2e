import type { Balancer } from './balancer.ts';

/**
 * Polls every instance's `/health/ready`: one that is not ready (starting, closing, its
 * database down) gets no traffic, and one that was taken out comes back as soon as it is.
 */
export function pollHealth(balancers: Balancer[], intervalMs: number): () => void {
  const timeoutMs = Math.min(intervalMs, 2000);
  let stopped = false;
  const checkAll = async () => {
    await Promise.all(
      balancers.flatMap((balancer) =>
        balancer.instances.map(async (instance) => {
          const ready = await isReady(instance.url, timeoutMs);
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

export async function isReady(baseUrl: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/health/ready`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}
