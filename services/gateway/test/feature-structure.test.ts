import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { findCycle, folderCycle, folderGraph, importGraph } from '@platform/testing';

// Features (the folders under src/) depend one way: none imports another that imports it back,
// directly or around a loop; what several share lives in db/ or directly under src/.

const { graph } = importGraph(path.resolve(import.meta.dirname, '../src'));

test('no file imports itself back through others', () => {
  assert.ok(graph.get('app.ts')?.size, 'the graph sees imports');
  assert.equal(findCycle(graph)?.join(' → '), undefined);
});

test('no two features import each other, directly or around a loop', () => {
  assert.equal(folderCycle(folderGraph(graph)), undefined);
});
