import { createHash } from 'node:crypto';
import { problems } from '@platform/http';
import { UUID } from '../slug.ts';

/** Every order a list can be in; `rank` is the full-text order used when q is given alone. */
export type ListOrder = '-published_at' | 'published_at' | '-created_at' | 'title' | 'rank';

/** A place in a list: a sort value (as Postgres wrote it) and the id that breaks ties. */
export interface Position {
  value: string;
  id: string;
}

/**
 * The posts a ranked walk orders by relevance: those between `newest` and `oldest` (inclusive,
 * in -published_at order) when the walk began. `more` says older matches follow, by date.
 */
export interface RankWindow {
  newest: Position;
  oldest: Position;
  more: boolean;
}

/** The position after the last item of a page. */
export interface Cursor extends Position {
  order: ListOrder;
  /**
   * Only in order rank: the window whose ranks `value` is one of, or 'recent' once the walk has
   * left it and `value` is a published_sort (see posts/rank-query.ts).
   */
  stage?: RankWindow | 'recent';
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z|infinity)$/;
const RANK = /^\d+(\.\d+)?(e-?\d+)?$/;
const isTimestamp = (v: unknown): v is string =>
  typeof v === 'string' && TIMESTAMP.test(v) && validDate(v);
// What Postgres can read back as real: ts_rank's scores lie far inside these bounds.
const isRank = (v: string) => {
  const rank = Number(v);
  return RANK.test(v) && (rank === 0 || (rank >= 1e-37 && rank <= 1e37));
};
const VALID: Record<ListOrder, (value: string) => boolean> = {
  '-published_at': isTimestamp,
  published_at: isTimestamp,
  '-created_at': (v) => isTimestamp(v) && v !== 'infinity',
  // A title never holds NUL (validation refuses it), and Postgres refuses it as text. Its 200
  // are characters (code points, as the schema's maxLength counts), not UTF-16 units.
  title: (v) => v.length >= 1 && [...v].length <= 200 && !v.includes('\u0000'),
  rank: isRank,
};

// The check digits catch a cursor that was cut, edited or made for another order. They are no
// secret: a forged cursor only moves where a list starts, and every row is still authorized.
const check = (payload: string) =>
  createHash('sha256').update(payload).digest('base64url').slice(0, 10);

export function encodeCursor(cursor: Cursor): string {
  const fields: unknown[] = [cursor.order, cursor.value, cursor.id];
  const stage = cursor.stage;
  if (stage === 'recent') fields.push(stage);
  else if (stage) {
    const { newest, oldest, more } = stage;
    fields.push([newest.value, newest.id, oldest.value, oldest.id, more ? 1 : 0]);
  }
  const payload = Buffer.from(JSON.stringify(fields)).toString('base64url');
  return `${payload}.${check(payload)}`;
}

/** Anything but a cursor this service made for the same order is a 400, never a query. */
export function decodeCursor(text: string, order: ListOrder): Cursor {
  const [payload, sum, extra] = text.split('.');
  if (!payload || !sum || extra !== undefined || check(payload) !== sum) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value)) throw invalid();
  const [o, v, id, stage] = value as unknown[];
  if (o !== order) throw typeof o === 'string' ? otherOrder(o, order) : invalid();
  if (value.length !== (order === 'rank' ? 4 : 3)) throw invalid();
  if (typeof v !== 'string' || !isId(id)) throw invalid();
  if (order !== 'rank') {
    if (!VALID[order](v)) throw invalid();
    return { order, value: v, id };
  }
  if (stage === 'recent') {
    if (!isTimestamp(v)) throw invalid();
    return { order, value: v, id, stage };
  }
  if (!VALID.rank(v) || !Array.isArray(stage) || stage.length !== 5) throw invalid();
  const [newestValue, newestId, oldestValue, oldestId, more] = stage as unknown[];
  if (!isTimestamp(newestValue) || !isId(newestId) || !isTimestamp(oldestValue)) throw invalid();
  if (!isId(oldestId) || (more !== 0 && more !== 1)) throw invalid();
  const window: RankWindow = {
    newest: { value: newestValue, id: newestId },
    oldest: { value: oldestValue, id: oldestId },
    more: more === 1,
  };
  return { order, value: v, id, stage: window };
}

const isId = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);

function validDate(v: string): boolean {
  if (v === 'infinity') return true;
  // Date.parse reads year 0; Postgres has none.
  if (v.startsWith('0000')) return false;
  const ms = Date.parse(v);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === v.slice(0, 19);
}

const otherOrder = (made: string, order: ListOrder) =>
  problems.badRequest('The cursor belongs to another sort order.', [
    { field: 'cursor', message: `was made for sort ${made.slice(0, 20)}, not ${order}` },
  ]);

const invalid = () =>
  problems.badRequest('The cursor is invalid; use next_cursor from the previous page.', [
    { field: 'cursor', message: 'is not a cursor from this list' },
  ]);
