/** One instance of a service, as the gateway sees it. */
export interface Instance {
  url: string;
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
}

export const isAvailable = (instance: Instance, now = Date.now()) =>
  instance.ready && instance.ejectedUntil <= now;

/**
 * Least outstanding requests, starting the scan one further each time so that equally idle
 * instances share the load in turn. A slow instance collects in-flight requests and so gets fewer.
 */
export function createBalancer(urls: readonly string[], ejectMs: number): Balancer {
  const instances: Instance[] = urls.map((url) => ({
    url,
    inFlight: 0,
    ready: true,
    ejectedUntil: 0,
  }));
  let start = 0;
  return {
    instances,
    pick(exclude) {
      const now = Date.now();
      const n = instances.length;
      let best: Instance | undefined;
      for (let i = 0; i < n; i++) {
        const candidate = instances[(start + i) % n]!;
        if (candidate === exclude || !isAvailable(candidate, now)) continue;
        if (!best || candidate.inFlight < best.inFlight) best = candidate;
      }
      start = (start + 1) % n;
      return best;
    },
    eject(instance) {
      instance.ejectedUntil = Date.now() + ejectMs;
    },
    setReady(instance, ready) {
      // A ready answer is fresher news than an earlier refusal: the instance is back.
      if (ready) instance.ejectedUntil = 0;
      instance.ready = ready;
    },
  };
}
