import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { unlinkItem } from '../src/ingestion/forgotten.ts';
import {
  mentions,
  unlinkRowText,
  unlinkText,
  uuidsIn,
  withoutElidedIds,
} from '../src/pseudonyms.ts';
import { randomValue, seeded } from './random-json.ts';

const lookup = (n: number) =>
  new Map(Array.from({ length: n }, () => [randomUUID(), `deleted-${randomUUID()}`] as const));

test('a few users or many: the same ids are replaced, in a user id and in the properties', () => {
  for (const n of [1, 3, 50]) {
    const ids = lookup(n);
    const [first, last] = [[...ids][0]!, [...ids].at(-1)!];
    const stranger = randomUUID();
    const properties = JSON.stringify({
      author_id: first[0],
      actor: `x${last[0]}`,
      other: stranger,
    });
    assert.equal(
      unlinkText(properties, ids),
      JSON.stringify({ author_id: first[1], actor: `x${last[1]}`, other: stranger }),
      `${n} ids`,
    );
    assert.equal(mentions(properties, ids), true);
    assert.equal(mentions(JSON.stringify({ other: stranger }), ids), false, `${n} ids`);
    const item = { userId: last[0], properties: '{}' };
    assert.deepEqual(unlinkItem(item, ids), { userId: last[1], properties: '{}' });
    const untouched = { userId: stranger, properties: '{"a":1}' };
    assert.equal(unlinkItem(untouched, ids), untouched, 'an item naming none is kept as it is');
  }
});

test('an id the hex digits of an escape seem to spell is no id: the text stays JSON', () => {
  const user = `01a${randomUUID().slice(3)}`;
  for (const n of [1, 50]) {
    const ids = new Map([[user, `deleted-${randomUUID()}`], ...lookup(n - 1)]);
    const pseudonym = ids.get(user)!;
    // `\u001a` then the rest of the id; a backslash and a `u` as text, then the id.
    const value = (id: string) => ({ escape: `\u001a${id.slice(3)}`, text: `\\u${id}`, id });
    const out = unlinkText(JSON.stringify(value(user)), ids);
    assert.deepEqual(
      JSON.parse(out),
      { escape: `\u001a${user.slice(3)}`, text: `\\u${pseudonym}`, id: pseudonym },
      `${n} ids`,
    );
  }
});

test('an id right after another UUID-like text is found and replaced, however many users', () => {
  const user = randomUUID();
  // `…-aaaa` and the id's first eight digits read as a UUID of their own, which a scan for
  // UUIDs took, skipping past the id's beginning.
  const text = JSON.stringify({ ref: `aaaaaaaa-aaaa-aaaa-aaaa-aaaa${user}` });
  for (const n of [1, 50]) {
    const ids = new Map([[user, `deleted-${randomUUID()}`], ...lookup(n - 1)]);
    assert.equal(mentions(text, ids), true, `${n} ids`);
    assert.deepEqual(
      JSON.parse(unlinkText(text, ids)),
      { ref: `aaaaaaaa-aaaa-aaaa-aaaa-aaaa${ids.get(user)}` },
      `${n} ids`,
    );
  }
});

test('an id in upper or mixed case is the same UUID: found and replaced, escapes still left alone', () => {
  const user = `01a${randomUUID().slice(3)}`;
  const upper = user.toUpperCase();
  const mixed = `${upper.slice(0, 18)}${user.slice(18)}`;
  for (const n of [1, 50]) {
    const ids = new Map([[user, `deleted-${randomUUID()}`], ...lookup(n - 1)]);
    const pseudonym = ids.get(user)!;
    const text = JSON.stringify({ ref: upper, note: `by ${mixed}` });
    assert.equal(mentions(text, ids), true, `${n} ids`);
    assert.deepEqual(
      JSON.parse(unlinkText(text, ids)),
      { ref: pseudonym, note: `by ${pseudonym}` },
      `${n} ids`,
    );
    const item = { userId: 'someone', properties: text };
    assert.deepEqual(JSON.parse(unlinkItem(item, ids).properties as string), {
      ref: pseudonym,
      note: `by ${pseudonym}`,
    });
    // An upper-case escape (`\u001A`) whose hex digits then spell the id in upper case: no id.
    const escaped = JSON.stringify({ escape: 'x' }).replace('x', `\\u001A${upper.slice(3)}`);
    assert.equal(unlinkText(escaped, ids), escaped, `${n} ids: the escape kept`);
  }
});

