// Forgotten users' ids replaced by their pseudonyms in JSON text, in memory or in SQL (the writer,
// the stores and the destinations each rewrite what they hold).
import { type SQL, sql } from 'drizzle-orm';

/**
 * Up to this many ids, a text is searched for those it holds; beyond, its UUIDs are each looked
 * up (a user id is a UUID: rememberDeletions): one scan of the text however many users are
 * being forgotten (a long outage with many deletions must not make every item cost a search per
 * user).
 */
const FEW = 4;

/**
 * A UUID at each position where one begins, overlapping ones too: `…-aaaa<id>` holds a UUID
 * ending in the id's first digits, and a scan taking one match after another skipped the id.
 * Whether one begins in an escape is asked of each found (beganInEscape), not by a lookbehind
 * at every position: that scanned a run of backslashes back from each of its own, the square
 * of the run (32 kB of them, 0.2 s for each item the writer unlinked).
 */
const UUIDS = /(?=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))/gi;
const HEX = /[0-9a-f]/i;

/** Whether the backslashes just before `end` are an odd run: the last one begins an escape. */
function escapingBefore(text: string, end: number): boolean {
  let run = 0;
  while (end - run > 0 && text[end - run - 1] === '\\') run += 1;
  return run % 2 === 1;
}

/**
 * Whether an id found at `at` begins inside a JSON escape: right after an escaping backslash,
 * or after one's `u` and up to 3 hex digits. The texts searched are JSON (JSON.stringify's,
 * jsonb's), which write a control character as `\u001a`: in `"\u001a34567-…"` the hex digits
 * are the escape's and the value holds no id, although the text does — replaced there, the
 * escape broke (`\u0deleted-…`): the text was no longer JSON, a pass's `::jsonb` cast failed
 * for every user of the pass, each pass, and the worker could not read the delivery. So with a
 * backspace or a form feed, `\b` and `\f`, whose letters are hex digits too (`\bcdef…`: no
 * id, `\deleted-…`: no JSON). A backslash after an even run of backslashes is the one that
 * begins an escape. Every other escape those write decodes to no character an id is written
 * with, so an id a parsed key or string holds is one in the text, outside any escape, and back
 * (test/forgotten-lookup.test.ts checks against a rewrite of the parsed value).
 */
function beganInEscape(text: string, at: number): boolean {
  if (escapingBefore(text, at)) return true;
  for (let digits = 0; digits <= 3; digits += 1) {
    if (digits > 0 && !HEX.test(text[at - digits] ?? '')) return false;
    const u = at - digits - 1;
    if (u < 1) return false;
    if ((text[u] === 'u' || text[u] === 'U') && escapingBefore(text, u)) return true;
  }
  return false;
}

/** The UUIDs a text mentions (not in an escape), overlapping ones included. */
export function uuidsIn(text: string): Set<string> {
  const found = new Set<string>();
  for (const match of text.matchAll(UUIDS)) {
    if (!beganInEscape(text, match.index)) found.add(match[1]!);
  }
  return found;
}

/** Each lookup in lower case, once (the writer's is the same map until the next refresh). */
const lowerCased = new WeakMap<ReadonlyMap<string, string>, ReadonlyMap<string, string>>();

/**
 * The lookup with its ids in lower case, as the texts are searched: the map itself when they
 * are already (auth's ids are), so an id stored in another case is still found.
 */
function lowered(ids: ReadonlyMap<string, string>): ReadonlyMap<string, string> {
  let out = lowerCased.get(ids);
  if (!out) {
    const keys = [...ids.keys()];
    out = keys.every((id) => id === id.toLowerCase())
      ? ids
      : new Map([...ids].map(([id, pseudonym]) => [id.toLowerCase(), pseudonym] as const));
    lowerCased.set(ids, out);
  }
  return out;
}

/**
 * The pseudonym of a forgotten user id as a field holds it (an event's or a sample's `userId`),
 * in any case: a UUID upper-cased by a client is still the user's id.
 */
export function pseudonymOf(id: string, ids: ReadonlyMap<string, string>): string | undefined {
  return ids.get(id) ?? lowered(ids).get(id.toLowerCase());
}

/** The forgotten ids (lower case) a text may hold: with many, only those its UUIDs are. */
const named = (text: string, ids: ReadonlyMap<string, string>): Iterable<string> =>
  ids.size > FEW
    ? [...uuidsIn(text)].map((id) => id.toLowerCase()).filter((id) => ids.has(id))
    : ids.keys();

/** A pattern's special characters escaped: a lookup's ids are UUIDs, but a test's may not be. */
const literal = (id: string) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Where the text's forgotten ids are replaced: from its start, each the first one (any case)
 * that begins at or after the end of the one before and not inside an escape — as a global
 * regexp_replace of their alternation finds them (unlinkedSql). One scan of the text as it came,
 * so that the order of the users changes nothing and both sides agree: an id overlapping the one
 * before is not one (`…e4f5` + `e4f5…`: the first is replaced), and a pseudonym written is
 * never searched (it ends in a hex digit: `deleted-…f3a` + the text `4b5c6-…` spells an id,
 * which a search per user, one after the other, replaced or not as the order had it). Such a
 * spelled id was not in the text (only its rest); a later pass replaces it as any id.
 */
