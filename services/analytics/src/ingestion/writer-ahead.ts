import type { Db } from '../db/index.ts';
import type { Dedup } from './dedup.ts';
import { lockRowsAfter, readStoredRows, storedRows } from './queue.ts';
import type { Row } from './queue-rows.ts';
import { readRow } from './queue-rows.ts';
import { lostItems, type OnClaimed } from './writer-claims.ts';

/** Batches of rows claimed ahead per failed pass at most; the rest after the next one. */
const AHEAD_BATCHES = 500;

/**
 * While the writer's passes fail (the store is down) they take the same oldest rows again, so the
 * ids of later rows would not be claimed, nor their events handed to the destinations, until the
 * store is back (review). The returned function claims those rows, in order, after each failed
 * pass: each row's outcome is kept (queue_claims) for when it is written, and its events reach
 * the destinations once, as a pass's claims would hand them over. Only with destinations
 * (`onClaimed`): otherwise nothing waits for it.
 */
export function claimAhead(deps: {
  db: Db;
  dedup: Dedup;
  onClaimed: OnClaimed | undefined;
  rowsPerPass: number;
  running: () => boolean;
}): () => Promise<void> {
  const { db, dedup, onClaimed } = deps;
  /** The last row claimed ahead, and whether a loop is at it. */
  let ahead = 0;
  let busy = false;
  return async () => {
    if (!onClaimed || busy) return;
    busy = true;
    try {
      for (let batch = 0; batch < AHEAD_BATCHES && deps.running(); batch += 1) {
        const more = await db.transaction(async (tx) => {
          const heads = await lockRowsAfter(tx, ahead, deps.rowsPerPass);
          if (heads.length === 0) return false;
          const read = await readStoredRows(
            await storedRows(
              tx,
              heads.map((h) => h.seq),
            ),
            (r, text): Row => ({ seq: r.seq, kind: r.kind, item: readRow(r.kind, text) }),
          );
          // One that cannot be read is the pass's to set aside.
          const rows = read.filter((r): r is Row => !('error' in r));
          rows.sort((a, b) => a.seq - b.seq);
          await lostItems(db, dedup, rows, onClaimed);
          ahead = heads.at(-1)!.seq;
          return true;
        });
        if (!more) return;
      }
    } finally {
      busy = false;
    }
  };
}
