// unlinkText (pseudonyms.ts) in SQL, for what PostgreSQL rewrites in place: the store's events
// and the destinations' deliveries.
import { type SQL, sql } from 'drizzle-orm';

/**
 * Characters no JSON text holds (control characters: written `\u0001`, `\u0002`), put in and
 * taken out again: AFTER_ESCAPE after each escape, so that no id can begin inside one; UUID_AT
 * before each UUID the text holds, overlapping ones too, each then looked up.
 */
const AFTER_ESCAPE = '\u0001';
const UUID_AT = '\u0002';
/**
 * Each escape, `\uXXXX` or `\` and one character, found from the text's start (a backslash
 * there begins one, `\\` is one), with AFTER_ESCAPE after it. Enough: an id (36 hex digits and
 * dashes, never a backslash or a mark) found in the marked text is whole before or after any
 * escape, never in one — one beginning in an escape's letter or hex digits meets the mark
 * within four characters. (Marks between `\u`'s hex digits too, once, changed nothing: the
 * fixed texts of test/store-postgres.test.ts show it, and that the mark after it is needed.)
 */
const ESCAPE = String.raw`\\(u[0-9a-fA-F]{4}|.)`;
const ESCAPE_MARKED = String.raw`\&${AFTER_ESCAPE}`;
/**
 * A UUID's first 28 characters, the rest after them: two UUIDs overlap only by their last 8 (a
 * dash is where the other has a hex digit otherwise), so matched one after the other, these
 * find every UUID's start, overlapping ones too (what unlinkText's UUIDS finds).
 */
const UUID_START = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}(?=[0-9a-f]{8})';
const UUID_MARKED = String.raw`${UUID_AT}\&`;
/** A UUID's length; the end of the one a part begins with, when the part is not shorter. */
const UUID_LENGTH = 36;

/** Whether an id's end is its beginning too (`5…5`): written twice, overlapping, it is there twice. */
function overlapsItself(id: string): boolean {
  for (let k = 1; k < id.length; k += 1) if (id.endsWith(id.slice(0, k))) return true;
  return false;
}

/**
 * unlinkText in SQL, for a JSON text expression (`payload::text`), read once per row (a
 * subquery; `offset 0` keeps PostgreSQL from copying the cast into every use) with the users
 * its lower case holds. The ids are UUIDs (forget.ts rememberDeletions). One user, no
 * backslash (no escape) and the id in lower case only, nearly all rows, gets `replace`, as fast
 * as ever (not an id that overlaps itself: `replace` takes a lower-case one where the scan takes
 * an upper-case one overlapping it before). The rest (an escape, `\b` as much as `\u`, an id in
 * upper or mixed case, more users), once every escape is marked (ESCAPE): every UUID not begun
 * in an escape is marked where it begins (UUID_START) and looked up, and of the forgotten ones
 * each is replaced unless it overlaps one replaced just before — from the text's start, the
 * leftmost first, as unlinkText's scan (forgottenIn). One scan: what was written is never
 * searched again (a regexp_replace per user, one after the other, found an id that a pseudonym
 * and the text after it spelled, or cut one overlapping an id replaced first, as the users'
 * order had it, and the writer's order was another).
 * Not a lookbehind, as unlinkText: PostgreSQL evaluates one from the text's start, at each match
 * — 10,000 matches in 390 kB took 8 to 15 s, and a pass's statement over a few such rows ran out
 * of time at every tick, for every user of the pass. Not a regexp of the ids either: PostgreSQL
 * builds a pattern's automaton afresh at each match, as large as the pattern, and the
 * alternation of 100 users' ids took 10 to 30 s a megabyte of their ids (one user's, or the
 * generic UUID_START, a tenth of a second).
 * The overlaps: a UUID ends within the next one's part (the part shorter than a UUID) only when
 * they overlap, and of a run of forgotten ids each overlapping the one before, the first is
 * replaced, which cuts the second, so the third is, and so on (the parity in the run).
 */
export function unlinkedSql(text: SQL, users: { userId: string; pseudonym: string }[]): SQL {
  const lowerIds = users.map((u) => u.userId.toLowerCase());
  const ids = () => sql`${sql.param(lowerIds)}::text[]`;
  const pseudonyms = () => sql`${sql.param(users.map((u) => u.pseudonym))}::text[]`;
  const overlapping = sql.param(lowerIds.flatMap((id, i) => (overlapsItself(id) ? [i + 1] : [])));
  // Constants in the text: a parameter's type would be guessed.
  const LENGTH = sql.raw(String(UUID_LENGTH));
  const LENGTH_AFTER = sql.raw(String(UUID_LENGTH + 1));
  const marked = sql`regexp_replace(regexp_replace(u_t, ${ESCAPE}, ${ESCAPE_MARKED}, 'g'),
    ${UUID_START}, ${UUID_MARKED}, 'gi')`;
  // Each part after the first begins with a UUID (its end in the next part when the next
  // overlaps it): p its user's pseudonym, if forgotten.
  const parts = sql`select n, part, length(part) as len,
      case when n > 1 then (${pseudonyms()})[array_position(${ids()},
        lower(left(part || coalesce(lead(part) over (order by n), ''), ${LENGTH})))] end as p
    from unnest(string_to_array(${marked}, ${UUID_AT})) with ordinality unlink_part(part, n)`;
  // A run of forgotten ids, each overlapping the one before, begins where one does not.
  const starts = sql`select n, part, len, p, p is null or lag(p) over (order by n) is null
        or lag(len) over (order by n) >= ${LENGTH} as starts
    from (${parts}) unlink_parts`;
  const runs = sql`select n, part, len, p,
      sum(case when starts then 1 else 0 end) over (order by n) as run
    from (${starts}) unlink_starts`;
  const taken = sql`select n, part, len, p,
      p is not null and (n - min(n) over (partition by run)) % 2 = 0 as taken
    from (${runs}) unlink_runs`;
  const out = sql`select n, case when taken then p || substr(part, ${LENGTH_AFTER})
      when lag(taken) over (order by n) and lag(len) over (order by n) < ${LENGTH}
        then substr(part, ${LENGTH_AFTER} - lag(len) over (order by n))
      else part end as piece
    from (${taken}) unlink_taken`;
  const scanned = sql`replace(coalesce((select string_agg(piece, '' order by n)
    from (${out}) unlink_out), ''), ${AFTER_ESCAPE}, '')`;
  return sql`(select case when cardinality(u_h) = 0 then u_t
      when u_p is not null and strpos(lower(u_p), (${ids()})[u_h[1]]) = 0 then u_p
      else ${scanned} end
    from (select u_t, u_h, case when cardinality(u_h) = 1 and strpos(u_t, ${'\\'}) = 0
        and not (u_h[1] = any(${overlapping}::int[]))
        then replace(u_t, (${ids()})[u_h[1]], (${pseudonyms()})[u_h[1]]) end as u_p
      from (select u_t, array(select i from generate_subscripts(${ids()}, 1) i
          where strpos(u_l, (${ids()})[i]) > 0 order by i) as u_h
        from (select u_t, lower(u_t) as u_l
          from (select ${text} as u_t offset 0) unlink_text offset 0) unlink_lower offset 0)
      unlink_held offset 0) unlink_plain)`;
}
