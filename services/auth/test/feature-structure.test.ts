import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { findCycle, folderCycle, folderGraph, folderOf, importGraph } from '@platform/testing';

// Keeps the layout docs/auth.md describes ("Code layout"): features depend one way, the shared
// folders depend on no feature, and SQL stays in repositories.

const SRC = path.resolve(import.meta.dirname, '../src');
/** Used by the features; they import none. */
const SHARED = new Set(['db', 'events', 'mail', 'credentials', 'throttle', 'audit']);

const { graph, sources } = importGraph(SRC);

test('the cycle check sees a cycle around three nodes, and none in a chain', () => {
  const loop = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
  ]);
  assert.deepEqual(findCycle(loop), ['a', 'b', 'c', 'a']);
  assert.equal(
    findCycle(
      new Map([
        ['a', ['b']],
        ['b', ['c']],
      ]),
    ),
    undefined,
  );
});

test('the import scan finds the wiring', () => {
  assert.ok(graph.get('app.ts')?.has(path.join('sessions', 'routes.ts')));
  assert.ok(graph.get('context.ts')?.has(path.join('config.ts')));
});

test('no file imports itself back through others', () => {
  const cycle = findCycle(graph);
  assert.equal(cycle, undefined, `import cycle: ${cycle?.join(' → ')}`);
});

test('no two folders of auth depend on each other, directly or around a loop', () => {
  const cycle = folderCycle(folderGraph(graph));
  assert.equal(cycle, undefined, `folders in a cycle: ${cycle}`);
});

test('the shared folders (db, events, mail, credentials, throttle, audit) import no feature', () => {
  const wrong = [...folderGraph(graph)]
    .filter(([from]) => SHARED.has(from))
    .flatMap(([, to]) => [...to].filter(([folder]) => !SHARED.has(folder)))
    .map(([folder, file]) => `${file} imports ${folder}/`);
  assert.deepEqual(wrong, []);
});

test('only repositories touch tables or write SQL', () => {
  const touchesTables = /from '(drizzle-orm|[./]+db\/schema\.ts)'/;
  const wrong = [...sources]
    .filter(([, text]) => touchesTables.test(text))
    .map(([file]) => file)
    .filter((file) => !/repository\.ts$/.test(file) && !['db', 'events'].includes(folderOf(file)!));
  assert.deepEqual(wrong, []);
});
