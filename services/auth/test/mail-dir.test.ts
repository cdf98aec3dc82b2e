import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { promisify } from 'node:util';
import { ConfigError } from '@platform/config';
import { compiledScript, TEST_SECRETS } from '@platform/testing';
import { createMailer } from '../src/mail/transport.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const FROM = 'Test <no-reply@localhost>';

async function scratch(t: TestContext) {
  const dir = await mkdtemp(path.join(tmpdir(), 'auth-mail-dir-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a MAIL_DIR that is a file, or under one, is refused at start naming it, not at the first mail', async (t) => {
  const dir = await scratch(t);
  const file = path.join(dir, 'mail');
  await writeFile(file, 'not a folder');
  for (const MAIL_DIR of [file, path.join(file, 'inside')]) {
    assert.throws(
      () => createMailer({ MAIL_DIR, MAIL_FROM: FROM }),
      new ConfigError(
        `MAIL_DIR is invalid: ${MAIL_DIR} cannot hold the mail (it, or a folder on its path, is a file); expected a folder auth can write to (or set SMTP_URL)`,
      ),
    );
  }
  // Over SMTP the folder is not used, and not checked.
  createMailer({ MAIL_DIR: file, MAIL_FROM: FROM, SMTP_URL: 'smtp://127.0.0.1:2525' });
  // A folder not there yet is made at start.
  const fresh = path.join(dir, 'new', 'mail');
  createMailer({ MAIL_DIR: fresh, MAIL_FROM: FROM });
  assert.ok(existsSync(fresh));
});

test('the service stops with one line on such a MAIL_DIR, before it connects to its database', async (t) => {
  const file = path.join(await scratch(t), 'mail');
  await writeFile(file, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    ...TEST_SECRETS,
    PORT: '0',
    LOG_LEVEL: 'silent',
    // Nothing listens there: the mail folder is refused before the database is asked.
    DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    MAIL_DIR: file,
  };
  const script = await compiledScript('services/auth/src/server.ts');
  const failed = await promisify(execFile)(process.execPath, script, {
    cwd: root,
    env,
    timeout: 60_000,
  }).then(
    () => assert.fail('the service started'),
    (error: { code: number; stderr: string }) => error,
  );
  assert.equal(failed.code, 1);
  assert.equal(
    failed.stderr,
    `configuration error: MAIL_DIR is invalid: ${file} cannot hold the mail (it, or a folder on its path, is a file); expected a folder auth can write to (or set SMTP_URL)\n`,
  );
});
