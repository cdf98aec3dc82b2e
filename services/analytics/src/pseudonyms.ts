// Forgotten users' ids replaced by their pseudonyms in JSON text, in memory or in SQL (the writer,
// the stores and the destinations each rewrite what they hold).
import { type SQL, sql } from 'drizzle-orm';

/**
 * Up to this many ids, a text is searched for each; beyond, for UUIDs, each looked up (a user id
 * is a UUID: rememberDeletions): one scan of the text however many users are being forgotten (a
 * long outage with many deletions must not make every item cost a search per user).
 */
const FEW = 4;

/**
 * Before a match: not inside a JSON `\u` escape. The texts searched are JSON (JSON.stringify's,
 * jsonb's), which write a control character as `\u001a`: in `"\u001a34567-…"` the hex digits
 * are the escape's and the value holds no id, although the text does — replaced there, the
 * escape broke (`\u0deleted-…`): the text was no longer JSON, a pass's `::jsonb` cast failed
 * for every user of the pass, each pass, and the worker could not read the delivery. A backslash
 * after an even run of backslashes is the one that begins an escape.
 */
const ESCAPE_BEGUN = String.raw`(?:^|[^\\])(?:\\\\)*\\u[0-9a-fA-F]{0,3}`;
const NOT_IN_ESCAPE = `(?<!${ESCAPE_BEGUN})`;
/**
 * A UUID at each position where one begins, overlapping ones too: `…-aaaa<id>` holds a UUID
 * ending in the id's first digits, and a scan taking one match after another skipped the id.
 */
const UUIDS = new RegExp(
  `${NOT_IN_ESCAPE}(?=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))`,
  'gi',
);

/** The UUIDs a text mentions (not in an escape), overlapping ones included. */
export function uuidsIn(text: string): Set<string> {
  const found = new Set<string>();
  for (const match of text.matchAll(UUIDS)) found.add(match[1]!);
  return found;
}

/**
 * A user id (a UUID: no character special to a pattern) where it is not in an escape: checked
 * once the id matched, so the search is for the id itself.
 */
const idPattern = (id: string) => `${id}(?<!${ESCAPE_BEGUN}${id})`;

/** The forgotten ids a text may hold: with many, only those its UUIDs are. */
const named = (text: string, ids: ReadonlyMap<string, string>): Iterable<string> =>
  ids.size > FEW ? [...uuidsIn(text)].filter((id) => ids.has(id)) : ids.keys();

/**
 * JSON text with every forgotten id in it replaced by its pseudonym (as the stores'
 * forgetUsers): in any string, key or value, never inside an escape.
 */
export function unlinkText(text: string, ids: ReadonlyMap<string, string>): string {
  let out = text;
  for (const id of named(text, ids)) {
    const pseudonym = ids.get(id)!;
    if (out.includes(id)) out = out.replace(new RegExp(idPattern(id), 'g'), () => pseudonym);
  }
  return out;
}

/** A pattern that matches nothing (one text, so PostgreSQL compiles it once). */
const NEVER = 'a^';

/**
 * unlinkText in SQL, for a JSON text expression (`payload::text`, evaluated more than once: a
 * cast). Text without a `\u` escape, nearly all, gets `replace`, as fast as ever; text with one,
 * a regexp_replace for each user it holds, the escape checked once the id matched. PostgreSQL
 * evaluates a lookbehind from the text's start and keeps 32 compiled patterns: a pattern per user
 * on every row made a pass of 100 users over 5,000 rows take 40 s instead of half a second.
 */
export function unlinkedSql(text: SQL, users: { userId: string; pseudonym: string }[]): SQL {
  const plain = users.reduce((acc, u) => sql`replace(${acc}, ${u.userId}, ${u.pseudonym})`, text);
  const escaped = users.reduce((acc, u) => {
    const held = sql`strpos(${text}, ${u.userId}) > 0`;
    const pattern = sql`case when ${held} then ${idPattern(u.userId)} else ${NEVER} end`;
    return sql`regexp_replace(${acc}, ${pattern}, ${u.pseudonym}, 'g')`;
  }, text);
  return sql`(case when strpos(${text}, ${'\\u'}) = 0 then ${plain} else ${escaped} end)`;
}

/** Whether the text mentions a forgotten id. */
export function mentions(text: string, ids: ReadonlyMap<string, string>): boolean {
  for (const id of named(text, ids)) if (text.includes(id)) return true;
  return false;
}
