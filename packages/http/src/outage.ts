import { UNREACHABLE_CODES } from '@platform/config';

/** The subset of a pino/Fastify logger an outage log writes to. */
export interface OutageLogger {
  debug(object: object, message: string): void;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface OutageOptions {
  /** A dependency down for less than this is normal (it is starting): debug lines only. */
  quietMs?: number;
  /**
   * An outage while this process is younger than this (default twice `quietMs`, 1 min) is quiet
   * until then: the whole stack is starting, and on a loaded machine its services take longer
   * than `quietMs` to come up after this one (a cold start under CI took ~30 s).
   */
  startupMs?: number;
  /** While it stays down, a warning at most this often. */
  repeatMs?: number;
  /** Milliseconds on a clock that only moves forward (default `performance.now`). */
  now?: () => number;
  /** When this process started, on `now`'s clock (default: from `process.uptime()`). */
  startedAt?: number;
}

export interface OutageLog {
  /** One failed attempt to reach the dependency. */
  failed(error: unknown): void;
  /** A successful attempt; ends the outage, if any. */
  succeeded(): void;
}

/**
 * An answer that waiting will not change (a peer that is up refuses this process's SERVICE_TOKEN):
 * `outageLog` warns of it at once, as one line, not after its quiet start-up time, during which
 * a wrong setting otherwise went unsaid for a minute.
 */
export function refusal(message: string): Error {
  return Object.assign(new Error(message), { refused: true });
}

const isRefusal = (error: unknown) =>
  (error as { refused?: unknown } | undefined)?.refused === true;

/** Error codes that mean "not reachable (yet)": the stack says nothing the message does not. */
const UNREACHABLE = new Set([
  ...UNREACHABLE_CODES,
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/**
 * Logs a poller's failures to reach another service the way an operator wants them: during a
 * start, services come up in some order and a dependency that is not up yet is a debug line;
 * only when it stays down past `quietMs` (30 s), and past the process's first `startupMs` (1 min),
 * is it a warning, repeated every `repeatMs` (60 s) while it lasts, and an info line when it is
 * back; a `refusal` is a warning at once. "Connection refused" and the like are one line with the
 * code and no stack; anything else keeps its stack (it may be a bug).
 */
export function outageLog(
  log: OutageLogger,
  message: string,
  options: OutageOptions = {},
): OutageLog {
  const quietMs = options.quietMs ?? 30_000;
  const repeatMs = options.repeatMs ?? 60_000;
  // Not the wall clock: one stepped back (NTP as a machine boots) stretched the quiet time and the
  // start-up by the size of the step, and a dependency down all along went unsaid that long.
  const now = options.now ?? (() => performance.now());
  const startupEnds =
    (options.startedAt ?? now() - process.uptime() * 1000) + (options.startupMs ?? 2 * quietMs);
  let since: number | undefined;
  let failures = 0;
  let warnedAt: number | undefined;

  return {
    failed(error) {
      const at = now();
      since ??= at;
      failures += 1;
      const fields = { ...describe(error), failures, down_ms: at - since };
      const lasting = isRefusal(error) || (at - since >= quietMs && at >= startupEnds);
      if (lasting && (warnedAt === undefined || at - warnedAt >= repeatMs)) {
        warnedAt = at;
        log.warn(fields, message);
      } else {
        log.debug(fields, `${message}; retrying`);
      }
    },
    succeeded() {
      if (since === undefined) return;
      const fields = { failures, down_ms: now() - since };
      if (warnedAt !== undefined) log.info(fields, `${message}: recovered`);
      else log.debug(fields, `${message}: recovered`);
      since = undefined;
      failures = 0;
      warnedAt = undefined;
    },
  };
}

/**
 * `{code, error}` (one line of text) for an unreachable peer, whose stack says nothing the
 * message does not (undici nests the cause); `{err}` with its stack for anything else.
 */
function describe(error: unknown): Record<string, unknown> {
  if (isRefusal(error)) return { error: (error as Error).message };
  const code = codeOf(error) ?? codeOf((error as { cause?: unknown } | undefined)?.cause);
  const name = (error as Error | undefined)?.name;
  if (!(code && UNREACHABLE.has(code)) && name !== 'TimeoutError') return { err: error };
  const cause = (error as { cause?: Error }).cause;
  const text = [(error as Error).message, cause?.message].filter(Boolean).join(': ');
  return { ...(code ? { code } : {}), error: text };
}

/**
 * Whether an error (or one it wraps: Drizzle and undici nest the cause) means a dependency could
 * not be reached or dropped the connection: the network codes above, PostgreSQL's connection
 * exceptions (SQLSTATE class 08), shutdowns and start-ups (57P01–57P03), too many connections
 * (53300), and node-postgres' own "Connection terminated", pool connect timeout, unanswered
 * query (`query_timeout`, @platform/db) and query on a connection already lost or closed (what
 * Drizzle's `rollback` meets, and throws, after the connection went away inside a transaction).
 */
export function isUnreachable(error: unknown): boolean {
  let current = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = codeOf(current);
    if (code && (UNREACHABLE.has(code) || /^(08...|57P0[123]|53300)$/.test(code))) return true;
    const message = (current as { message?: unknown }).message;
    if (
      typeof message === 'string' &&
      /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed)/.test(
        message,
      )
    ) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
