import type { Dispatcher } from 'undici';

/** One instance of a service, as the gateway sees it. */
export interface Instance {
  /** Its origin, an address rather than a name once resolved: `http://10.0.3.7:8080`. */
  url: string;
  /** The keep-alive connections to it. */
  pool: Dispatcher;
  /** Requests sent to it that have not finished. */
  inFlight: number;
  /**
   * In rotation as far as active health goes: its `/health/ready` answered 200 at the last poll,
   * or failed to answer fewer than `unhealthyThreshold` polls in a row (assumed until the first
   * poll says no). An answer other than 200 (starting, closing, its database down) is the
   * instance's own word and takes it out at once.
   */
  ready: boolean;
  /** Polls in a row that found no answer (timed out, refused, reset). */
  failedPolls: number;
  /** Refused a connection or timed out: no traffic until then, or until it polls ready again. */
  ejectedUntil: number;
  /**
   * The ejection was for a connection refused or not taken within the connect timeout: left out
   * of panic routing too until `ejectedUntil` (or a ready poll), as nothing can come of it.
   */
  unreachable: boolean;
  /**
   * When its latest proxied attempt failed fast: answered 503 closing the connection (shutting
   * down; not one route's own 503, forward.ts) or gave no answer (reset, refused). 0 once it
   * answers anything else to a request sent after that, or polls ready. Panic routing passes it
   * over for the eject period while a peer has no such failure (isFailing).
   */
  failedAt: number;
}

export interface Balancer {
  readonly instances: readonly Instance[];
  /**
   * The available instance with the fewest requests in flight; ties go round in turn. The only
   * instance of the service is available through its passive ejection (isAvailable).
   */
  pick(exclude?: Instance): Instance | undefined;
  /**
   * Passive health: take an instance out for the eject period; `unreachable` (refused, or no
   * connection within the connect timeout) also out of panic routing for that long.
   */
  eject(instance: Instance, unreachable?: boolean): void;
  /**
   * Active health: the latest `/health/ready` result. `unanswered` (timed out, refused, reset)
   * takes the instance out only once `unhealthyThreshold` polls in a row found no answer.
   */
  setReady(instance: Instance, ready: Readiness): void;
  /**
   * Panic routing: when `pick` finds no available instance, the instance with the fewest
   * requests in flight among all of them (out or not), as Envoy balances over every host when
   * too few are healthy: a request that may succeed beats a certain 503. Not one that could not
   * be reached during its ejection (refused, or no connection within the connect timeout): each
   * request would wait out a connect timeout for a certain 503 (isReachable). Nor, while a peer
   * has not, one whose latest attempt failed fast within the eject period (isFailing): a
   * shutting-down instance answers 503 at once, so it never holds requests in flight, and by
   * fewest in flight alone it drew nearly every request from a slow peer that answers (as NGINX
   * takes a server out for `fail_timeout` after a failed attempt, `max_fails=1`).
   */
  pickAny(exclude?: Instance): Instance | undefined;
  /**
   * The instances become exactly `urls`: a known one keeps its health and count, a new one
   * joins as ready, and one that left finishes what it has in flight, then its pool closes.
   */
  setUrls(urls: readonly string[]): void;
  close(): Promise<void>;
}

/** What one `/health/ready` poll found. */
export type Readiness = 'ready' | 'not ready' | 'unanswered';

/**
 * Polls in a row without an answer before an instance is taken out (Envoy's
 * `unhealthy_threshold`; 3 is a common default, AWS's target groups' too): one stall of an
 * instance's event loop (a slow request, a GC pause) past a poll's 2 s timeout is not an outage.
 */
export const UNHEALTHY_THRESHOLD = 3;

export interface BalancerOptions {
  ejectMs: number;
  /** Polls in a row without an answer before an instance is out (default UNHEALTHY_THRESHOLD). */
  unhealthyThreshold?: number;
  /** The connection pool for one instance's origin. */
  connect: (url: string) => Dispatcher;
}

/**
 * In rotation: ready, and not ejected. The only instance of its service (`sole`) stays in through
 * a passive ejection for a failed request (a timeout, its closing refusal): with nowhere else to
 * send the next request, taking it out changed nothing but to call every request "panic routed"
 * (panic.ts). Still out: not ready by its own word or its polls, or ejected as unreachable (a
 * 503 at once beats waiting out a connect timeout for one).
 */
export const isAvailable = (instance: Instance, now = Date.now(), sole = false) =>
  instance.ready && (instance.ejectedUntil <= now || (sole && !instance.unreachable));

/** Its latest attempt failed fast less than `windowMs` ago: panic routing prefers a peer. */
export const isFailing = (instance: Instance, windowMs: number, now = Date.now()) =>
  instance.failedAt > 0 && now - instance.failedAt < windowMs;

/** Not ejected as unreachable: panic routing may try it. */
export const isReachable = (instance: Instance, now = Date.now()) =>
  !instance.unreachable || instance.ejectedUntil <= now;

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
          failedPolls: 0,
          ejectedUntil: 0,
          unreachable: false,
          failedAt: 0,
        },
    );
    for (const gone of known.values()) {
      if (!instances.includes(gone)) void gone.pool.close().catch(() => {});
    }
  };
  setUrls(urls);
  const threshold = options.unhealthyThreshold ?? UNHEALTHY_THRESHOLD;
  /** Among the usable, one not `passedOver` if any, then the fewest in flight. */
  const fewestInFlight = (
    exclude: Instance | undefined,
    usable: (i: Instance) => boolean,
    passedOver: (i: Instance) => boolean = () => false,
  ) => {
    const n = instances.length;
    let best: Instance | undefined;
    let bestPassedOver = false;
    for (let i = 0; i < n; i++) {
      const candidate = instances[(start + i) % n]!;
      if (candidate === exclude || !usable(candidate)) continue;
      const over = passedOver(candidate);
      if (
        !best ||
        (bestPassedOver && !over) ||
        (bestPassedOver === over && candidate.inFlight < best.inFlight)
      ) {
        best = candidate;
        bestPassedOver = over;
      }
    }
    // Moved on only by a scan that picked: a panic pick scans twice (pick finds none, then
    // pickAny), and moving on by two kept every idle tie of two instances on the same one.
    if (best) start = (start + 1) % n;
    return best;
  };
  return {
    get instances() {
      return instances;
    },
    pick(exclude) {
      const now = Date.now();
      const sole = instances.length === 1;
      return fewestInFlight(exclude, (i) => isAvailable(i, now, sole));
    },
    pickAny(exclude) {
      const now = Date.now();
      return fewestInFlight(
        exclude,
        (i) => isReachable(i, now),
        (i) => isFailing(i, options.ejectMs, now),
      );
    },
    eject(instance, unreachable = false) {
      instance.ejectedUntil = Date.now() + options.ejectMs;
      instance.unreachable = unreachable;
    },
    setReady(instance, readiness) {
      if (readiness === 'ready') {
        // A ready answer is fresher news than an earlier refusal: the instance is back.
        instance.ejectedUntil = 0;
        instance.unreachable = false;
        instance.failedAt = 0;
        instance.failedPolls = 0;
        instance.ready = true;
      } else if (readiness === 'not ready') {
        instance.failedPolls = 0;
        instance.ready = false;
      } else {
        instance.failedPolls++;
        if (instance.failedPolls >= threshold) instance.ready = false;
      }
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
