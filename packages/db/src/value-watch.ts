import { setMaxListeners } from 'node:events';
import { listenToChannel, NotHeardError } from './listen.ts';

/** pino's shape, as far as a watch logs. */
export interface WatchLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** What the logs say (operators and tests search for these lines, so each caller names its own). */
export interface WatchMessages {
  /** A read failed (debug: the next one follows within `fallbackMs`). */
  readFailed: string;
  /** LISTEN is in place again after an outage. */
  listeningAgain: string;
  /** LISTEN was lost after it had worked (warn, once per outage). */
  lost: string;
  /**
   * LISTEN never came up since start (warn, once): what cannot be done (`cannot listen on x`);
   * the line goes on with the reason and `instead` (cannotListenLine).
   */
  cannotListen: string;
  /** What is done meanwhile, for that line: `reading the version`. */
  instead: string;
  /** Another failed reconnect attempt in the same outage (debug). */
  notConnected: string;
}

export interface ValueWatchOptions<T> {
  /** The database to listen on (one dedicated connection). */
  url: string;
  /** Where every writer sends `pg_notify(channel, <new value>)` in its own transaction. */
  channel: string;
  applicationName: string;
  /** The value read at start: the caller decides what an unreadable start means. */
  initial: T;
  /**
   * Reads the value from the database: after every reconnect, every `safetyMs` while listening
   * and every `fallbackMs` while not.
   */
  read(): Promise<T>;
  /** The value a notification's payload carries; undefined: ignored. */
  parse(payload: string): T | undefined;
  /** Whether `candidate` replaces `current` (a slow read that began before a NOTIFY must not set it back). */
  isNewer(candidate: T, current: T): boolean;
  log: WatchLog;
  messages: WatchMessages;
  /** Requests held at most; beyond, `hold` answers at once (the caller then paces itself). */
  maxHeld: number;
  /** A hold refused because `maxHeld` were held while the value had not moved (for a metric). */
  onFull?(): void;
  /** While LISTEN is down, the value is read this often (default 250 ms). */
  fallbackMs?: number;
  /**
   * While LISTEN is up, the value is still read this often (default 500 ms): a listener can go
   * deaf without a word (a dropped NAT or firewall entry, a failover behind one address) and its
   * heartbeat only notices after `heartbeatMs` plus its probe timeout (35 s by default).
   */
  safetyMs?: number;
  /**
   * Reconnect backoff, heartbeat and probe wait of the LISTEN connection (tests shorten them), and
   * `startupMs`: while this process is younger (default 1 min, as `outageLog`'s in
   * @platform/http), a first LISTEN that fails (refused, timed out) is a debug line; the warning
   * comes if it still fails after that.
   */
  listen?: {
    retryMs?: number;
    maxRetryMs?: number;
    heartbeatMs?: number;
    probeTimeoutMs?: number;
    startupMs?: number;
  };
}

export interface ValueWatch<T> {
  /** The value as this process knows it (LISTEN: within milliseconds of a commit anywhere). */
  current(): T;
  /** A value this process committed: its waiters wake without the round trip. */
  saw(value: T): void;
  /**
   * Resolves true once `moved(current)` holds; false after `ms`, when `signal` aborts or on
   * close. Not counted as held, not ended by `drain`: for the process's own followers.
   */
  wait(moved: (value: T) => boolean, ms: number, signal?: AbortSignal): Promise<boolean>;
  /** Whether a hold would be taken now: fewer than `maxHeld` held, not draining, not closed. */
  canHold(): boolean;
  /**
   * As `wait`, for a request another process holds open (a socket each): counted in `held` and
   * answered by `drain`; when it cannot be held, answers `moved(current)` at once.
   */
  hold(moved: (value: T) => boolean, ms: number, signal?: AbortSignal): Promise<boolean>;
  /** Requests held right now. */
  readonly held: number;
  /** Whether LISTEN is in place (else the value is read every `fallbackMs`). */
  readonly listening: boolean;
  /** Shutdown: answers every held request now and holds no new one, so the drain never waits. */
  drain(): void;
  close(): Promise<void>;
}

/**
 * The warning when LISTEN has not come up since start. A pooler in transaction mode is named only
 * when the error is the one it gives (NotHeardError: LISTEN and NOTIFY answered, the notification
 * never delivered); a first connection refused or timed out on a busy machine was reported as
 * `(a pooler in transaction mode?)` too, which sent operators looking for a pooler there was not.
 */
export function cannotListenLine(
  messages: Pick<WatchMessages, 'cannotListen' | 'instead'>,
  err: unknown,
): string {
  if (err instanceof NotHeardError)
    return `${messages.cannotListen}: its own NOTIFY never comes back (a pooler in transaction mode?); ${messages.instead}`;
  return `${messages.cannotListen} yet (${reasonOf(err)}); ${messages.instead} meanwhile, and trying again`;
}

/** An error in a few words: its message, or its code (Node's AggregateError of a refused connect has none). */
function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const first =
    err instanceof AggregateError && err.errors[0] instanceof Error ? err.errors[0] : err;
  return first.message || (err as NodeJS.ErrnoException).code || err.name;
}

