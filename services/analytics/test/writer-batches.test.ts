import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Row } from '../src/ingestion/queue-rows.ts';
import { chunksOf, halves, type Item } from '../src/ingestion/writer-batches.ts';

const row = (seq: number, size: number): Row => ({
  seq,
  kind: 'sample',
  item: Array.from({ length: size }, (_, i) => ({ i })),
});
const itemsOf = (...rows: Row[]): Item[] =>
  rows.flatMap((r) => r.item.map((value, index) => ({ row: r, index, value: value! })));
const shape = (items: Item[]) => items.map((i) => `${i.row.seq}:${i.index}`).join(' ');

test('store writes are made of whole queue rows', () => {
  const [a, b, c] = [row(1, 3), row(2, 4), row(3, 2)];
  const chunks = chunksOf(itemsOf(a, b, c), 5);
  assert.deepEqual(chunks.map(shape), ['1:0 1:1 1:2', '2:0 2:1 2:2 2:3', '3:0 3:1']);
  // A row larger than a write is still one write.
  assert.deepEqual(chunksOf(itemsOf(row(4, 7)), 5).map(shape), [shape(itemsOf(row(4, 7)))]);
});

test('a refused write splits between rows first, and a lone row always in the same halves', () => {
  const [a, b, c] = [row(1, 1), row(2, 6), row(3, 1)];
  const [left, right] = halves(itemsOf(a, b, c));
  assert.deepEqual([shape(left), shape(right)], ['1:0', '2:0 2:1 2:2 2:3 2:4 2:5 3:0']);
  // Whatever rows came along, row 2 alone splits the same way every time.
  const alone = halves(itemsOf(b)).map(shape);
  assert.deepEqual(alone, ['2:0 2:1 2:2', '2:3 2:4 2:5']);
  assert.deepEqual(halves(halves(itemsOf(a, b))[1]).map(shape), alone);
});
