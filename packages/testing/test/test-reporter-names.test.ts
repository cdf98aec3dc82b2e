import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { sourceName } from '../../../scripts/test-reporter.ts';

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
