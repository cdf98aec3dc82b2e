import { followLoop, type RevocationList, RevocationStore } from '@platform/auth';
import type { Db } from '../db/index.ts';
import { type RevocationEntry, revocationsAfter } from './repository.ts';
import type { RevocationPublisher } from './revocations.ts';

const POLL_MS = 250;

/**
 * The auth service checks access tokens like every other service, against an in-memory list,
 * so an authenticated request costs no extra query. It reads the feed from its own database
 * (other replicas' revocations arrive within POLL_MS), and its own revocations are added the
 * moment they commit, so a logout here is refused here at once.
 */
export function followOwnFeed(
  db: Db,
  onError: (error: unknown) => void,
): { list: RevocationList; publisher: RevocationPublisher } {
  const store = new RevocationStore();
  let lastId = 0;
  const list = followLoop({
    store,
    delayMs: POLL_MS,
    retryMs: 1000,
    onError,
    async sync() {
      for (;;) {
        const rows = await revocationsAfter(db, lastId, 1000);
        for (const row of rows) store.add(row.sessionId, row.expiresAt.getTime());
        lastId = rows.at(-1)?.id ?? lastId;
        if (rows.length < 1000) return;
      }
    },
  });
  const publisher: RevocationPublisher = {
    async publish(entries: RevocationEntry[]) {
      for (const entry of entries) store.add(entry.sessionId, entry.expiresAt.getTime());
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
