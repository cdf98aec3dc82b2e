import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { ConfigError } from './error.ts';

/**
 * What one environment variable holds, `X=value` and its NUL (Linux's MAX_ARG_STRLEN). The
 * launcher hands a value read from X_FILE on to a service as X: a value of 128 KiB passed, and
 * spawning the service then failed with E2BIG.
 */
const MAX_VARIABLE_BYTES = 128 * 1024;

/** The most X's value may hold: `X=`, the value and a NUL within MAX_VARIABLE_BYTES. */
const maxValueBytes = (key: string) => MAX_VARIABLE_BYTES - Buffer.byteLength(key) - 2;

/** A byte order mark and a trailing CRLF, read but no part of the value. */
const TRIMMED_BYTES = 5;

/** What a path that is not a regular file is, for the one line that refuses it. */
function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

/** The file is there and readable but no regular file: a FIFO, a device, a directory. */
class NotAFile extends Error {}

/**
 * Up to `limit` bytes from the start of `file` (fewer when it ends sooner), a regular file only
 * (a link to one is that file). Opened without blocking and checked before any read: a FIFO that
 * no one writes to held start-up for ever in the open itself, and a device never ends.
 */
function readAtMost(file: string, limit: number): Buffer {
  const fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new NotAFile(kindOf(stats));
    const buffer = Buffer.alloc(limit);
    let length = 0;
    while (length < limit) {
      const read = readSync(fd, buffer, length, limit - length, null);
      if (read === 0) break;
      length += read;
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** The value `${key}_FILE` points to, if it is set. */
export function fromFile(key: string, env: Record<string, string | undefined>): string | undefined {
  const file = env[`${key}_FILE`];
  if (file === undefined || file === '') return undefined;
  // Two sources would leave which one wins to whoever reads this code next.
  if (env[key] !== undefined && env[key] !== '') {
    throw new ConfigError(`${key} and ${key}_FILE are both set: expected one of them`);
  }
  const limit = maxValueBytes(key);
  let bytes: Buffer;
  try {
    // No more than that: read whole, a file named by mistake (a log, /dev/zero, /dev/urandom) was
    // read until memory ran out instead of being refused in one line.
    bytes = readAtMost(file, limit + TRIMMED_BYTES + 1);
  } catch (error) {
    if (error instanceof NotAFile) {
      throw new ConfigError(
        `${key}_FILE is invalid: ${file} is ${error.message}, not a regular file`,
      );
    }
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`${key}_FILE is invalid: cannot read ${file} (${code})`);
  }
  const tooLarge = () =>
    new ConfigError(
      `${key}_FILE is invalid: ${file} holds more than ${limit} bytes, the most an environment variable ${key} holds (128 KiB with its name)`,
    );
  if (bytes.length > limit + TRIMMED_BYTES) throw tooLarge();
  // No environment variable holds a NUL, so X_FILE would give what no X can: text saved as UTF-16
  // (PowerShell 5's `echo pw > file`) became a password of interleaved NULs no one could type, and
  // the launcher, handing it on as X, had spawn refuse it with the value in the message.
  if (bytes.includes(0)) {
    throw new ConfigError(
      `${key}_FILE is invalid: ${file} holds a NUL byte (text saved as UTF-16? save it as UTF-8)`,
    );
  }
  // A byte order mark (Notepad, PowerShell's `Out-File -Encoding utf8`) is no part of the value:
  // kept, it made a URL or a token that never matched, and the value looked right when printed.
  const value = bytes
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .replace(/\r?\n$/, '');
  if (Buffer.byteLength(value) > limit) throw tooLarge();
  // Empty would count as unset, and a default or an optional setting's absence would quietly
  // stand in for a secret that was never written.
  if (value === '') throw new ConfigError(`${key}_FILE is invalid: ${file} is empty`);
  return value;
}

/**
 * Setting `key` as given: read from the file `${key}_FILE` names, else `${key}` itself (undefined
 * or '' when neither is set). The one reader of both, for loadConfig and for the launcher's
 * values of settings it hands to a service (packages/launcher), so that a file is read, trimmed
 * and refused alike wherever a setting comes from.
 */
export function readSetting(
  key: string,
  env: Record<string, string | undefined>,
): string | undefined {
  return fromFile(key, env) ?? env[key];
}

/**
 * Why a folder setting (DATA_DIR, MAIL_DIR) cannot be used, from the error of making it or of
 * checking it is writable, in words for the one line that refuses it.
 */
export function folderProblem(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'EEXIST' || code === 'ENOTDIR') return 'it, or a folder on its path, is a file';
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return 'no permission to write there';
  return message;
}
