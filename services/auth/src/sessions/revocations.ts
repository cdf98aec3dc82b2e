import type { FastifyBaseLogger } from 'fastify';
import type { Executor } from '../db/index.ts';
import {
  appendToFeed,
  lockRevocationFeed,
  type RevocationEntry,
  revocationsAfter,
} from './feed-repository.ts';
import type { FeedWatch } from './feed-watch.ts';
import { liveSessionIds, liveSessionsOpenedBy, markRevoked, REMOVED_WAY_IN } from './repository.ts';

export type { RevocationEntry };

/**
 * Tells other processes that sessions were revoked. The database feed (`/internal/revocations`)
 * always works; with REDIS_URL the ids are also pushed through Redis so verifiers learn at once.
 */
export interface RevocationPublisher {
  /** Never rejects: a failed push is only slower, the feed still carries the entry. */
  publish(entries: RevocationEntry[]): Promise<void>;
  close(): Promise<void>;
}

export const noPublisher: RevocationPublisher = {
  publish: async () => {},
  close: async () => {},
};

/**
 * Marks sessions revoked and appends them to the revocation feed, inside the caller's
 * transaction. Returns the feed entries so the caller can publish them after commit.
 *
 * `tokenLifetime` is ACCESS_TOKEN_MAX_LIFETIME, not ACCESS_TOKEN_TTL: verifiers forget an entry
 * at its expiry and then accept the session's tokens again, and a token may have been minted for
 * longer than this replica's TTL (by a replica, or a start, with a longer one: a TTL lowered
 * after an incident revoked a stolen token for the new TTL only, then let it back in). Every
 * verifier refuses tokens that live longer than the maximum.
 */
export async function revokeSessions(
  db: Executor,
  sessionIds: string[],
  reason: string,
  tokenLifetime: number,
): Promise<RevocationEntry[]> {
  if (sessionIds.length === 0) return [];
  await lockRevocationFeed(db);
  const revoked = await markRevoked(db, sessionIds, reason);
  if (revoked.length === 0) return [];
  // Access tokens live at most tokenLifetime (+ clock tolerance); after that the entry is moot.
  const expiresAt = new Date(Date.now() + (tokenLifetime + 60) * 1000);
  return appendToFeed(db, revoked, expiresAt);
}

/**
 * Revokes the user's live sessions but `keep` (e.g. the one changing its own password), inside
 * the caller's transaction; publish the returned entries after commit.
 */
export async function revokeUserSessions(
  db: Executor,
  userId: string,
  reason: string,
  tokenLifetime: number,
  keep?: string,
): Promise<RevocationEntry[]> {
  return revokeSessions(db, await liveSessionIds(db, userId, keep), reason, tokenLifetime);
}

/**
 * Revokes the user's live sessions that a passkey or provider identity opened (it is being
 * removed) but `keep` (the one removing it), inside the caller's transaction; publish the
 * returned entries after commit.
 */
export async function revokeSessionsOpenedBy(
  db: Executor,
  userId: string,
  by: { passkeyId: string } | { identityId: string },
  tokenLifetime: number,
  keep: string,
): Promise<RevocationEntry[]> {
  const ids = await liveSessionsOpenedBy(db, userId, by, keep);
  const reason = 'passkeyId' in by ? REMOVED_WAY_IN.passkey : REMOVED_WAY_IN.identity;
  return revokeSessions(db, ids, reason, tokenLifetime);
}

/** Call after commit; a publisher that breaks its promise and throws must not fail the request. */
export async function publishRevocations(
  publisher: RevocationPublisher,
  entries: RevocationEntry[],
  log: FastifyBaseLogger,
): Promise<void> {
  if (entries.length === 0) return;
  await publisher.publish(entries).catch((err: unknown) => {
    log.error({ err }, 'publishing revocations failed; followers will read them from the feed');
  });
}

/** A page of the feed as `/internal/revocations` serves it. */
export async function revocationFeed(db: Executor, after: number, limit: number) {
  const rows = await revocationsAfter(db, after, limit);
  return {
    items: rows.map((r) => ({
      id: r.id,
      session_id: r.sessionId,
      expires_at: r.expiresAt.toISOString(),
    })),
    last_id: rows.at(-1)?.id ?? after,
  };
}

type FeedPage = Awaited<ReturnType<typeof revocationFeed>>;

/** Reads a page, and the newest id known when the read began (see `sharedFeedReads`). */
export type FeedReader = (
  after: number,
  limit: number,
) => { known: number; page: Promise<FeedPage> };

/**
 * Reads of the feed shared by the polls that ask the same: one revocation wakes every held poll at
 * once (hundreds, all at the same `after`), and they must not queue up as many queries before the
 * pool. A poll joins a read only if it began once the newest id the poll knows of was known, so
 * the read sees every entry the poll might wait for.
 */
export function sharedFeedReads(db: Executor, watch: FeedWatch): FeedReader {
  const reads = new Map<string, { known: number; page: Promise<FeedPage> }>();
  return (after, limit) => {
    const known = watch.newest();
    const key = `${after}/${limit}`;
    const running = reads.get(key);
    if (running && running.known >= known) return running;
    const read = { known, page: revocationFeed(db, after, limit) };
    reads.set(key, read);
    const done = () => {
      if (reads.get(key) === read) reads.delete(key);
    };
    read.page.then(done, done);
    return read;
  };
}

/**
 * A page of the feed; when nothing is newer than `after`, the request is held (a long poll, as
 * etcd and Kubernetes watches do) until an entry arrives, `waitMs` ends or `signal` aborts (the
 * caller hung up), then answered as at once. Over the held-poll limit, or while the server drains,
 * it is answered at once: a poller then waits its interval, so nothing breaks, it only costs more.
 */
export async function waitForFeed(
  read: FeedReader,
  watch: FeedWatch,
  request: { after: number; limit: number; waitMs: number; signal?: AbortSignal },
): Promise<FeedPage> {
  const { after, limit, signal } = request;
  // Monotonic, like the wait itself: a wall-clock jump does not end or stretch it.
  const deadline = performance.now() + request.waitMs;
  // `known` is taken before the read: an entry committed after it is newer and wakes the hold.
  let { known, page } = read(after, limit);
  let answer = await page;
  while (answer.items.length === 0) {
    const left = deadline - performance.now();
    if (left <= 0 || !(await watch.hold(Math.max(known, after), left, signal))) break;
    // Woken for an entry this read may still leave out (already expired): then hold on.
    ({ known, page } = read(after, limit));
    answer = await page;
  }
  return answer;
}