test("an item's own user id in upper or mixed case is the user's: its userId gets the pseudonym", () => {
  // A Segment backend sends `userId: "ABCD…"`, the deleted user's UUID upper-cased.
  const user = randomUUID();
  const upper = user.toUpperCase();
  const mixed = `${upper.slice(0, 18)}${user.slice(18)}`;
  for (const n of [1, 3, 50]) {
    const ids = new Map([[user, `deleted-${randomUUID()}`], ...lookup(n - 1)]);
    for (const userId of [upper, mixed]) {
      assert.deepEqual(
        unlinkItem({ userId, properties: '{}' }, ids),
        { userId: ids.get(user), properties: '{}' },
        `${n} ids, ${userId}`,
      );
    }
  }
  // A lookup holding an id in upper case (as a row could) finds it written in lower case too.
  const upperIds = new Map([[upper, 'deleted-upper']]);
  assert.deepEqual(unlinkItem({ userId: user }, upperIds), { userId: 'deleted-upper' });
});

test('UUID characters an ellipsis cuts are dropped, in one scan however long the run', () => {
  const id = randomUUID();
  assert.equal(
    withoutElidedIds(
      `Unexpected token '@', ..."${id.slice(-7)}"},@, "${id.slice(0, 7)}"... is not valid JSON`,
    ),
    `Unexpected token '@', ...""},@, ""... is not valid JSON`,
  );
  // Tried from every position of a run, 50 000 hex characters took seconds.
  const run = 'a'.repeat(50_000);
  const started = performance.now();
  assert.equal(withoutElidedIds(`${run} and no ellipsis`), `${run} and no ellipsis`);
  assert.ok(performance.now() - started < 300, `${performance.now() - started} ms`);
});

test('every id a key or a string holds is replaced, whatever escapes sit next to it, as a rewrite of the parsed value would', () => {
  // Ids whose first digits an escape can spell: `\b` and `\f` (one letter each, both hex
  // digits), `\u001a`'s last ones. Fixed, so that a failure replays. The first's end begins the
  // last (`…e4f5` + `e4f5…`): in `…e4f5e4f5…` replacing either cuts the other, and the first
  // found from the text's start is the one replaced, here and in the reference alike.
  const users = [
    'bcd20e1f-6a3b-4c5d-8e7f-a0b1c2d3e4f5',
    'f3a4b5c6-d7e8-4f90-a1b2-c3d4e5f6a7b5',
    '01a9c8d7-e6f5-4a3b-9c2d-1e0f9a8b7c65',
    'e4f50a1b-2c3d-4e5f-8a7b-6c5d4e3f2a1d',
  ];
  const pick = seeded(36);
  const piece = (): string => {
    const id = users[pick(users.length)]!;
    const pieces = [
      id,
      id.toUpperCase(),
      id.slice(1),
      id.slice(3),
      id.slice(0, 32),
      '\b',
      '\f',
      '\u001a',
      '\\',
      '\\u',
      '\\u00',
      'u',
      '"',
      '\n',
      'x',
    ];
    return pieces[pick(pieces.length)]!;
  };
  const text = (): string => Array.from({ length: 1 + pick(5) }, piece).join('');
  const value = randomValue(pick, text);
  for (const n of [1, 50]) {
    // Pseudonyms in their own form (`deleted-<uuid>`: ending in a hex digit, maybe `b` before
    // the rest of an id beginning with `b`): neither side searches what it wrote.
    const ids = new Map([
      ...users.map((u) => [u, `deleted-${randomUUID()}`] as const),
      ...lookup(n - 1),
    ]);
    // The reference: every key and string, as parsed, with each id (in any case) replaced, in
    // one scan (String.replace: from the start, the leftmost id first, then after it).
    const pattern = new RegExp(users.join('|'), 'gi');
    const replaced = (s: string) => s.replace(pattern, (id) => ids.get(id.toLowerCase())!);
    const unlinked = (v: unknown): unknown =>
      typeof v === 'string'
        ? replaced(v)
        : Array.isArray(v)
          ? v.map(unlinked)
          : v !== null && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [replaced(k), unlinked(x)]))
            : v;
    for (let i = 0; i < 3000; i += 1) {
      const v = { p: value() };
      const json = JSON.stringify(v);
      const out = unlinkText(json, ids);
      let parsed: unknown;
      assert.doesNotThrow(() => {
        parsed = JSON.parse(out);
      }, `${n} ids: still JSON: ${json} -> ${out}`);
      const expected = unlinked(v);
      assert.deepEqual(parsed, expected, `${n} ids: ${json}`);
      if (JSON.stringify(expected) === json) assert.equal(out, json, 'no id: the very same text');
      // mentions may say yes to an escape's lookalike (it only spares a read), never no to an id.
      if (out !== json) assert.ok(mentions(json, ids), `${n} ids: mentions ${json}`);
    }
  }
});

