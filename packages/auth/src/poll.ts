import {
  type FollowOptions,
  followLoop,
  type RevocationList,
  RevocationStore,
} from './revocations.ts';
import { SERVICE_TOKEN_HEADER } from './service-token.ts';

export interface PollOptions extends FollowOptions {
  /** Base URL of the auth service, e.g. `http://auth:8081` (never through the gateway). */
  authUrl: string;
  /** SERVICE_TOKEN: the feed answers only other services. */
  serviceToken: string;
  /** How often to ask for new entries; 250 ms keeps revocation well inside its 1 s bound. */
  intervalMs?: number;
  /** Gives up on one request after this long and tries again on the next round. */
  timeoutMs?: number;
}

interface FeedPage {
  items: { id: number; session_id: string; expires_at: string }[];
  last_id: number;
}

const PAGE_SIZE = 1000;

/**
 * Follows the auth service's `/internal/revocations` feed by id. Each round asks only for what
 * is new, so a quiet feed costs one small request per interval.
 */
export function pollRevocations(options: PollOptions): RevocationList {
  const base = options.authUrl.replace(/\/+$/, '');
  const intervalMs = options.intervalMs ?? 250;
  const store = new RevocationStore();
  let lastId = 0;

  async function sync(signal: AbortSignal) {
    for (;;) {
      const url = `${base}/internal/revocations?after=${lastId}&limit=${PAGE_SIZE}`;
      const timeout = AbortSignal.timeout(options.timeoutMs ?? 2000);
      const res = await fetch(url, {
        headers: { [SERVICE_TOKEN_HEADER]: options.serviceToken },
        signal: AbortSignal.any([signal, timeout]),
      });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`revocation feed answered ${res.status}`);
      }
      const page = (await res.json()) as FeedPage;
      if (!Array.isArray(page.items) || !Number.isInteger(page.last_id)) {
        throw new Error('revocation feed answered an unexpected body');
      }
      for (const item of page.items) store.add(item.session_id, Date.parse(item.expires_at));
      lastId = page.last_id;
      if (page.items.length < PAGE_SIZE) return;
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
