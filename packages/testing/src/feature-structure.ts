import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// A service's code as an import graph, for the tests that keep its layout (each service's
// test/feature-structure.test.ts): features (the folders under src/) depend one way, none
// importing another that imports it back, directly or around a loop.

// Every static and dynamic relative import, `import type` included: a type-only import ties two
// folders together as much as any other. Biome formats every import as `… from '…'` on purpose.
const IMPORT =
  /^\s*(?:import|export)\s(?:[^;'"]*?\sfrom\s)?'(\.[^']+)'|\bimport\(\s*'(\.[^']+)'\s*\)/gm;

export type ImportGraph = Map<string, Set<string>>;

/** File → the files it imports, as paths relative to `src`; and each file's text. */
export function importGraph(src: string): { graph: ImportGraph; sources: Map<string, string> } {
  const graph: ImportGraph = new Map();
  const sources = new Map<string, string>();
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.ts'),
  );
  for (const file of files) {
    const text = readFileSync(path.join(src, file), 'utf8');
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

/** The folder under src/ a file belongs to; files directly under it (app.ts…) belong to none. */
export const folderOf = (file: string) =>
  file.includes(path.sep) ? file.split(path.sep)[0]! : undefined;

/**
 * Folder → the other folders its files import, each with one file that does it. Folders in
 * `ignore` are left out on both ends (a schema folder that gathers every feature's tables).
 */
export function folderGraph(
  graph: ImportGraph,
  ignore: ReadonlySet<string> = new Set(),
): Map<string, Map<string, string>> {
  const folders = new Map<string, Map<string, string>>();
  for (const [file, targets] of graph) {
    const from = folderOf(file);
    if (!from || ignore.has(from)) continue;
    const edges = folders.get(from) ?? new Map<string, string>();
    folders.set(from, edges);
    for (const target of targets) {
      const to = folderOf(target);
      if (to && to !== from && !ignore.has(to) && !edges.has(to)) edges.set(to, file);
    }
  }
  return folders;
}

/** One cycle as [a, b, …, a], or undefined when the graph has none. */
export function findCycle(edges: Map<string, Iterable<string>>): string[] | undefined {
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

/** A loop of folders with the file that makes each step (`a → b → a (a/x.ts imports b/; …)`). */
export function folderCycle(folders: Map<string, Map<string, string>>): string | undefined {
  const cycle = findCycle(new Map([...folders].map(([from, to]) => [from, to.keys()])));
  if (!cycle) return undefined;
  const why = cycle
    .slice(1)
    .map((to, i) => `${folders.get(cycle[i]!)!.get(to)} imports ${to}/`)
    .join('; ');
  return `${cycle.join(' → ')} (${why})`;
}
