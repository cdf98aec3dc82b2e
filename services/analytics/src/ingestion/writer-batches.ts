import { itemSeq, type Row } from './queue-rows.ts';

/**
 * Numbers the `index`th item of `row` in place as every write of it does, from the cache or read
 * back: its `seq` (PostgreSQL's key) and its point number (InfluxDB's time digits), so a write
 * tried again, by this process or another, lands on the same rows and points.
 */
export function numberItem(value: Record<string, unknown>, row: Row, index: number): void {
  value.seq = itemSeq(row.seq, index);
  if (row.point != null) value.point = row.point + index;
}

/**
 * A row whose items the store encoded when they were accepted (Store.encodeEvents): the text, or
 * its bytes where the writer's cache keeps them (writer-arena.ts).
 */
export interface EncodedRow {
  seq: number;
  kind: Row['kind'];
  count: number;
  body: string | Buffer;
}

export interface Item {
  row: Row;
  index: number;
  value: Record<string, unknown>;
}

/**
 * Store writes of about `size` items made of whole queue rows: whatever else a retry brings
 * along, a row's items are written together, or in the same halves (see halves), and a
 * refused row is found without splitting the others.
 */
export function chunksOf(items: Item[], size: number): Item[][] {
  const chunks: Item[][] = [];
  let chunk: Item[] = [];
  for (let i = 0; i < items.length; i += 1) {
    const item = items[i]!;
    const rowStarts = i === 0 || items[i - 1]!.row !== item.row;
    if (rowStarts && chunk.length > 0 && chunk.length + item.row.item.length > size) {
      chunks.push(chunk);
      chunk = [];
    }
    chunk.push(item);
  }
  if (chunk.length) chunks.push(chunk);
  return chunks;
}

/** Two parts of a refused write: split between rows while it spans several, else in the middle. */
export function halves(items: Item[]): [Item[], Item[]] {
  const boundaries: number[] = [];
  for (let i = 1; i < items.length; i += 1) {
    if (items[i]!.row !== items[i - 1]!.row) boundaries.push(i);
  }
  const middle = items.length / 2;
  const at = boundaries.length
    ? boundaries.reduce((best, b) => (Math.abs(b - middle) < Math.abs(best - middle) ? b : best))
    : Math.ceil(middle);
  return [items.slice(0, at), items.slice(at)];
}
