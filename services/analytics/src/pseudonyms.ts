// Forgotten users' ids replaced by their pseudonyms in JSON text, in memory (the writer, the
// dead letters, InfluxDB's points); the same in SQL: pseudonyms-sql.ts.

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

/** Whether the text mentions a forgotten id, in any case. */
export function mentions(text: string, ids: ReadonlyMap<string, string>): boolean {
  const lower = lowered(ids);
  const folded = text.toLowerCase();
  for (const id of named(text, lower)) if (folded.includes(id)) return true;
  return false;
}
