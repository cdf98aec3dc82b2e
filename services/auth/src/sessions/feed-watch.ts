import { setMaxListeners } from 'node:events';
import { listenToChannel } from '@platform/db';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/index.ts';
import { FEED_CHANNEL, newestRevocationId } from './repository.ts';

/**
 * How new the revocation feed is, as this process knows it, and a way to wait for it to grow.
 * Every replica appends under a NOTIFY (repository.ts `appendToFeed`); each listens on one
 * dedicated connection, so a poll held here wakes within milliseconds of a commit anywhere.
 */
export interface FeedWatch {
  /** The newest feed id known to exist (expired or not). */
  newest(): number;
  /** Ids this process appended and committed: its waiters wake without the round trip. */
  saw(id: number): void;
  /** Resolves true once an id above `after` exists; false after `ms` or when `signal` aborts. */
  waitBeyond(after: number, ms: number, signal?: AbortSignal): Promise<boolean>;
  /**
   * As `waitBeyond`, for a poll another process holds open (a socket each): false at once when
   * `maxHeld` are already held or the server is draining, so the caller answers straight away.
   */
  hold(after: number, ms: number, signal?: AbortSignal): Promise<boolean>;
  /** Polls held right now. */
  readonly held: number;
  /**
   * Whether LISTEN is in place (the table is then read every SAFETY_POLL_MS, else every
   * FALLBACK_POLL_MS).
   */
  readonly listening: boolean;
  /** Shutdown: answers every held poll now and holds no new one, so the drain never waits. */
  drain(): void;
  close(): Promise<void>;
}

export interface FeedWatchOptions {
  db: Db;
  databaseUrl: string;
  log: FastifyBaseLogger;
  metrics?: Registry;
  /** Held polls at most; beyond, requests are answered at once (the poller then paces itself). */
  maxHeld?: number;
  /** Reconnect backoff and heartbeat of the LISTEN connection (tests shorten them). */
  listen?: { retryMs?: number; maxRetryMs?: number; heartbeatMs?: number };
}

/**
 * Sockets are cheap but not free, and every auth process answers sign-ins on the same file
 * descriptors: far above the verifier processes one auth replica serves (one poll each).
 */
export const MAX_HELD_POLLS = 1000;
/** While LISTEN is down: the newest id read from the table this often, to stay within 1 s. */
const FALLBACK_POLL_MS = 250;
/**
 * While LISTEN is up, the table is still read this often (one index-only `max(id)`): a connection
 * can go deaf without a word (a dropped NAT or firewall entry, a failover behind one address) and
 * the heartbeat only notices after up to `heartbeatMs` + its probe timeout (35 s by default),
 * while the contract allows 1 s. NOTIFY makes a revocation arrive in milliseconds; this bounds it
 * when NOTIFY fails silently.
 */
const SAFETY_POLL_MS = 500;

export async function watchFeed(options: FeedWatchOptions): Promise<FeedWatch> {
  const { db, log } = options;
  const maxHeld = options.maxHeld ?? MAX_HELD_POLLS;
  let newest = 0;
  let held = 0;
  let closed = false;
  const draining = new AbortController();
  // Every held poll listens to it (maxHeld at most): not the leak Node warns of beyond 10.
  setMaxListeners(maxHeld + 10, draining.signal);
  const waiters = new Set<{ after: number; done(woke: boolean): void }>();
  const counters = feedMetrics(options.metrics, () => ({ held, listening: listener.listening }));

  function saw(id: number) {
    if (!(id > newest)) return;
    newest = id;
    for (const waiter of [...waiters]) if (id > waiter.after) waiter.done(true);
  }

  function wait(after: number, ms: number, signals: (AbortSignal | undefined)[]) {
    if (newest > after) return Promise.resolve(true);
    if (closed || signals.some((s) => s?.aborted)) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      // setTimeout runs on the monotonic clock: a wall-clock jump neither ends nor stretches it.
      const timer = setTimeout(() => waiter.done(false), ms).unref();
      const abort = () => waiter.done(false);
      const waiter = {
        after,
        done(woke: boolean) {
          clearTimeout(timer);
          for (const s of signals) s?.removeEventListener('abort', abort);
          waiters.delete(waiter);
          resolve(woke);
        },
      };
      // Listeners, not AbortSignal.any: Node 20 keeps every signal made from a long-lived one.
      for (const s of signals) s?.addEventListener('abort', abort, { once: true });
      waiters.add(waiter);
    });
  }

  // One read at a time: a slow database must not pile up fallback queries.
  let reading: Promise<void> | undefined;
  const refresh = () => {
    reading ??= newestRevocationId(db)
      .then(saw, (err: unknown) => log.debug({ err }, 'reading the newest revocation id failed'))
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
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

  newest = await newestRevocationId(db);
  pollTable(FALLBACK_POLL_MS);
  let wasListening = false;
  let outage = false;
  const listener = listenToChannel({
    url: options.databaseUrl,
    channel: FEED_CHANNEL,
    applicationName: 'auth-revocation-feed',
    ...options.listen,
    onNotification(payload) {
      const id = Number(payload);
      if (Number.isSafeInteger(id)) saw(id);
    },
    onListening() {
      pollTable(SAFETY_POLL_MS);
      // Whatever was committed while nobody listened sent a NOTIFY no one heard: read it now.
      void refresh();
      if (outage) log.info('listening for revocations again');
      wasListening = true;
      outage = false;
    },
    onLost(err) {
      pollTable(FALLBACK_POLL_MS);
      // Once per outage: the listener reports every failed reconnect attempt.
      if (!outage) {
        log.warn(
          { err },
          wasListening
            ? 'lost the revocation feed listener; polling the table until it is back'
            : 'cannot listen for revocations (a pooler in transaction mode?); polling the table',
        );
      } else {
        log.debug({ err }, 'revocation feed listener not connected');
      }
      outage = true;
    },
  });

  return {
    newest: () => newest,
    saw,
    waitBeyond: (after, ms, signal) => wait(after, ms, [signal]),
    async hold(after, ms, signal) {
      if (draining.signal.aborted || held >= maxHeld) {
        if (newest <= after && !draining.signal.aborted) counters?.refused.inc();
        return newest > after;
      }
      held += 1;
      try {
        return await wait(after, ms, [signal, draining.signal]);
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
      for (const waiter of [...waiters]) waiter.done(false);
      await listener.close();
      await reading;
    },
  };
}

function feedMetrics(
  registry: Registry | undefined,
  state: () => { held: number; listening: boolean },
) {
  if (!registry) return undefined;
  new Gauge({
    name: 'auth_revocation_feed_held_polls',
    help: 'Requests to /internal/revocations held open until the feed grows or their wait ends',
    registers: [registry],
    collect() {
      this.set(state().held);
    },
  });
  new Gauge({
    name: 'auth_revocation_feed_listening',
    help: '1 while LISTEN for new revocations is in place, 0 while the table is polled instead',
    registers: [registry],
    collect() {
      this.set(state().listening ? 1 : 0);
    },
  });
  return {
    refused: new Counter({
      name: 'auth_revocation_feed_holds_refused_total',
      help: 'Feed polls answered at once because the held-poll limit was reached',
      registers: [registry],
    }),
  };
}
