// The users being forgotten as the writer looks them up, and a queued item unlinked from them.
import { pseudonymOf, unlinkText } from '../pseudonyms.ts';

/**
 * The users being forgotten (forgotten_users), as the writer looks them up: user id → pseudonym.
 * Refreshed by each forgetting tick (forget.ts forgetPending) from the rows it reads anyway, so it
 * costs no query of its own; the common case is an empty map, and the writer's hot path is then
 * one size check. A replica learns of a deletion at its next tick (TICK_MS): what it writes
 * before that is caught by the store passes of the eager minute.
 */
export interface Forgotten {
  readonly ids: ReadonlyMap<string, string>;
  /** Replaces the lookup with these rows (all of forgotten_users). */
  refresh(rows: { userId: string; pseudonym: string }[]): void;
}

export function createForgotten(): Forgotten {
  let ids = new Map<string, string>();
  return {
    get ids() {
      return ids;
    },
    refresh(rows) {
      ids = new Map(rows.map((r) => [r.userId, r.pseudonym]));
    },
  };
}

/**
 * A queued item (an event, or a sample) with the pseudonym for a forgotten user id, in its
 * `userId`, its `anonymousId` (clients often send the signed-in user's id as theirs) and in its
 * properties' text, in any case; the item itself when it names none.
 */
export function unlinkItem(
  value: Record<string, unknown>,
  ids: ReadonlyMap<string, string>,
): Record<string, unknown> {
  // In any case: a client's upper-cased UUID is the user's id (pseudonyms.ts).
  const of = (field: unknown) => (typeof field === 'string' ? pseudonymOf(field, ids) : undefined);
  const own = of(value.userId);
  const anonymous = of(value.anonymousId);
  const properties = typeof value.properties === 'string' ? value.properties : undefined;
  const text = properties !== undefined ? unlinkText(properties, ids) : undefined;
  if (own === undefined && anonymous === undefined && text === properties) return value;
  return {
    ...value,
    ...(own !== undefined ? { userId: own } : {}),
    ...(anonymous !== undefined ? { anonymousId: anonymous } : {}),
    ...(text !== properties ? { properties: text } : {}),
  };
}
