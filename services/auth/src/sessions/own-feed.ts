import { followLoop, type RevocationList, RevocationStore } from '@platform/auth';
import type { Db } from '../db/index.ts';
import { type RevocationEntry, revocationsAfter } from './feed-repository.ts';
import type { FeedWatch } from './feed-watch.ts';
import type { RevocationPublisher } from './revocations.ts';

/** Read again this often even when no NOTIFY came: a row added by hand is picked up too. */
const RECHECK_MS = 30_000;

/**
 * The auth service checks access tokens like every other service, against an in-memory list,
 * so an authenticated request costs no extra query. It reads the feed from its own database when
 * the watch says it grew (other replicas' revocations arrive by NOTIFY within milliseconds), and
 * its own revocations are added the moment they commit, so a logout here is refused here at once.
 * Idle, it reads nothing.
 */
export function followOwnFeed(
  db: Db,
  watch: FeedWatch,
  onError: (error: unknown) => void,
): { list: RevocationList; publisher: RevocationPublisher } {
  const store = new RevocationStore();
  let lastId = 0;
  // The newest id known when the last complete read began; unset until one succeeded.
  let readUpTo: number | undefined;
  const list = followLoop({
    store,
    delayMs: 0,
    retryMs: 1000,
    onError,
    async sync(signal) {
      if (readUpTo !== undefined) await watch.waitBeyond(readUpTo, RECHECK_MS, signal);
      if (signal.aborted) return;
      readUpTo = undefined;
      // Taken before reading: an entry committed during the read wakes the next round. Expired
      // entries count too, so ids the feed leaves out never wake it again and again.
      const known = watch.newest();
      for (;;) {
        const rows = await revocationsAfter(db, lastId, 1000);
        for (const row of rows) store.add(row.sessionId, row.expiresAt.getTime());
        lastId = rows.at(-1)?.id ?? lastId;
        if (rows.length < 1000) break;
      }
      readUpTo = Math.max(known, lastId);
    },
  });
  const publisher: RevocationPublisher = {
    async publish(entries: RevocationEntry[]) {
      for (const entry of entries) store.add(entry.sessionId, entry.expiresAt.getTime());
      watch.saw(entries.reduce((newest, e) => Math.max(newest, e.id), 0));
    },
    close: () => list.close(),
  };
  return { list, publisher };
}

/** Publishes to each in turn; the local list first, so it never waits on the network. */
export function publishToAll(...publishers: RevocationPublisher[]): RevocationPublisher {
  return {
    async publish(entries) {
      for (const p of publishers) await p.publish(entries);
    },
    async close() {
      await Promise.all(publishers.map((p) => p.close()));
    },
  };
}
