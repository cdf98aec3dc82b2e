import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { selectTestFiles } from '../../../scripts/test-filters.ts';

// A repository of three services' tests; `npm test -- <argument>` picks among them.
const root = mkdtempSync(path.join(tmpdir(), 'npm-test-arguments-'));
after(() => rmSync(root, { recursive: true, force: true }));
const files = [
  'services/notes/test/labels.test.ts',
  'services/notes/test/items.test.ts',
  'services/notes-archive/test/items.test.ts',
  'services/main/test/labels.test.ts',
].map((f) => f.split('/').join(path.sep));
for (const file of files) {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), '');
}
const run = (args: string[], cwd = root) => selectTestFiles(files, args, { root, cwd });
const [notesLabels, notesItems, archiveItems, mainLabels] = files;

test('a path as a shell or an editor hands it over selects its file', () => {
  for (const arg of [
    'services/notes/test/labels.test.ts',
    './services/notes/test/labels.test.ts',
    path.join(root, 'services/notes/test/labels.test.ts'),
  ]) {
    assert.deepEqual(run([arg]), [notesLabels], arg);
  }
  // From the service's folder, as `cd services/notes && npm test -- test/labels.test.ts`.
  assert.deepEqual(run(['test/labels.test.ts'], path.join(root, 'services/notes')), [notesLabels]);
});

test("a service's folder selects its tests and not those of a service named after it", () => {
  for (const arg of ['services/notes', './services/notes/', path.join(root, 'services/notes')]) {
    assert.deepEqual(run([arg]), [notesItems, notesLabels], arg);
  }
});

test('any other argument is a part of a path; none selects every file', () => {
  assert.deepEqual(run(['labels']), [mainLabels, notesLabels]);
  assert.deepEqual(run(['services/notes/test/lab']), [notesLabels]);
  assert.deepEqual(run(['../elsewhere/labels.test.ts']), []);
  assert.deepEqual(run([]), [...files].sort());
  assert.deepEqual(run(['notes-archive']), [archiveItems]);
});
