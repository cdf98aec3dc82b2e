import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeLines, eventLine, linesText } from '../src/store/line-protocol.ts';
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
