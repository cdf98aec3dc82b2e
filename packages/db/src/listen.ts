import { randomUUID } from 'node:crypto';
import pg from 'pg';

export interface ChannelListenerOptions {
  /** The database to listen on (a connection of its own, outside any pool). */
  url: string;
  /** A plain lower-case identifier. */
  channel: string;
  applicationName?: string;
  onNotification(payload: string): void;
  /**
   * LISTEN is in place (at start and after every reconnect). Anything sent while it was not is
   * lost for good: re-read whatever the notifications stand for here.
   */
  onListening(): void;
  /** The connection failed or was lost (once per failed attempt); reconnecting follows. */
  onLost(error: unknown): void;
  /**
   * How often the connection proves it still hears: it notifies itself and must hear that back
   * within `probeTimeoutMs`. A connection that died without a word (a dropped NAT entry, a
   * failover) would otherwise swallow every notification, and so would a pooler in transaction
   * mode (PgBouncer), where LISTEN succeeds but nothing ever arrives.
   */
  heartbeatMs?: number;
  probeTimeoutMs?: number;
  /** Reconnect backoff: first delay, doubled up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

export interface ChannelListener {
  /** Whether LISTEN is in place right now: a notification sent now will arrive. */
  readonly listening: boolean;
  close(): Promise<void>;
}

/**
 * The connection answered its own `pg_notify` but the notification never came back: what a pooler
 * in transaction mode (PgBouncer) does to LISTEN, or a connection that went deaf. Any other
 * failure (refused, timed out, unanswered, an error from the server) is about reaching the
 * server, not about what stands between.
 */
export class NotHeardError extends Error {
  override name = 'NotHeardError';
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;
/** Payloads of the listener's own probes; never passed on. */
const PROBE = 'listener-probe:';

/**
 * PostgreSQL LISTEN on one dedicated connection, kept up: reconnects with backoff (jittered, so
 * replicas that lost the database together do not return in lockstep) and checks the connection
 * every `heartbeatMs`. Notifications are delivered at commit of the transaction that sent them, to
 * every connection listening at that moment; the caller re-reads its state in `onListening`.
 */
export function listenToChannel(options: ChannelListenerOptions): ChannelListener {
  if (!CHANNEL.test(options.channel)) throw new Error(`invalid channel: ${options.channel}`);
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const probeTimeoutMs = options.probeTimeoutMs ?? 5000;
  const retryMs = options.retryMs ?? 250;
  const maxRetryMs = options.maxRetryMs ?? 10_000;
  let client: pg.Client | undefined;
  let listening = false;
  let closed = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  const heard = new Map<string, () => void>();

  const schedule = (fn: () => void, ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
    // The server keeps the process alive; listening alone must not.
    timer.unref();
  };

  function lost(from: pg.Client, error: unknown) {
    // Each client reports its end once; a stale one (already replaced) says nothing.
    if (client !== from || closed) return;
    client = undefined;
    listening = false;
    from.removeAllListeners('notification');
    from.on('error', () => {});
    from.end().catch(() => {});
    retry(error);
  }

  function retry(error: unknown) {
    options.onLost(error);
    const backoff = Math.min(maxRetryMs, retryMs * 2 ** failures);
    failures += 1;
    schedule(connect, backoff / 2 + Math.random() * (backoff / 2));
  }

  async function connect() {
    if (closed) return;
    let next: pg.Client;
    try {
      next = new pg.Client({
        connectionString: options.url,
        application_name: options.applicationName ?? 'listener',
        keepAlive: true,
        connectionTimeoutMillis: 5000,
        // A heartbeat that hangs counts as a lost connection.
        query_timeout: 5000,
      });
    } catch (error) {
      // The constructor parses the URL (`Invalid URL` for a port that is no number). Thrown here,
      // in a promise nobody awaits, it was an unhandled rejection that ended the process.
      retry(error);
      return;
    }
    client = next;
    next.on('error', (error) => lost(next, error));
    next.on('end', () => lost(next, new Error('connection ended')));
    next.on('notification', (message) => {
      if (message.channel !== options.channel) return;
      const payload = message.payload ?? '';
      if (payload.startsWith(PROBE)) heard.get(payload)?.();
      else options.onNotification(payload);
    });
    try {
      await next.connect();
      await next.query(`listen "${options.channel}"`);
      await probe(next);
    } catch (error) {
      lost(next, error);
      return;
    }
    if (client !== next || closed) return;
    listening = true;
    failures = 0;
    options.onListening();
    schedule(heartbeat, heartbeatMs);
  }

  /**
   * Notifies itself and resolves once that came back; rejects after probeTimeoutMs, with a
   * NotHeardError only if the server had answered the `pg_notify` (a busy server that had not is
   * slow, not deaf: the notification arrives with the answer).
   */
  async function probe(on: pg.Client) {
    // Every listener on the channel hears it: a random name only this one waits for.
    const payload = `${PROBE}${randomUUID()}`;
    let timeout: NodeJS.Timeout | undefined;
    let answered = false;
    try {
      await Promise.all([
        new Promise<void>((resolve, reject) => {
          heard.set(payload, resolve);
          timeout = setTimeout(
            () =>
              reject(
                answered
                  ? new NotHeardError(
                      `LISTEN did not hear its own NOTIFY within ${probeTimeoutMs} ms`,
                    )
                  : new Error(`PostgreSQL did not answer a NOTIFY within ${probeTimeoutMs} ms`),
              ),
            probeTimeoutMs,
          );
        }),
        on.query('select pg_notify($1, $2)', [options.channel, payload]).then(() => {
          answered = true;
        }),
      ]);
    } finally {
      clearTimeout(timeout);
      heard.delete(payload);
    }
  }

  async function heartbeat() {
    const current = client;
    if (!current || closed) return;
    try {
      await probe(current);
    } catch (error) {
      lost(current, error);
      return;
    }
    if (client === current && !closed) schedule(heartbeat, heartbeatMs);
  }

  void connect();
  return {
    get listening() {
      return listening;
    },
    async close() {
      closed = true;
      listening = false;
      clearTimeout(timer);
      const last = client;
      client = undefined;
      if (last) {
        last.removeAllListeners();
        last.on('error', () => {});
        await last.end().catch(() => {});
      }
    },
  };
}
