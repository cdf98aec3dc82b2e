import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { COMMITTED_DURATIONS, longestFirst } from '../../../scripts/test-schedule.ts';

const root = path.resolve(import.meta.dirname, '..', '..', '..');

test("a fresh clone starts the longest files first by the committed figures, a run's own win", async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'test-schedule-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // Source sizes that say the opposite of the durations: the size is only a guess.
  const files = ['a.test.ts', 'b.test.ts', 'c.test.ts', 'new.test.ts'];
  const sizes = [4000, 3000, 2000, 100];
  await Promise.all(files.map((f, i) => writeFile(path.join(dir, f), 'x'.repeat(sizes[i]!))));
  await mkdir(path.join(dir, 'scripts'));
  await writeFile(
    path.join(dir, COMMITTED_DURATIONS),
    JSON.stringify({ 'a.test.ts': 1000, 'b.test.ts': 2000, 'c.test.ts': 30000 }),
  );
  const cache = path.join(dir, 'durations.json');
  const order = async () => (await longestFirst(dir, files, cache)).map((i) => files[i]);

  // No cache (a fresh clone): a file without any figure first, then the committed figures.
  assert.deepEqual(await order(), ['new.test.ts', 'c.test.ts', 'b.test.ts', 'a.test.ts']);
  // The last run's figures win over the committed ones.
  await writeFile(cache, JSON.stringify({ 'a.test.ts': 50000, 'new.test.ts': 10 }));
  assert.deepEqual(await order(), ['a.test.ts', 'c.test.ts', 'b.test.ts', 'new.test.ts']);
});

test('the committed figures name test files of the repository', async () => {
  const committed = JSON.parse(await readFile(path.join(root, COMMITTED_DURATIONS), 'utf8'));
  const names = Object.keys(committed);
  assert.ok(names.length > 100, `${names.length} files`);
  for (const name of names) {
    assert.match(name, /^(packages|services)\/[^/]+\/test\/.+\.test\.ts$/);
    assert.equal(typeof committed[name], 'number', name);
  }
});
