import type { Dispatcher } from 'undici';

/** One instance of a service, as the gateway sees it. */
export interface Instance {
  /** Its origin, an address rather than a name once resolved: `http://10.0.3.7:8080`. */
  url: string;
  /** The keep-alive connections to it. */
  pool: Dispatcher;
  /** Requests sent to it that have not finished. */
  inFlight: number;
  /** Its `/health/ready` answered 200 at the last poll (assumed until the first poll says no). */
  ready: boolean;
  /** Refused a connection or timed out: no traffic until then, or until it polls ready again. */
  ejectedUntil: number;
}

export interface Balancer {
  readonly instances: readonly Instance[];
  /** The available instance with the fewest requests in flight; ties go round in turn. */
  pick(exclude?: Instance): Instance | undefined;
  /** Passive health: take an instance out for the eject period. */
  eject(instance: Instance): void;
  /** Active health: the latest `/health/ready` result. */
  setReady(instance: Instance, ready: boolean): void;
  /**
   * The instances become exactly `urls`: a known one keeps its health and count, a new one
   * joins as ready, and one that left finishes what it has in flight, then its pool closes.
   */
  setUrls(urls: readonly string[]): void;
  close(): Promise<void>;
}

export interface BalancerOptions {
  ejectMs: number;
  /** The connection pool for one instance's origin. */
  connect: (url: string) => Dispatcher;
}

export const isAvailable = (instance: Instance, now = Date.now()) =>
  instance.ready && instance.ejectedUntil <= now;

/**
 * Least outstanding requests, starting the scan one further each time so that equally idle
 * instances share the load in turn. A slow instance collects in-flight requests and so gets fewer.
 */
export function createBalancer(urls: readonly string[], options: BalancerOptions): Balancer {
  let instances: Instance[] = [];
  let start = 0;
  const setUrls = (next: readonly string[]) => {
    const known = new Map(instances.map((i) => [i.url, i]));
    instances = [...new Set(next)].map(
      (url) =>
        known.get(url) ?? {
          url,
          pool: options.connect(url),
          inFlight: 0,
          ready: true,
          ejectedUntil: 0,
        },
    );
    for (const gone of known.values()) {
      if (!instances.includes(gone)) void gone.pool.close().catch(() => {});
    }
  };
  setUrls(urls);
  return {
    get instances() {
      return instances;
    },
    pick(exclude) {
      const now = Date.now();
      const n = instances.length;
      let best: Instance | undefined;
      for (let i = 0; i < n; i++) {
        const candidate = instances[(start + i) % n]!;
        if (candidate === exclude || !isAvailable(candidate, now)) continue;
        if (!best || candidate.inFlight < best.inFlight) best = candidate;
      }
      start = n === 0 ? 0 : (start + 1) % n;
      return best;
    },
    eject(instance) {
      instance.ejectedUntil = Date.now() + options.ejectMs;
    },
    setReady(instance, ready) {
      // A ready answer is fresher news than an earlier refusal: the instance is back.
      if (ready) instance.ejectedUntil = 0;
      instance.ready = ready;
    },
    setUrls,
    async close() {
      await Promise.all(instances.map((i) => closePool(i.pool)));
    },
  };
}

/** Lets requests in flight finish (the app is shutting down gracefully), but not forever. */
async function closePool(pool: Dispatcher, graceMs = 5000) {
  let timer: NodeJS.Timeout | undefined;
  const closed = pool.close().then(
    () => true,
    () => true,
  );
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
  });
  const done = await Promise.race([closed, late]);
  clearTimeout(timer);
  if (!done) await pool.destroy().catch(() => {});
}
