import { setMaxListeners } from 'node:events';
import { listenToChannel } from './listen.ts';

/** pino's shape, as far as the watch logs. */
interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface VersionWatchOptions {
  /** The database to listen on (one dedicated connection). */
  url: string;
  /** Where every writer sends `pg_notify(channel, <new version>)` in its own transaction. */
  channel: string;
  applicationName?: string;
  /**
   * Reads the version from the database: at start, after every reconnect, every `safetyMs` while
   * listening and every `fallbackMs` while not.
   */
  read(): Promise<string>;
  /**
   * Whether `candidate` replaces `current`. Default: any other value. A version that only grows
   * passes its order, so a slow read that began before a notification cannot set it back.
   */
  isNewer?(candidate: string, current: string): boolean;
  log: Log;
  /** Requests held at most; beyond, `hold` answers at once (the caller then paces itself). */
  maxHeld?: number;
  /** While LISTEN is down, the version is read this often. */
  fallbackMs?: number;
  /**
   * While LISTEN is up, the version is still read this often (default 500 ms): a listener can go
   * deaf without a word (a dropped NAT or firewall entry, a failover behind one address) and its
   * heartbeat only notices after `heartbeatMs` plus its probe timeout (35 s by default).
   */
  safetyMs?: number;
  /** Reconnect backoff and heartbeat of the LISTEN connection (tests shorten them). */
  listen?: { retryMs?: number; maxRetryMs?: number; heartbeatMs?: number };
}

export interface VersionWatch {
  /** The version as this process knows it (LISTEN: within milliseconds of a commit anywhere). */
  current(): string;
  /** A write this process committed: its held requests wake without the round trip. */
  saw(version: string): void;
  /**
   * Whether a request that knows `known` may be held: the version is still `known`, fewer than
   * `maxHeld` are held and the process is not draining. Then call `hold` straight away.
   */
  canHold(known: string): boolean;
  /**
   * Resolves with the current version once it is not `known` any more, or after `ms`, or when
   * `signal` aborts (the caller hung up) or the process drains: a long poll's wait.
   */
  hold(known: string, ms: number, signal?: AbortSignal): Promise<string>;
  /** Requests held right now. */
  readonly held: number;
  /** Whether LISTEN is in place (else the version is read every `fallbackMs`). */
  readonly listening: boolean;
  /** Shutdown: answers every held request now and holds no new one, so the drain never waits. */
  drain(): void;
  close(): Promise<void>;
}

export const MAX_HELD_REQUESTS = 1000;
/** While listening: one read this often keeps a silently deaf listener within a second. */
const SAFETY_POLL_MS = 500;

/**
 * A version (a counter every write bumps) followed through PostgreSQL LISTEN/NOTIFY, so requests
 * can be held until it moves, as the long polls of Consul and etcd are: an idle process answers
 * nothing and reads only one indexed row every `safetyMs`, which bounds how late a write is
 * seen when NOTIFY fails silently (one read for the process, however many requests it holds).
 * While LISTEN is not in place the version is read every `fallbackMs` instead, and once it is
 * again, read once more (what was committed in between sent a NOTIFY no one heard).
 */
export async function watchVersion(options: VersionWatchOptions): Promise<VersionWatch> {
  const { log } = options;
  const maxHeld = options.maxHeld ?? MAX_HELD_REQUESTS;
  const isNewer = options.isNewer ?? ((a: string, b: string) => a !== b);
  // Unreadable at start (a database not migrated yet, as when only the OpenAPI document is
  // built): '' until a later read or notification, which holds nothing a caller could name.
  let version = await options.read().catch((err: unknown) => {
    log.warn({ err }, `reading the ${options.channel} version failed; reading it again shortly`);
    return '';
  });
  let held = 0;
  let closed = false;
  const draining = new AbortController();
  // Every held request listens to it (maxHeld at most): not the leak Node warns of beyond 10.
  setMaxListeners(maxHeld + 10, draining.signal);
  const waiters = new Set<{ known: string; done(): void }>();

  function saw(next: string) {
    if (!isNewer(next, version)) return;
    version = next;
    for (const waiter of [...waiters]) if (waiter.known !== version) waiter.done();
  }

  // One read at a time: a slow database must not pile up fallback queries.
  let reading: Promise<void> | undefined;
  const refresh = () => {
    reading ??= options
      .read()
      .then(saw, (err: unknown) =>
        log.debug({ err }, `reading the ${options.channel} version failed`),
      )
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  const fallbackMs = options.fallbackMs ?? 250;
  const safetyMs = options.safetyMs ?? SAFETY_POLL_MS;
  let fallback: NodeJS.Timeout | undefined;
  let pollingEvery = 0;
  const pollTable = (ms: number) => {
    // Restarted only when the pace changes: a listener failing again and again must not keep
    // pushing the next read away.
    if (ms === pollingEvery) return;
    pollingEvery = ms;
    clearInterval(fallback);
    fallback = setInterval(refresh, ms).unref();
  };
  pollTable(fallbackMs);
  let wasListening = false;
  let outage = false;
  const listener = listenToChannel({
    url: options.url,
    channel: options.channel,
    applicationName: options.applicationName ?? `${options.channel}-watch`,
    ...options.listen,
    onNotification: saw,
    onListening() {
      pollTable(safetyMs);
      void refresh();
      if (outage) log.info({}, `listening on ${options.channel} again`);
      wasListening = true;
      outage = false;
    },
    onLost(err) {
      pollTable(fallbackMs);
      // Once per outage: the listener reports every failed reconnect attempt.
      if (!outage) {
        log.warn(
          { err },
          wasListening
            ? `lost the ${options.channel} listener; reading the version until it is back`
            : `cannot listen on ${options.channel} (a pooler in transaction mode?); reading the version`,
        );
      } else log.debug({ err }, `${options.channel} listener not connected`);
      outage = true;
    },
  });

  function wait(known: string, ms: number, signal?: AbortSignal) {
    return new Promise<string>((resolve) => {
      // setTimeout runs on the monotonic clock: a wall-clock jump neither ends nor stretches it.
      const timer = setTimeout(() => waiter.done(), ms).unref();
      const waiter = {
        known,
        done() {
          clearTimeout(timer);
          signal?.removeEventListener('abort', waiter.done);
          draining.signal.removeEventListener('abort', waiter.done);
          if (waiters.delete(waiter)) resolve(version);
        },
      };
      waiters.add(waiter);
      // Listeners, not AbortSignal.any: Node 20 keeps every signal made from a long-lived one.
      signal?.addEventListener('abort', waiter.done, { once: true });
      draining.signal.addEventListener('abort', waiter.done, { once: true });
      if (signal?.aborted || draining.signal.aborted) waiter.done();
    });
  }

  const canHold = (known: string) =>
    known !== '' && known === version && held < maxHeld && !draining.signal.aborted && !closed;

  return {
    current: () => version,
    saw,
    canHold,
    async hold(known, ms, signal) {
      if (!canHold(known)) return version;
      held += 1;
      try {
        return await wait(known, ms, signal);
      } finally {
        held -= 1;
      }
    },
    get held() {
      return held;
    },
    get listening() {
      return listener.listening;
    },
    drain: () => draining.abort(),
    async close() {
      closed = true;
      draining.abort();
      clearInterval(fallback);
      await listener.close();
      await reading;
    },
  };
}
