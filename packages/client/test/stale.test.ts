import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { staleFiles } from '../scripts/stale.ts';

test('a removed service leaves no generated document or types behind', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'client-stale-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'openapi'));
  mkdirSync(path.join(dir, 'src/generated'), { recursive: true });
  for (const file of [
    'openapi/main.json',
    'openapi/notes.json',
    'openapi/README.md',
    'src/generated/main.ts',
    'src/generated/notes.ts',
    'src/generated/services.ts',
  ])
    writeFileSync(path.join(dir, file), '');
  const wanted = ['openapi/main.json', 'src/generated/main.ts', 'src/generated/services.ts'];

  assert.deepEqual(staleFiles(dir, wanted), ['openapi/notes.json', 'src/generated/notes.ts']);
  assert.deepEqual(
    staleFiles(dir, [...wanted, 'openapi/notes.json', 'src/generated/notes.ts']),
    [],
  );
  assert.deepEqual(staleFiles(path.join(dir, 'absent'), wanted), []);
});
