import { AsyncResource } from 'node:async_hooks';
import { SERVICE_TOKEN_HEADER } from '@platform/auth';
import {
  CACHE_VERSION_HEARTBEAT_HEADER,
  CACHE_VERSION_HELD_HEADER,
  CACHE_VERSION_PATH,
  type OutageLogger,
  outageLog,
} from '@platform/http';
import type { Chooser } from './panic.ts';

/**
 * What the gateway knows of one service's data, for the answers it keeps of the routes the
 * service declared cacheable (`edge` entries with `cache: "anonymous"`). Every change the gateway
 * learns of moves `generation` on; a kept answer is served without asking the service only while
 * it was made in the current generation and the change feed confirmed the service's version
 * recently. Nothing is cleared: an answer of an older generation is still worth an If-None-Match.
 *
 * The bound: an answer served at time t reflects every write committed before the start of the
 * last feed round that confirmed the version, which is at most `maxStalenessMs` before t, or, while
 * the service holds a poll for the version (`held`), every write it has heard of by t; a write
 * answered through this gateway is seen by the very next request (`changed` runs before the
 * writer gets its answer). Without a feed confirmation for that long (service down, feed
 * missing), every request goes to the service again, as if there were no cache.
 */
export class Freshness {
  generation = 0;
  private version: string | undefined;
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private usedAt = Number.NEGATIVE_INFINITY;
  private following = false;
  private holding = false;
  /** Starts the feed (followVersion sets it); it runs while answers are kept and served. */
  follow: (() => void) | undefined;

  constructor(
    readonly service: string,
    private readonly maxStalenessMs: number,
  ) {}

  /** Something may have changed (a write passed through): nothing kept so far is current. */
  changed() {
    this.generation++;
  }

  /**
   * The service gave a keepable answer, or one was served: follow its version (again). The feed
   * starts with the first such answer (a service that never gives one is never asked) and stops
   * after IDLE_MS without any.
   */
  used() {
    this.usedAt = performance.now();
    if (!this.following && this.follow) {
      this.following = true;
      this.follow();
    }
  }

  /** Called by the feed after each round: true when it should stop, nothing being kept. */
  idle(): boolean {
    if (performance.now() - this.usedAt <= IDLE_MS) return false;
    this.following = false;
    return true;
  }

  /** A feed round that started at `startedAt` (performance.now()) read `version`. */
  observed(version: string, startedAt: number) {
    if (version !== this.version) {
      this.version = version;
      this.generation++;
      this.confirmedAt = startedAt;
    } else if (startedAt > this.confirmedAt) this.confirmedAt = startedAt;
  }

  /**
   * The service holds a poll for `version` (it said so in the answer's headers): until `released`
   * the version counts as confirmed at every moment, since the service answers the poll as soon
   * as the version moves on any replica. A version other than the one known ends it at once.
   */
  held(version: string): void {
    if (version !== this.version) {
      this.version = version;
      this.generation++;
    }
    this.holding = true;
  }

  /** The held poll ended (answered, failed or cut): confirmed as of `at`, no later. */
  released(at: number): void {
    if (this.holding && at > this.confirmedAt) this.confirmedAt = at;
    this.holding = false;
  }

  /** The version the feed knows, to ask the service to hold while it still is. */
  get known(): string | undefined {
    return this.version;
  }

  /** An answer made in `generation` may be served as it is. */
  isCurrent(generation: number): boolean {
    return (
      generation === this.generation &&
      (this.holding || performance.now() - this.confirmedAt <= this.maxStalenessMs)
    );
  }
}

/** A service whose answers nobody asked for this long is not asked for its version. */
const IDLE_MS = 60_000;
/**
 * A held answer that announced heartbeats and then sent nothing for one heartbeat plus this is
 * given up: its connection died without a reset (a crashed host, a dropped route or NAT entry),
 * and the service would answer a write into the void while the version counted as confirmed.
 */
const SILENCE_MARGIN_MS = 2000;

/** A held answer went silent: asked again at once, not after a pause. */
class Silent extends Error {}

export interface FeedOptions {
  freshness: Freshness;
  /**
   * The service's instance for each round (panic.ts): panic-routed like its proxied requests
   * while every instance is out, so kept pages stay confirmed rather than all going to it.
   */
  choose: Chooser;
  serviceToken: string | undefined;
  /** Least time between two rounds that brought nothing new (the rhythm against a service that answers at once). */
  intervalMs: number;
  /** Seconds the service may hold a round while the version stays the one known (0: never). */
  waitSeconds: number;
  /** One round gives up after this long (past its wait); the next one tries again. */
  timeoutMs: number;
  log: OutageLogger;
}

