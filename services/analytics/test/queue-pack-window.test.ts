import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packRow, packRowAsync, unpackRow } from '../src/ingestion/row-packing.ts';

/** The window a Brotli stream declares in its first bits (RFC 7932, section 9.1). */
function windowBitsOf(stream: Buffer) {
  const bits = stream.readUInt16LE(0);
  if ((bits & 1) === 0) return 16;
  const n = (bits >> 1) & 7;
  if (n !== 0) return 17 + n;
  const m = (bits >> 4) & 7;
  return m === 0 ? 17 : 8 + m;
}

const rowOf = (chars: number) => {
  const line = '{"event":"window.event","properties":{"plan":"pro","n":12345}}\n';
  return line.repeat(Math.ceil(chars / line.length)).slice(0, chars);
};

test('a queue row is packed with a window its own size, not a 4 MB one per row, and unpacks whole', async () => {
  // A 500-event request's row is ~43 KB: a 64 KB window (16 bits) holds it.
  const row = rowOf(43_000);
  const packed = packRow(row);
  assert.equal(windowBitsOf(packed), 16);
  assert.equal(unpackRow(packed), row);

  // Small rows get Brotli's smallest window; rows too large to pack in line, one that holds them.
  assert.equal(windowBitsOf(packRow('{"event":"a"}')), 10);
  const large = rowOf(1_500_000);
  const packedLarge = await packRowAsync(large);
  assert.equal(windowBitsOf(packedLarge), 21);
  assert.equal(unpackRow(packedLarge), large);
});
