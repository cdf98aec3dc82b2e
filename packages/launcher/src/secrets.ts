import { randomBytes } from 'node:crypto';
import { rmdirSync } from 'node:fs';
import { access, chmod, constants, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { folderProblem } from '@platform/config';
import { LaunchError } from './ports.ts';

const KEY_FORM = /^[A-Za-z0-9+/_-]{43}=?$/;

/**
 * KEY_ENCRYPTION_KEY for auth: the one set in the environment, else the one kept in
 * `$DATA_DIR/key-encryption-key`, else a new one written there (0600) on the first start. It
 * must outlive restarts: the signing keys in the database are sealed with it.
 */
export async function loadOrCreateKeyEncryptionKey(
  given: string | undefined,
  dataDir: string,
): Promise<string> {
  if (given) return given;
  const file = path.join(dataDir, 'key-encryption-key');
  await mkdir(dataDir, { recursive: true });
  try {
    await writeFile(file, `${randomBytes(32).toString('base64url')}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // A file copied in with loose permissions is tightened: it unlocks the signing keys.
  if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
  const key = (await readFile(file, 'utf8')).trim();
  if (!KEY_FORM.test(key)) {
    throw new LaunchError(
      `${file} is malformed: expected 32 random bytes in base64url (43 characters); restore it, or remove it to start over with new signing keys (every sign-in ends).`,
    );
  }
  return key;
}

/**
 * Makes DATA_DIR, or checks the one there is a folder the launcher can write to, before anything
 * starts: DATA_DIR=/etc/passwd (a file) stopped the launch with Node's bare `EEXIST: file already
 * exists, mkdir '/etc/passwd'`, which names neither the setting nor what is wrong with it.
 */
export async function ensureDataDir(dataDir: string): Promise<() => void> {
  try {
    const created = await mkdir(dataDir, { recursive: true });
    await access(dataDir, constants.W_OK | constants.X_OK);
    return () => removeIfEmpty(dataDir, created);
  } catch (error) {
    const why = folderProblem(error);
    throw new LaunchError(
      `DATA_DIR ${dataDir} cannot hold the stack's state (${why}): set DATA_DIR to a folder of yours.`,
    );
  }
}

/**
 * The folders `ensureDataDir` made (from `dataDir` up to `created`, the first one), each removed
 * while empty: a launch refused before anything ran in them (a port in use by another stack) left
 * the new DATA_DIR behind. One that holds something (a cluster, a key) is kept, and so is every
 * folder that was there before.
 */
function removeIfEmpty(dataDir: string, created: string | undefined) {
  if (!created) return;
  for (let dir = dataDir; ; dir = path.dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch {
      return;
    }
    if (dir === created || path.dirname(dir) === dir) return;
  }
}