/**
 * Follows a service's cache version (`GET /internal/cache-version` on any of its instances, with
 * the service token) from the first keepable answer on until nothing was kept or served for a
 * minute. A new version means some write committed (on any replica, or in a background job): the
 * kept answers are no longer current. A version never comes back.
 *
 * A long poll, as the revocation feed: each round names the version known and asks the service to
 * hold it (`wait`) while that is still the version. A service that holds says so at once in the
 * answer's headers, and answers as soon as a write anywhere moves the version; while it holds, the
 * version counts as confirmed (Freshness.held), so an idle service costs one request per wait. A
 * held answer also beats (a space a second, announced in CACHE_VERSION_HEARTBEAT_HEADER): one
 * silent for a beat plus SILENCE_MARGIN_MS has lost its connection without a reset, so it is given
 * up, confirming nothing after its round began, and the next round starts at once. The
 * next round follows at once after a new version or a held answer; an answer that came sooner than
 * `intervalMs` with nothing new (an older service that ignores `wait`, one at its held-request
 * limit or shutting down) is followed only after the rest of the interval, as before. Returns a
 * stop function.
 */
export function followVersion(options: FeedOptions): () => void {
  const { freshness, choose, intervalMs, timeoutMs, waitSeconds } = options;
  const outage = outageLog(options.log, `the ${freshness.service} cache version feed failed`);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const closing = new AbortController();

  /** One request; whether the version moved. */
  async function round(): Promise<boolean> {
    const instance = choose();
    if (!instance) throw new Error(`no ${freshness.service} instance is available`);
    const known = freshness.known;
    const waitMs = known !== undefined ? waitSeconds * 1000 : 0;
    const query = waitMs > 0 ? `?version=${encodeURIComponent(known!)}&wait=${waitSeconds}` : '';
    // Monotonic: a wall-clock jump neither confirms nor expires anything.
    const startedAt = performance.now();
    const silence = new AbortController();
    let quiet: NodeJS.Timeout | undefined;
    const allow = (ms: number) => {
      clearTimeout(quiet);
      quiet = setTimeout(() => silence.abort(new Silent(`silent for ${ms} ms`)), ms).unref();
    };
    let held = false;
    let body: { version?: unknown } | undefined;
    let statusCode = 0;
    try {
      const answer = await instance.pool.request({
        path: `${CACHE_VERSION_PATH}${query}`,
        method: 'GET',
        headers: options.serviceToken ? { [SERVICE_TOKEN_HEADER]: options.serviceToken } : {},
        headersTimeout: timeoutMs,
        // A held answer's body comes when the version moves or the wait ends.
        bodyTimeout: waitMs + timeoutMs,
        signal: AbortSignal.any([
          closing.signal,
          silence.signal,
          AbortSignal.timeout(waitMs + timeoutMs),
        ]),
      });
      statusCode = answer.statusCode;
      held =
        answer.statusCode === 200 &&
        known !== undefined &&
        answer.headers[CACHE_VERSION_HELD_HEADER] === known;
      const heldAfterMs = performance.now() - startedAt;
      const beat = Number(answer.headers[CACHE_VERSION_HEARTBEAT_HEADER]);
      const beatMs = held && Number.isSafeInteger(beat) && beat > 0 && beat <= 60_000 ? beat : 0;
      if (held && known !== undefined) freshness.held(known);
      try {
        if (beatMs > 0) allow(beatMs + SILENCE_MARGIN_MS);
        let text = '';
        const decoder = new TextDecoder();
        for await (const chunk of answer.body) {
          if (beatMs > 0) allow(beatMs + SILENCE_MARGIN_MS);
          text += decoder.decode(chunk, { stream: true });
        }
        body = JSON.parse(text + decoder.decode()) as typeof body;
      } catch {
        body = undefined;
      } finally {
        // The service read the version it answers after it sent the headers: as of the body's
        // arrival, less the time the headers took, is never later than that read. A held
        // answer cut or gone silent confirms nothing after the round began.
        if (held)
          freshness.released(
            typeof body?.version === 'string' ? performance.now() - heldAfterMs : startedAt,
          );
      }
    } finally {
      clearTimeout(quiet);
    }
    if (silence.signal.aborted && typeof body?.version !== 'string') throw silence.signal.reason;
    if (statusCode !== 200 || typeof body?.version !== 'string') {
      throw new Error(`${CACHE_VERSION_PATH} answered ${statusCode}`);
    }
    freshness.observed(body.version, startedAt);
    return body.version !== known;
  }

  async function tick() {
    const startedAt = performance.now();
    let next = intervalMs;
    try {
      const moved = await round();
      outage.succeeded();
      next = moved ? 0 : Math.max(0, intervalMs - (performance.now() - startedAt));
    } catch (error) {
      if (!stopped) outage.failed(error);
      // Nothing wrong but the one connection: the next round starts at once, perhaps elsewhere.
      if (error instanceof Silent) next = 0;
    }
    if (stopped || freshness.idle()) return;
    timer = setTimeout(tick, next);
    timer.unref();
  }
  // Started from inside a request (its answer was keepable), but no part of it: bound to this
  // moment's context, so no request's trace (or anything else it carries) follows the feed.
  freshness.follow = AsyncResource.bind(() => {
    if (!stopped) void tick();
  });
  return () => {
    stopped = true;
    clearTimeout(timer);
    closing.abort();
  };
}
