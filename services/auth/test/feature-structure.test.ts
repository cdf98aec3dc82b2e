import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

// Keeps the layout docs/auth.md describes ("Code layout"): features depend one way, the shared
// folders depend on no feature, and SQL stays in repositories.

const SRC = path.resolve(import.meta.dirname, '../src');
/** Used by the features; they import none. */
const SHARED = new Set(['db', 'events', 'mail', 'credentials', 'throttle', 'audit']);

// Every static and dynamic relative import, `import type` included: a type-only import ties two
// folders together as much as any other. Biome formats every import as `… from '…'` on purpose.
const IMPORT =
  /^\s*(?:import|export)\s(?:[^;'"]*?\sfrom\s)?'(\.[^']+)'|\bimport\(\s*'(\.[^']+)'\s*\)/gm;

type Graph = Map<string, Set<string>>;

/** File → the files it imports, as paths relative to src/. */
function importGraph(): { graph: Graph; sources: Map<string, string> } {
  const graph: Graph = new Map();
  const sources = new Map<string, string>();
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.ts'),
  );
  for (const file of files) {
    const text = readFileSync(path.join(SRC, file), 'utf8');
    sources.set(file, text);
    const targets = new Set<string>();
    for (const match of text.matchAll(IMPORT)) {
      const target = path.join(path.dirname(file), match[1] ?? match[2]!);
      if (!target.startsWith('..')) targets.add(target);
    }
    graph.set(file, targets);
  }
  return { graph, sources };
}

/** The folder under src/ a file belongs to; top-level files (app.ts, context.ts…) are the wiring. */
const folderOf = (file: string) => (file.includes(path.sep) ? file.split(path.sep)[0]! : undefined);

/** Folder → the other folders its files import, each with one file that does it. */
function folderGraph(graph: Graph): Map<string, Map<string, string>> {
  const folders = new Map<string, Map<string, string>>();
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    if (!from) continue;
    const edges = folders.get(from) ?? new Map<string, string>();
    folders.set(from, edges);
    for (const target of targets) {
      const to = folderOf(target);
      if (to && to !== from && !edges.has(to)) edges.set(to, file);
    }
  }
  return folders;
}

/** One cycle as [a, b, …, a], or undefined when the graph has none. */
function findCycle(edges: Map<string, Iterable<string>>): string[] | undefined {
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

const { graph, sources } = importGraph();

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
  const folders = folderGraph(graph);
  const cycle = findCycle(new Map([...folders].map(([from, to]) => [from, to.keys()])));
  const why = cycle
    ?.slice(1)
    .map((to, i) => `${folders.get(cycle[i]!)!.get(to)} imports ${to}/`)
    .join('; ');
  assert.equal(cycle, undefined, `folders in a cycle: ${cycle?.join(' → ')} (${why})`);
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