/** While LISTEN is down: the value is read this often. */
const FALLBACK_POLL_MS = 250;
/** While listening: one read this often keeps a silently deaf listener within a second. */
const SAFETY_POLL_MS = 500;
/**
 * A first LISTEN failing while the process is younger than this is the stack starting: on a loaded
 * machine a cold start's first connection ran past its 5 s timeout (CI, main at ~10× its speed).
 */
const STARTUP_MS = 60_000;

/**
 * A value in the database (a counter every write bumps, the newest id of a feed) followed through
 * PostgreSQL LISTEN/NOTIFY, so requests can be held until it moves, as the long polls of Consul
 * and etcd are: an idle process answers nothing and reads the value only every `safetyMs`, which
 * bounds how late a write is seen when NOTIFY fails silently (one read for the process, however
 * many requests it holds). While LISTEN is not in place the value is read every `fallbackMs`
 * instead, and once it is again, read once more (what was committed in between sent a NOTIFY no
 * one heard).
 */
export function watchValue<T>(options: ValueWatchOptions<T>): ValueWatch<T> {
  const { log, messages, maxHeld, isNewer } = options;
  let value = options.initial;
  let held = 0;
  let closed = false;
  const draining = new AbortController();
  // Every held request listens to it (maxHeld at most): not the leak Node warns of beyond 10.
  setMaxListeners(maxHeld + 10, draining.signal);
  const waiters = new Set<{ moved(value: T): boolean; done(woke: boolean): void }>();

  function saw(next: T) {
    if (!isNewer(next, value)) return;
    value = next;
    for (const waiter of [...waiters]) if (waiter.moved(value)) waiter.done(true);
  }

  function wait(moved: (value: T) => boolean, ms: number, signals: (AbortSignal | undefined)[]) {
    if (moved(value)) return Promise.resolve(true);
    if (closed || signals.some((s) => s?.aborted)) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      // setTimeout runs on the monotonic clock: a wall-clock jump neither ends nor stretches it.
      const timer = setTimeout(() => waiter.done(false), ms).unref();
      const abort = () => waiter.done(false);
      const waiter = {
        moved,
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
    reading ??= options
      .read()
      .then(saw, (err: unknown) => log.debug({ err }, messages.readFailed))
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  const fallbackMs = options.fallbackMs ?? FALLBACK_POLL_MS;
  const safetyMs = options.safetyMs ?? SAFETY_POLL_MS;
  let poll: NodeJS.Timeout | undefined;
  let pollingEvery = 0;
  const pollTable = (ms: number) => {
    // Restarted only when the pace changes: a listener failing again and again must not keep
    // pushing the next read away.
    if (ms === pollingEvery) return;
    pollingEvery = ms;
    clearInterval(poll);
    poll = setInterval(refresh, ms).unref();
  };
  pollTable(fallbackMs);
  let wasListening = false;
  let outage = false;
  /** This outage was warned of (once per outage). */
  let told = false;
  /** This outage's warnings named the pooler already (its one cause that retrying never cures). */
  let toldNotHeard = false;
  const { startupMs = STARTUP_MS, ...listen } = options.listen ?? {};
  const listener = listenToChannel({
    url: options.url,
    channel: options.channel,
    applicationName: options.applicationName,
    ...listen,
    onNotification(payload) {
      const next = options.parse(payload);
      if (next !== undefined) saw(next);
    },
    onListening() {
      pollTable(safetyMs);
      // Whatever was committed while nobody listened sent a NOTIFY no one heard: read it now.
      void refresh();
      if (told) log.info({}, messages.listeningAgain);
      else if (outage) log.debug({}, messages.listeningAgain);
      wasListening = true;
      outage = false;
      told = false;
      toldNotHeard = false;
    },
    onLost(err) {
      pollTable(fallbackMs);
      // Once per outage: the listener reports every failed reconnect attempt. But a pooler met
      // after another first failure (refused while PostgreSQL or PgBouncer came up) is said too:
      // retrying never cures it, and at debug alone the table was read for ever, unexplained.
      const notHeard = err instanceof NotHeardError;
      // Never listened yet, in a process still starting: the stack is starting (a pooler is said
      // at once: waiting never cures it). Lost after it had worked: said at once.
      // The process's age (monotonic): a wall clock stepped back as a machine boots stretched it.
      const starting = !wasListening && !notHeard && process.uptime() * 1000 < startupMs;
      if (!told && !starting) {
        log.warn({ err }, wasListening ? messages.lost : cannotListenLine(messages, err));
        told = true;
      } else if (notHeard && !toldNotHeard) log.warn({ err }, cannotListenLine(messages, err));
      else log.debug({ err }, messages.notConnected);
      if (notHeard) toldNotHeard = true;
      outage = true;
    },
  });

  const canHold = () => held < maxHeld && !draining.signal.aborted && !closed;

  return {
    current: () => value,
    saw,
    wait: (moved, ms, signal) => wait(moved, ms, [signal]),
    canHold,
    async hold(moved, ms, signal) {
      if (!canHold()) {
        if (!moved(value) && !draining.signal.aborted) options.onFull?.();
        return moved(value);
      }
      held += 1;
      try {
        return await wait(moved, ms, [signal, draining.signal]);
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
      clearInterval(poll);
      for (const waiter of [...waiters]) waiter.done(false);
      await listener.close();
      await reading;
    },
  };
}
