import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run, test } from 'node:test';
import { failureLines, sourceName, tapWithFailures } from '../../../scripts/test-reporter.ts';
import { originalPosition } from '../../../scripts/test-source-maps.ts';

test("a file's own failure is named by its .ts path, not by the compiled copy the run removes", () => {
  const dir = path.join(path.sep, 'repo', 'node_modules', '.cache', 'test-bundles', 'run-Ab12Cd');
  const compiled = path.join(dir, 'services', 'notes', 'test', 'labels.test.mjs');
  assert.equal(sourceName(dir, compiled), 'services/notes/test/labels.test.ts');
  // Test names, and paths elsewhere, are left alone.
  assert.equal(
    sourceName(dir, 'a label name is taken once per user'),
    'a label name is taken once per user',
  );
  assert.equal(
    sourceName(dir, path.join(path.sep, 'elsewhere', 'x.test.mjs')),
    path.join(path.sep, 'elsewhere', 'x.test.mjs'),
  );
  assert.equal(sourceName('', compiled), compiled);
});

test("after TAP's summary, each failed test is named with its file, line and error; passing ones and their suite are not", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reporter-'));
  const file = path.join(dir, 'fixture.test.mjs');
  writeFileSync(
    file,
    [
      "import assert from 'node:assert/strict';",
      "import { describe, test } from 'node:test';",
      "describe('a suite', () => {",
      "  test('this one passes', () => {});",
      "  test('this one fails', () => { assert.equal(1 + 1, 3); });",
      '});',
      '',
    ].join('\n'),
  );
  // Inside a test file, run() would report into this file's own runner, not to its caller.
  const context = process.env.NODE_TEST_CONTEXT;
  delete process.env.NODE_TEST_CONTEXT;
  try {
    let out = '';
    for await (const chunk of tapWithFailures(run({ files: [file] }))) out += chunk;
    const tail = out.slice(out.lastIndexOf('# duration_ms'));
    assert.match(tail, /^# failed: 1$/m);
    assert.match(tail, new RegExp(`^# not ok - this one fails \\(${literal(file)}:5\\)$`, 'm'));
    assert.match(tail, /^# {3}.*Expected values to be strictly equal/m);
    assert.match(tail, /^# {3}2 !== 3/m);
    assert.doesNotMatch(tail, /this one passes|a suite/);
  } finally {
    if (context !== undefined) process.env.NODE_TEST_CONTEXT = context;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a run without failures prints nothing after the summary', () => {
  assert.deepEqual(failureLines([]), []);
});

function literal(s: string) {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

test('a compiled file holding the inline-map marker as a string is still mapped by the map beside it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'maps-'));
  const file = path.join(dir, 'x.test.mjs');
  // The bundle of scripts/test-source-maps.ts itself holds that marker in its code.
  writeFileSync(
    file,
    "const marker = '//# sourceMappingURL=data:application/json;base64,';\n//# sourceMappingURL=x.test.mjs.map\n",
  );
  writeFileSync(
    `${file}.map`,
    JSON.stringify({ version: 3, sources: ['x.test.ts'], names: [], mappings: 'AAAA' }),
  );
  try {
    assert.deepEqual(originalPosition(dir, file, 1, 1), {
      file: path.join(dir, 'x.test.ts'),
      line: 1,
      column: 1,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
