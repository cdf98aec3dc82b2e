import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadOrCreateKeyEncryptionKey } from '../src/secrets.ts';

async function dataDir() {
  const dir = await mkdtemp(path.join(tmpdir(), 'launcher-kek-'));
  after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

test('the first start writes a 32-byte key readable only by its owner; later starts reuse it', async () => {
  const dir = await dataDir();
  const key = await loadOrCreateKeyEncryptionKey(undefined, dir);
  assert.equal(Buffer.from(key, 'base64url').length, 32);
  const file = path.join(dir, 'key-encryption-key');
  assert.equal(await modeOf(file), 0o600);
  assert.equal((await readFile(file, 'utf8')).trim(), key);
  assert.equal(await loadOrCreateKeyEncryptionKey(undefined, dir), key);
});

test('KEY_ENCRYPTION_KEY from the environment wins and nothing is written', async () => {
  const dir = await dataDir();
  const given = Buffer.alloc(32, 7).toString('base64url');
  assert.equal(await loadOrCreateKeyEncryptionKey(given, dir), given);
  await assert.rejects(stat(path.join(dir, 'key-encryption-key')), { code: 'ENOENT' });
});

test('a kept key with loose permissions is tightened; a malformed one stops the start', async () => {
  const dir = await dataDir();
  const file = path.join(dir, 'key-encryption-key');
  const kept = Buffer.alloc(32, 1).toString('base64url');
  await writeFile(file, `${kept}\n`);
  await chmod(file, 0o644);
  assert.equal(await loadOrCreateKeyEncryptionKey(undefined, dir), kept);
  assert.equal(await modeOf(file), 0o600);

  await writeFile(file, 'not a key\n');
  await assert.rejects(loadOrCreateKeyEncryptionKey(undefined, dir), {
    name: 'LaunchError',
    message: new RegExp(`^${file} is malformed: expected 32 random bytes in base64url`),
  });
});
