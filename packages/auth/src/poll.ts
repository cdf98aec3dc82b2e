import { refusal } from '@platform/http';
import {
  type FollowOptions,
  followLoop,
  type RevocationList,
  RevocationStore,
} from './revocations.ts';
import { SERVICE_TOKEN_HEADER, SERVICE_TOKEN_REFUSED } from './service-token.ts';

/**
 * Set by auth on a poll with a wait: it then sends a space (JSON allows leading whitespace) this
 * many ms apart while it holds the poll.
 */
export const FEED_HEARTBEAT_HEADER = 'x-feed-heartbeat-ms';

export interface PollOptions extends FollowOptions {
  /** Base URL of the auth service, e.g. `http://auth:8081` (never through the gateway). */
  authUrl: string;
  /** SERVICE_TOKEN: the feed answers only other services. */
  serviceToken: string;
  /**
   * Seconds auth may hold a request while nothing is new (a long poll; default 25, at most 30).
   * 0 polls plainly, every `intervalMs`.
   */
  waitSeconds?: number;
  /**
   * Least time between two requests that brought nothing new: the whole rhythm against an auth
   * that answers at once (an older version, or one at its held-poll limit or shutting down), and
   * still within revocation's 1 s bound. Default 250 ms.
   */
  intervalMs?: number;
  /**
   * Gives up on one request this long after its wait (after a heartbeat, with an auth that sends
   * them while it holds a poll) and tries again on the next round.
   */
  timeoutMs?: number;
}

interface FeedPage {
  items: { id: number; session_id: string; expires_at: string }[];
  last_id: number;
}

const PAGE_SIZE = 1000;
const DEFAULT_FEED_WAIT_SECONDS = 25;

/**
 * Follows the auth service's `/internal/revocations` feed by id, as a long poll: each request asks
 * for what is newer than the last id seen and auth holds it until there is some (or the wait ends),
 * so a quiet feed costs one request per wait and a revocation arrives as soon as it commits. The
 * next request follows at once after news or a held answer; an empty answer that came sooner than
 * `intervalMs` (an auth that does not hold) is followed only after the rest of the interval.
 */
export function pollRevocations(options: PollOptions): RevocationList {
  const base = options.authUrl.replace(/\/+$/, '');
  const intervalMs = options.intervalMs ?? 250;
  const wait = options.waitSeconds ?? DEFAULT_FEED_WAIT_SECONDS;
  const store = new RevocationStore();
  let lastId = 0;
  // The first sync asks without waiting: start() (and readiness) must not wait out a quiet feed.
  let synced = false;

  async function sync(signal: AbortSignal): Promise<number> {
    for (;;) {
      const waiting = synced ? wait : 0;
      const url = `${base}/internal/revocations?after=${lastId}&limit=${PAGE_SIZE}${waiting > 0 ? `&wait=${waiting}` : ''}`;
      // Monotonic clocks both: a wall-clock jump neither aborts the request nor skips the pause.
      const started = performance.now();
      const page = await fetchPage(url, waiting, signal);
      for (const item of page.items) store.add(item.session_id, Date.parse(item.expires_at));
      const news = page.items.length > 0 && page.last_id > lastId;
      lastId = page.last_id;
      if (page.items.length >= PAGE_SIZE && news) continue;
      const first = !synced;
      synced = true;
      if (news || (first && wait > 0)) return 0;
      return Math.max(0, intervalMs - (performance.now() - started));
    }
  }

  // Whether this auth sends heartbeats while it holds a poll (learnt from its last answer).
  let heartbeatMs = 0;

  /**
   * One request. Without heartbeats it may take its whole wait; with them, silence longer than a
   * heartbeat (plus `timeoutMs`) means the auth behind the connection is gone without a word (a
   * crashed host, a dropped route): the request is given up then, not after the whole wait, and
   * the next one may reach a replica that is alive.
   */
  async function fetchPage(url: string, waiting: number, signal: AbortSignal): Promise<FeedPage> {
    const timeoutMs = options.timeoutMs ?? 2000;
    const silence = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const allow = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(
        () => silence.abort(new Error(`revocation feed silent for ${ms} ms`)),
        ms,
      ).unref();
    };
    allow(waiting > 0 && heartbeatMs > 0 ? heartbeatMs + timeoutMs : waiting * 1000 + timeoutMs);
    try {
      const res = await fetch(url, {
        headers: { [SERVICE_TOKEN_HEADER]: options.serviceToken },
        // And never longer than the wait and the timeout, beating or not.
        signal: AbortSignal.any([
          signal,
          silence.signal,
          AbortSignal.timeout(waiting * 1000 + timeoutMs),
        ]),
      });
      if (!res.ok) {
        await res.body?.cancel();
        const answered = `revocation feed answered ${res.status}`;
        throw res.status === 401
          ? refusal(`${answered}: ${SERVICE_TOKEN_REFUSED}`)
          : new Error(answered);
      }
      const beat = Number(res.headers.get(FEED_HEARTBEAT_HEADER));
      heartbeatMs = Number.isSafeInteger(beat) && beat > 0 && beat <= 60_000 ? beat : 0;
      let text = '';
      const decoder = new TextDecoder();
      for await (const chunk of res.body ?? []) {
        if (heartbeatMs > 0) allow(heartbeatMs + timeoutMs);
        text += decoder.decode(chunk, { stream: true });
      }
      const page = JSON.parse(text + decoder.decode()) as FeedPage;
      if (!Array.isArray(page?.items) || !Number.isInteger(page.last_id)) {
        throw new Error('revocation feed answered an unexpected body');
      }
      return page;
    } finally {
      clearTimeout(timer);
    }
  }

  return followLoop({
    sync,
    store,
    delayMs: intervalMs,
    retryMs: Math.max(intervalMs, 1000),
    onError: options.onError,
    onSuccess: options.onSuccess,
  });
}