test("a dead letter's item keys are unlinked too, in a row whose properties are parsed apart", () => {
  // A row kept whole (it could not be read) may hold anything: with a backslash in it, its items
  // were rebuilt key by key, each value unlinked and each key kept as it was, the id with it.
  const user = randomUUID();
  const ids = new Map([[user, 'deleted-key']]);
  const text = JSON.stringify([{ [user.toUpperCase()]: 1, properties: '{"a":"\\n"}' }]);
  assert.equal(
    unlinkRowText('event', text, ids),
    JSON.stringify([{ 'deleted-key': 1, properties: '{"a":"\\n"}' }]),
  );
  // Properties that are no JSON text: a backslash before the id is no escape's, the id is there.
  const path = JSON.stringify([{ properties: `C:\\${user}` }]);
  assert.equal(
    unlinkRowText('event', path, ids),
    JSON.stringify([{ properties: 'C:\\deleted-key' }]),
  );
});

test('a dead letter whose text is not as JSON.stringify writes it keeps every other byte', () => {
  // A row kept whole (it could not be read) is copied as it came: rebuilt from its parsed items,
  // its other items changed too (1.0 became 1, a large integer lost digits, 1e400 became null).
  const user = randomUUID();
  const ids = new Map([[user, 'deleted-bytes']]);
  const text = `[{"userId":"${user}","properties":"{\\"a\\":\\"\\\\n\\"}","n":1.0},{"userId":"other","n":12345678901234567890,"big":1e400}]`;
  assert.equal(unlinkRowText('event', text, ids), text.replace(user, 'deleted-bytes'));
});

test('a long run of backslashes costs one scan: the UUIDs of a text and a rewrite past four users', () => {
  // Looked for at each position behind it, the escape before a UUID took the square of the run:
  // 32 kB (one Segment message) 0.2 s in the writer for each item while more than four users
  // were being forgotten, a dead letter of a few MB minutes, its page's rows locked as long.
  const text = JSON.stringify({ a: '\\'.repeat(64_000), b: `\\${'\\'.repeat(999)}x` });
  const ids = lookup(6);
  const started = performance.now();
  assert.deepEqual(uuidsIn(text), new Set());
  assert.equal(unlinkText(text, ids), text);
  const ms = performance.now() - started;
  assert.ok(ms < 300, `${Math.round(ms)} ms`);
});

test('the UUIDs of a text: each not begun inside an escape, as the rewrite finds them', () => {
  const id = 'bf42b9e0-0b7d-4c3e-9a51-2d6e8f0a1b2c';
  const cases: [string, boolean][] = [
    [`"${id}"`, true],
    [`"\\${id}"`, false],
    [`"\\\\${id}"`, true],
    [`"\\\\\\${id}"`, false],
    [`"\\u${id}"`, false],
    [`"\\U0${id}"`, false],
    [`"\\u00f${id}"`, false],
    [`"\\u00ff${id}"`, true],
    [`"\\\\u0${id}"`, true],
    [`"u0${id}"`, true],
    [`\\${id}`, false],
  ];
  for (const [text, found] of cases) {
    assert.equal(uuidsIn(text).has(id), found, text);
    const ids = new Map([[id, 'deleted-x']]);
    assert.equal(unlinkText(text, ids) !== text, found, text);
  }
});
