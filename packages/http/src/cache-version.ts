import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { CACHE_VERSION_HEARTBEAT_HEADER, CACHE_VERSION_HELD_HEADER } from './app.ts';
import { HEARTBEAT_MS, heartbeats } from './heartbeat.ts';

/** Below every proxy's and client's idle timeout one would put in front of it. */
const MAX_WAIT_SECONDS = 30;

/** CACHE_VERSION_PATH's query; without `wait` (0) answered at once, as older gateways ask. */
export const CacheVersionQuery = Type.Object(
  {
    version: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'the version the caller knows; held only while it is still this one',
      }),
    ),
    wait: Type.Integer({
      minimum: 0,
      maximum: MAX_WAIT_SECONDS,
      default: 0,
      description: 'seconds to hold the request while the version is `version` (long poll)',
    }),
  },
  { additionalProperties: false },
);

export const CacheVersionAnswer = Type.Object({ version: Type.String() });

/** Held answers of this process: one timer beats for them all. */
const beat = heartbeats(HEARTBEAT_MS);

/** The read running for each watch, with when it began and the version the watch knew then. */
const reads = new WeakMap<
  HeldVersion,
  { startedAt: number; known: string; version: Promise<string> }
>();

/**
 * One write wakes every request held on the version at once (one per gateway process): they join
 * one read of it rather than queue as many before the pool. A request joins a read only if it
 * began after the request arrived and once the watch knew the version that woke it, so the read
 * sees every write the answer must reflect.
 */
function readWoken(source: CacheVersionSource, arrivedAt: number, woke: unknown) {
  const { watch } = source;
  const running = reads.get(watch);
  if (running && running.startedAt > arrivedAt && running.known === woke) return running.version;
  if (!watch.current) return source.read();
  const read = { startedAt: performance.now(), known: watch.current(), version: source.read() };
  reads.set(watch, read);
  const done = () => {
    if (reads.get(watch) === read) reads.delete(watch);
  };
  read.version.then(done, done);
  return read.version;
}

/** A version requests can be held on (`watchVersion` in @platform/db is one). */
export interface HeldVersion {
  /** Whether a request that knows `known` may be held now (current, under the limit, not draining). */
  canHold(known: string): boolean;
  /** Resolves once the version is not `known`, after `ms`, or when `signal` aborts. */
  hold(known: string, ms: number, signal?: AbortSignal): Promise<unknown>;
  /** The version as the process knows it: requests woken together by it share one read. */
  current?(): string;
}

export interface CacheVersionSource {
  watch: HeldVersion;
  /** The version as the database has it now: what every answer carries. */
  read(): Promise<string>;
  /** Told of each request, held or not (for a metric). */
  asked?(held: boolean): void;
}

/**
 * Answers CACHE_VERSION_PATH. Asked with `wait` and the current `version`, the request is held: its
 * headers go out at once with CACHE_VERSION_HELD_HEADER (the caller may count `version` as
 * confirmed while the answer is open), the body `{version}` once the version moves or the wait
 * ends (or the caller hangs up, or shutdown drains the watch); meanwhile a space every
 * HEARTBEAT_MS (announced in CACHE_VERSION_HEARTBEAT_HEADER) tells the caller the connection is
 * alive. Anything else is answered at once.
 * Returns the body of an answer at once; undefined when the reply was taken over (held).
 */
export async function answerCacheVersion(
  request: FastifyRequest,
  reply: FastifyReply,
  query: { version?: string | undefined; wait: number },
  source: CacheVersionSource,
): Promise<{ version: string } | undefined> {
  const { version, wait } = query;
  const arrivedAt = performance.now();
  const held = wait > 0 && version !== undefined && source.watch.canHold(version);
  source.asked?.(held);
  // Read from the table: the answer reflects every write committed before the request.
  if (!held) return { version: await source.read() };
  reply.hijack();
  const res = reply.raw;
  // Taken over, the answer carries only what is written here: Fastify's headers (the request id
  // among them, which every answer carries) are not sent for it.
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-request-id': request.id,
    [CACHE_VERSION_HELD_HEADER]: version,
    [CACHE_VERSION_HEARTBEAT_HEADER]: String(HEARTBEAT_MS),
  });
  res.flushHeaders();
  const quiet = beat(res);
  // A caller that hangs up frees its place at once, not when its wait ends.
  const gone = new AbortController();
  res.once('close', () => {
    quiet();
    gone.abort();
  });
  let woke: unknown;
  try {
    woke = await source.watch.hold(version, wait * 1000, gone.signal);
  } finally {
    quiet();
  }
  if (gone.signal.aborted) return undefined;
  try {
    res.end(JSON.stringify({ version: await readWoken(source, arrivedAt, woke) }));
  } catch (err) {
    // The headers are out: the caller learns of the failure from the connection, as of any outage.
    request.log.warn({ err }, 'reading the cache version failed');
    res.destroy();
  }
  return undefined;
}
