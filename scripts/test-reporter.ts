/**
 * The test runner's reporter for compiled test files (scripts/test.ts): Node's default one
 * (spec on a terminal, TAP otherwise, spec everywhere from Node 23), with the location of a test
 * mapped back to its .ts line. Under `--enable-source-maps` the runner did that itself.
 */
import path from 'node:path';
import { Readable } from 'node:stream';
import type { TestEvent } from 'node:test/reporters';
import { spec, tap } from 'node:test/reporters';
import { originalPosition } from './test-source-maps.ts';

const dir = process.env.TEST_COMPILED_DIR ?? '';
const specByDefault = process.stdout.isTTY || Number(process.versions.node.split('.')[0]) >= 23;

/**
 * A test named after its compiled file (what Node names a file's own failure, an `after` hook's
 * throw, as the generated services' helper fails a file whose operations answer undocumented
 * codes) as the .ts path `npm test -- <path>` takes: `services/notes/test/labels.test.ts`, not
 * `…/node_modules/.cache/test-bundles/run-…/services/notes/test/labels.test.mjs`, a file gone
 * once the run ends. Any other name as it is.
 */
export function sourceName(compiledDir: string, name: string): string {
  if (!compiledDir || !name.endsWith('.mjs')) return name;
  const relative = path.relative(compiledDir, name);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return name;
  return `${relative.slice(0, -'.mjs'.length).split(path.sep).join('/')}.ts`;
}

async function* mapped(source: AsyncIterable<TestEvent>): AsyncGenerator<TestEvent> {
  for await (const event of source) {
    const data = event.data as { name?: unknown; file?: string; line?: number; column?: number };
    if (dir && data.file && data.line && data.column) {
      const original = originalPosition(dir, data.file, data.line, data.column);
      if (original) Object.assign(data, original);
    }
    if (typeof data.name === 'string') data.name = sourceName(dir, data.name);
    yield event;
  }
}

interface Failure {
  name: string;
  file?: string;
  line?: number;
  message: string;
}

/**
 * The failed tests, in the order they failed, for the lines printed after TAP's own summary: CI
 * shows only the tail of a run, where TAP says "# fail 1" and not which test, its report long
 * scrolled away among 1 400 others. A suite failing because a test in it failed is not repeated.
 */
export function failureLines(failures: readonly Failure[]): string[] {
  if (failures.length === 0) return [];
  const lines = [`# failed: ${failures.length}`];
  for (const f of failures) {
    const where = f.file ? ` (${f.file}${f.line ? `:${f.line}` : ''})` : '';
    lines.push(`# not ok - ${f.name}${where}`);
    for (const l of f.message.split('\n').slice(0, 12)) lines.push(`#   ${l}`);
  }
  return lines.map((l) => `${l}\n`);
}

function failureOf(event: TestEvent): Failure | undefined {
  if (event.type !== 'test:fail') return undefined;
  const data = event.data as {
    name: string;
    file?: string;
    line?: number;
    todo?: unknown;
    skip?: unknown;
    details: { error?: { failureType?: string; message?: string; cause?: unknown } };
  };
  if (data.todo || data.skip) return undefined;
  const error = data.details.error;
  if (error?.failureType === 'subtestsFailed') return undefined;
  const cause = error?.cause;
  const message =
    cause instanceof Error
      ? (cause.stack ?? cause.message)
      : cause !== undefined
        ? String(cause)
        : (error?.message ?? 'failed');
  // A file's own failure (a timeout, a throw outside any test) has no .ts position to map to.
  const file = data.file && sourceName(dir, data.file);
  return { name: data.name, file, line: file === data.file ? data.line : undefined, message };
}

async function* noting(source: AsyncIterable<TestEvent>, failures: Failure[]) {
  for await (const event of source) {
    const failure = failureOf(event);
    if (failure) failures.push(failure);
    yield event;
  }
}

/** TAP, then a comment block naming each failed test with its file, line and error. */
export async function* tapWithFailures(source: AsyncIterable<TestEvent>) {
  const failures: Failure[] = [];
  yield* tap(noting(mapped(source), failures));
  yield* failureLines(failures);
}

async function* viaSpec(source: AsyncIterable<TestEvent>) {
  // Iterated, not returned: the runner would write its events into a returned stream directly.
  yield* Readable.from(mapped(source)).pipe(new spec());
}

// An arrow function: the runner would call a `function` with `new`.
export default (source: AsyncIterable<TestEvent>) =>
  specByDefault ? viaSpec(source) : tapWithFailures(source);
