import { watchValue } from '@platform/db';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/index.ts';
import { FEED_CHANNEL, newestRevocationId } from './feed-repository.ts';

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
   * Whether LISTEN is in place (the table is then read every 500 ms, else every 250 ms).
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
/**
 * Followed with `watchValue` (@platform/db): while LISTEN is down, the newest id is read from the
 * table every 250 ms, to stay within 1 s; while it is up, still every 500 ms (one index-only
 * `max(id)`): a connection can go deaf without a word (a dropped NAT or firewall entry, a
 * failover behind one address) and the heartbeat only notices after up to `heartbeatMs` + its
 * probe timeout (35 s by default), while the contract allows 1 s. NOTIFY makes a revocation
 * arrive in milliseconds; the read bounds it when NOTIFY fails silently.
 */
export async function watchFeed(options: FeedWatchOptions): Promise<FeedWatch> {
  const { db } = options;
  const watch = watchValue({
    url: options.databaseUrl,
    channel: FEED_CHANNEL,
    applicationName: 'auth-revocation-feed',
    initial: await newestRevocationId(db),
    read: () => newestRevocationId(db),
    parse(payload) {
      const id = Number(payload);
      return Number.isSafeInteger(id) ? id : undefined;
    },
    isNewer: (id, newest) => id > newest,
    log: options.log,
    messages: {
      readFailed: 'reading the newest revocation id failed',
      listeningAgain: 'listening for revocations again',
      lost: 'lost the revocation feed listener; polling the table until it is back',
      cannotListen: 'cannot listen for revocations',
      instead: 'polling the table',
      notConnected: 'revocation feed listener not connected',
    },
    maxHeld: options.maxHeld ?? MAX_HELD_POLLS,
    onFull: () => counters?.refused.inc(),
    listen: options.listen,
  });
  const counters = feedMetrics(options.metrics, () => ({
    held: watch.held,
    listening: watch.listening,
  }));
  const beyond = (after: number) => (id: number) => id > after;

  return {
    newest: watch.current,
    saw: watch.saw,
    waitBeyond: (after, ms, signal) => watch.wait(beyond(after), ms, signal),
    hold: (after, ms, signal) => watch.hold(beyond(after), ms, signal),
    get held() {
      return watch.held;
    },
    get listening() {
      return watch.listening;
    },
    drain: watch.drain,
    close: watch.close,
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
