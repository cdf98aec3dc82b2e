import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeLines, eventLine, linesText, sampleLine } from '../src/store/line-protocol.ts';
import type { QueuedEvent } from '../src/store/types.ts';

const tricky = [
  { plain: 'pro', n: 1 },
  { quote: 'say "hi"', backslash: 'C:\\temp\\', both: '\\"' },
  { control: 'line\nbreak\ttab\u0001', unicode: 'é 😀 \u2028', lone: '\ud800' },
  { nested: { list: [1, 'two', { three: null }] }, long: 'x'.repeat(3000) },
];

const event = (i: number): QueuedEvent => ({
  seq: 7000 + i,
  id: `0f8c7a3e-1b2c-4d5e-8f90-${String(i).padStart(12, '0')}`,
  event: i % 2 ? 'page viewed' : 'signed.up',
  source: 'client',
  userId: i % 3 ? null : 'user-1',
  anonymousId: `anon-${i}`,
  properties: JSON.stringify(tricky[i % tricky.length]),
  timestamp: '',
  time: 1_764_000_000_000 + i,
});

test('a string field holds the properties JSON with exactly " and \\ escaped', () => {
  for (const [i, properties] of tricky.entries()) {
    const json = JSON.stringify(properties);
    const line = eventLine({ ...event(i), properties: json });
    // Line protocol's rule for string fields, written out the long way.
    const field = `properties="${json.replace(/[\\"]/g, '\\$&')}"`;
    assert.ok(line.includes(`,${field} `), `properties ${i}: ${line.slice(0, 200)}`);
  }
});

test('events encoded as accepted and events encoded at write time are the same bytes', () => {
  // Over 16 K characters, so the write-time encoding goes in several chunks.
  const items = Array.from({ length: 100 }, (_, i) => event(i));
  const bytes = encodeLines(items, eventLine);
  assert.ok(bytes.length > 3 * 16_384);
  assert.deepEqual(Buffer.from(linesText(items, eventLine)), bytes);
  assert.equal(bytes.toString().split('\n').length, items.length + 1);
});

test("a point's sub-millisecond digits are its point number modulo 10^6, else its seq", () => {
  const ms = 1_764_000_000_000;
  // Point numbers, dense across queue rows: the digits of rows 1000 apart differ.
  assert.ok(
    eventLine({ ...event(0), time: ms, seq: 7_000_000, point: 42_000_007 }).endsWith(
      ` ${ms}000007`,
    ),
  );
  assert.ok(
    eventLine({ ...event(0), time: ms, seq: 1_007_000_000, point: 42_000_008 }).endsWith(
      ` ${ms}000008`,
    ),
  );
  // A row queued by the previous version has none: its item's seq stands in, as it did.
  assert.ok(eventLine({ ...event(0), time: ms, seq: 7_000_123 }).endsWith(` ${ms}000123`));
  const sample = {
    service: 'main',
    route: '/main/v1/posts',
    method: 'GET',
    status: 200,
    durationMs: 1.5,
    timestamp: new Date(ms).toISOString(),
    requestId: null,
    userId: null,
    upstream: null,
  };
  assert.ok(sampleLine({ ...sample, seq: 5_000_000, point: 3_000_042 }).endsWith(` ${ms}000042`));
  assert.ok(sampleLine({ ...sample, seq: 5_000_001 }).endsWith(` ${ms}000001`));
});
