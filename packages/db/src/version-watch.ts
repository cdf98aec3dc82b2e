import { type ValueWatchOptions, type WatchLog, watchValue } from './value-watch.ts';

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
  log: WatchLog;
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
  /** Reconnect backoff, heartbeat and probe wait of the LISTEN connection (tests shorten them). */
  listen?: ValueWatchOptions<string>['listen'];
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

/**
 * A version (a counter every write bumps) followed through PostgreSQL LISTEN/NOTIFY (`watchValue`),
 * so requests can be held until it moves: an idle process answers nothing and reads only one
 * indexed row every `safetyMs`, which bounds how late a write is seen when NOTIFY fails silently.
 */
export async function watchVersion(options: VersionWatchOptions): Promise<VersionWatch> {
  const { log, channel } = options;
  // Unreadable at start (a database not migrated yet, as when only the OpenAPI document is
  // built): '' until a later read or notification, which holds nothing a caller could name.
  const initial = await options.read().catch((err: unknown) => {
    log.warn({ err }, `reading the ${channel} version failed; reading it again shortly`);
    return '';
  });
  const watch = watchValue({
    url: options.url,
    channel,
    applicationName: options.applicationName ?? `${channel}-watch`,
    initial,
    read: options.read,
    parse: (payload) => payload,
    isNewer: options.isNewer ?? ((a: string, b: string) => a !== b),
    log,
    messages: {
      readFailed: `reading the ${channel} version failed`,
      listeningAgain: `listening on ${channel} again`,
      lost: `lost the ${channel} listener; reading the version until it is back`,
      cannotListen: `cannot listen on ${channel}`,
      instead: 'reading the version',
      notConnected: `${channel} listener not connected`,
    },
    maxHeld: options.maxHeld ?? MAX_HELD_REQUESTS,
    fallbackMs: options.fallbackMs,
    safetyMs: options.safetyMs,
    listen: options.listen,
  });
  const canHold = (known: string) => known !== '' && known === watch.current() && watch.canHold();

  return {
    current: watch.current,
    saw: watch.saw,
    canHold,
    async hold(known, ms, signal) {
      if (!canHold(known)) return watch.current();
      await watch.hold((version) => version !== known, ms, signal);
      return watch.current();
    },
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
