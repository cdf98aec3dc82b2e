import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { writeGenerated } from '@platform/generate';
import { composeCopy, replaceOnce, root, withNotes } from './helper.ts';

// A second, independent reading of compose.yaml and the shell scripts by Debian's own tools
// (docker-compose 1.29 parses, interpolates and validates without a Docker engine; shellcheck).

/** `docker-compose config` in `dir`, with a .env of these lines if given (a fresh clone has none). */
function composeConfig(dir: string, dotenv?: string): { ok: boolean; output: string } {
  if (dotenv !== undefined) writeFileSync(path.join(dir, '.env'), dotenv);
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

test('docker-compose config accepts compose.yaml with no .env, as a fresh clone has', (t) => {
  const { ok, output } = composeConfig(composeCopy(t));
  assert.ok(ok, output);
  assert.match(output, /replicas: 2/);
  assert.match(output, /DATABASE_URL_FILE: \/run\/secrets\/MAIN_DATABASE_URL/);
  assert.match(output, /condition: service_completed_successfully/);
});

test('docker-compose config hands a secret set in .env to init-secrets, which writes it', (t) => {
  const { ok, output } = composeConfig(composeCopy(t), 'SERVICE_TOKEN=from-the-dot-env-file\n');
  assert.ok(ok, output);
  assert.match(output, /SERVICE_TOKEN: from-the-dot-env-file/);
  // No other service sees the value: they read the file.
  assert.equal(output.split('from-the-dot-env-file').length, 2);
});

test('docker-compose config accepts a service added by its manifest and npm run generate', (t) => {
  const dir = withNotes(t);
  writeGenerated(dir);
  const { ok, output } = composeConfig(dir);
  assert.ok(ok, output);
  assert.match(output, /DATABASE_URL_FILE: \/run\/secrets\/NOTES_DATABASE_URL/);
  assert.match(output, /NOTES_DB_PASSWORD_FILE: \/run\/secrets\/NOTES_DB_PASSWORD/);
  assert.match(output, /ROUTES: .*notes:\/notes=http:\/\/notes:8080/);
  for (const script of ['deploy/postgres/init.sh', 'deploy/secrets/init.sh']) {
    execFileSync('shellcheck', [path.join(dir, script)], { stdio: 'pipe' });
  }
});

test('docker-compose config refuses a broken copy', (t) => {
  const dir = composeCopy(t, {
    'compose.yaml': (s) => replaceOnce(s, 'stop_grace_period: 15s', 'stop_grace_period: [15s]'),
  });
  const { ok, output } = composeConfig(dir);
  assert.equal(ok, false);
  assert.match(output, /stop_grace_period/);
});

test('shellcheck finds nothing in the PostgreSQL init script, the secrets scripts, Redis start', () => {
  for (const script of [
    'deploy/postgres/init.sh',
    'deploy/redis/start.sh',
    'deploy/secrets/init.sh',
    'deploy/secrets/env-from-files.sh',
  ]) {
    execFileSync('shellcheck', [path.join(root, script)], { stdio: 'pipe' });
  }
});
