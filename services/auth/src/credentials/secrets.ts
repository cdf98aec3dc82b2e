import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, URL-safe; only `hashSecret` of it is ever stored. */
export function newSecret(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashSecret(token) };
}

/** SHA-256 suffices (no salt, no stretching): the input is 256 random bits, not a password. */
export const hashSecret = (token: string): Buffer => createHash('sha256').update(token).digest();
