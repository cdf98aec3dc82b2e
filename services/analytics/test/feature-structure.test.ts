import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

// Features (the folders under src/) depend one way: none imports another that imports it back,
// directly or around a loop. `db/` is shared (its schema gathers every feature's tables) and is
// left out; so are the files directly under src/ (events.ts, pseudonyms.ts, storable.ts: what
// several features share, so that none imports another for it).

const SRC = path.resolve(import.meta.dirname, '../src');
const SHARED = new Set(['db']);

// Every static and dynamic relative import, `import type` included.
const IMPORT =
  /^\s*(?:import|export)\s(?:[^;'"]*?\sfrom\s)?'(\.[^']+)'|\bimport\(\s*'(\.[^']+)'\s*\)/gm;

/** Folder → the other folders its files import. */
function folderGraph(): Map<string, Set<string>> {
  const folders = new Map<string, Set<string>>();
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.ts'),
  );
  for (const file of files) {
    if (!file.includes(path.sep)) continue;
    const from = file.split(path.sep)[0]!;
    if (SHARED.has(from)) continue;
    const edges = folders.get(from) ?? new Set<string>();
    folders.set(from, edges);
    for (const match of readFileSync(path.join(SRC, file), 'utf8').matchAll(IMPORT)) {
      const target = path.join(path.dirname(file), match[1] ?? match[2]!);
      if (target.startsWith('..') || !target.includes(path.sep)) continue;
      const to = target.split(path.sep)[0]!;
      if (to !== from && !SHARED.has(to)) edges.add(to);
    }
  }
  return folders;
}

/** One loop as [a, b, …, a], or undefined. */
function findCycle(edges: Map<string, Set<string>>): string[] | undefined {
  const done = new Set<string>();
  const trail: string[] = [];
  const visit = (node: string): string[] | undefined => {
    const open = trail.indexOf(node);
    if (open >= 0) return [...trail.slice(open), node];
    if (done.has(node)) return undefined;
    trail.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    trail.pop();
    done.add(node);
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

test('no two features import each other, directly or around a loop', () => {
  const graph = folderGraph();
  assert.ok(graph.get('segment')?.has('ingestion'), 'the graph sees imports');
  assert.equal(findCycle(graph)?.join(' → '), undefined);
});
