import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { writeGenerated } from '@platform/generate';
import { composeCopy, replaceOnce, root, withNotes } from './helper.ts';

// A second, independent reading of compose.yaml and the shell scripts by Debian's own tools
// (docker-compose 1.29 parses, interpolates and validates without a Docker engine; shellcheck).

function composeConfig(dir: string): { ok: boolean; output: string } {
  copyFileSync(path.join(dir, '.env.example'), path.join(dir, '.env'));
  try {
    const output = execFileSync('docker-compose', ['-f', 'compose.yaml', 'config'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { ok: true, output };
  } catch (error) {
    return { ok: false, output: String((error as { stderr?: string }).stderr) };
  }
}

test('docker-compose config accepts compose.yaml with the documented .env', (t) => {
  const { ok, output } = composeConfig(composeCopy(t));
  assert.ok(ok, output);
  assert.match(output, /replicas: 2/);
  assert.match(output, /DATABASE_URL: postgres:\/\/main:change-me-main-db@postgres:5432\/main/);
});

test('docker-compose config accepts a service added by its manifest and npm run generate', (t) => {
  const dir = withNotes(t);
  writeGenerated(dir);
  const { ok, output } = composeConfig(dir);
  assert.ok(ok, output);
  assert.match(output, /DATABASE_URL: postgres:\/\/notes:change-me-notes-db@postgres:5432\/notes/);
  assert.match(output, /ROUTES: .*notes:\/notes=http:\/\/notes:8080/);
  execFileSync('shellcheck', [path.join(dir, 'deploy/postgres/init.sh')], { stdio: 'pipe' });
});

test('docker-compose config refuses a broken copy', (t) => {
  const dir = composeCopy(t, {
    'compose.yaml': (s) => replaceOnce(s, 'stop_grace_period: 15s', 'stop_grace_period: [15s]'),
  });
  const { ok, output } = composeConfig(dir);
  assert.equal(ok, false);
  assert.match(output, /stop_grace_period/);
});

test('a required secret missing from .env stops docker-compose with its message', (t) => {
  const dir = composeCopy(t, { '.env.example': (s) => s.replace(/^SERVICE_TOKEN=.*$/m, '') });
  const { ok, output } = composeConfig(dir);
  assert.equal(ok, false);
  assert.match(output, /set SERVICE_TOKEN in \.env/);
});

test('shellcheck finds nothing in the PostgreSQL init script', () => {
  execFileSync('shellcheck', [path.join(root, 'deploy/postgres/init.sh')], { stdio: 'pipe' });
});
