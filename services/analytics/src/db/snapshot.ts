import type { Db, Tx } from './index.ts';

/**
 * Reads that must agree with each other, in one snapshot: a dead-letter page and the lookup of
 * the users being forgotten it names. Read committed gives each statement its own, so a final
 * forgetting pass that rewrote the letters and deleted the mapping between the two showed the
 * page as read before it (the real id) with no pseudonym left to put in its place.
 */
export function inOneSnapshot<T>(db: Db, read: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(read, { isolationLevel: 'repeatable read', accessMode: 'read only' });
}
