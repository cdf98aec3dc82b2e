import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { findCycle, folderCycle, folderGraph, importGraph } from '@platform/testing';

// Features (the folders under src/) depend one way: none imports another that imports it back,
// directly or around a loop. `db/` is shared (its schema gathers every feature's tables) and is
// left out; so are the files directly under src/ (events.ts, pseudonyms.ts, storable.ts: what
// several features share, so that none imports another for it).

const { graph } = importGraph(path.resolve(import.meta.dirname, '../src'));

test('no two features import each other, directly or around a loop', () => {
  const folders = folderGraph(graph, new Set(['db']));
  assert.ok(folders.get('segment')?.has('ingestion'), 'the graph sees imports');
  assert.equal(folderCycle(folders), undefined);
});

test('no file imports itself back through others', () => {
  assert.equal(findCycle(graph)?.join(' → '), undefined);
});