function forgottenIn(
  text: string,
  lower: ReadonlyMap<string, string>,
): { at: number; id: string }[] {
  let found: Iterable<{ at: number; id: string }>;
  if (lower.size > FEW) {
    found = [...text.matchAll(UUIDS)]
      .map((m) => ({ at: m.index, id: m[1]!.toLowerCase() }))
      .filter((m) => lower.has(m.id));
  } else {
    const folded = text.toLowerCase();
    // The longest first, as PostgreSQL takes the longest alternative (UUIDs: all alike).
    const held = [...lower.keys()]
      .filter((id) => folded.includes(id))
      .sort((x, y) => y.length - x.length);
    if (held.length === 0) return [];
    const at = new RegExp(`(?=(${held.map(literal).join('|')}))`, 'gi');
    found = [...text.matchAll(at)].map((m) => ({ at: m.index, id: m[1]!.toLowerCase() }));
  }
  const out: { at: number; id: string }[] = [];
  let end = 0;
  for (const m of found) {
    if (m.at < end || beganInEscape(text, m.at)) continue;
    out.push(m);
    end = m.at + m.id.length;
  }
  return out;
}

/**
 * JSON text with every forgotten id in it replaced by its pseudonym (as the stores'
 * forgetUsers): in any string, key or value, in any case, never inside an escape, in one scan
 * (forgottenIn).
 */
export function unlinkText(text: string, ids: ReadonlyMap<string, string>): string {
  const lower = lowered(ids);
  const found = forgottenIn(text, lower);
  if (found.length === 0) return text;
  let out = '';
  let from = 0;
  for (const { at, id } of found) {
    out += text.slice(from, at) + lower.get(id)!;
    from = at + id.length;
  }
  return out + text.slice(from);
}

/**
 * A queue row's text (a dead letter's: ingestion/dead-letters.ts) as unlinkText leaves it, but
 * for the properties of the `event` form: JSON text in a string, whose escapes the row writes
 * with one backslash more (`\\u001a…`, `\\b…`). unlinkText replaces every id the string holds,
 * the lookalike of one of those escapes too, which left the properties no longer JSON (the
 * replay refused again, for good): they get unlinkText of their own. Only a text with a
 * backslash is parsed (no escape, no such lookalike); the same text when it holds no id.
 */
export function unlinkRowText(
  kind: string,
  text: string,
  ids: ReadonlyMap<string, string>,
): string {
  if (kind !== 'event' || !text.includes('\\')) return unlinkText(text, ids);
  let items: unknown;
  try {
    items = JSON.parse(text);
  } catch {
    return unlinkText(text, ids);
  }
  // Rebuilt from its items only when that gives its own text back: a row kept whole (it could
  // not be read) is copied as it came, and rebuilt, the other items' bytes changed too (`1.0`,
  // a large integer's digits, `1e400` as null). Such a row gets unlinkText whole.
  if (!Array.isArray(items) || JSON.stringify(items) !== text) return unlinkText(text, ids);
  let changed = false;
  const unlinked = (value: unknown, inner: boolean): unknown => {
    const before = inner ? (value as string) : JSON.stringify(value);
    const after = unlinkText(before, ids);
    if (after === before) return value;
    changed = true;
    return inner ? after : JSON.parse(after);
  };
  // Each key too, and properties that are no JSON text as any string: a row kept whole because
  // it could not be read may hold anything (an id as a key; `C:\<id>`, whose backslash is no
  // escape's, in properties).
  const out = items.map((item) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(
          Object.entries(item).map(([key, value]) => [
            unlinked(key, false) as string,
            unlinked(value, key === 'properties' && isJsonText(value)),
          ]),
        )
      : unlinked(item, false),
  );
  return changed ? JSON.stringify(out) : text;
}

/** Whether `value` is a string holding JSON text. */
function isJsonText(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
}

/** A character a UUID is written with. */
const UUID_CHAR = /[0-9a-f-]/i;

/**
 * `text` cut to `max` characters at most, never inside a UUID: what a store said (a dead
 * letter's `error`) may quote a user id, and a part of one cut short is found by no pass and no
 * listing (they find an id whole), so it stayed for good. Cut within such a run, the run goes
 * (one the message cut itself, at an ellipsis: withoutElidedIds).
 */
export function cutOutsideIds(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  return UUID_CHAR.test(text[max]!) ? cut.replace(/[0-9a-f-]+$/i, '') : cut;
}

/**
 * A run of UUID characters where an ellipsis (`...`, quoted or not) says the text was cut. A run
 * before one is tried from its start only: from every position, a long run took seconds.
 */
const ELIDED_RUN = /(?<=\.\.\."?)[0-9a-f-]+|(?<![0-9a-f-])[0-9a-f-]+(?="?\.\.\.)/gi;

/**
 * `text` without the runs of UUID characters an ellipsis cuts: V8's JSON.parse message (what a
 * dead letter says of a queue row that cannot be read) quotes ten characters either side of the
 * fault, `..."56789ab"},@]" is not valid JSON`, cut anywhere, inside a user id too.
 */
export function withoutElidedIds(text: string): string {
  return text.replace(ELIDED_RUN, '');
}

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

/** Whether the text mentions a forgotten id, in any case. */
export function mentions(text: string, ids: ReadonlyMap<string, string>): boolean {
  const lower = lowered(ids);
  const folded = text.toLowerCase();
  for (const id of named(text, lower)) if (folded.includes(id)) return true;
  return false;
}
