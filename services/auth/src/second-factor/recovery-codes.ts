import { createHash, randomBytes } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;

/** RFC 4648 base32, lower case: no symbols to mistype, and case does not matter when typed. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** 80 random bits as `xxxx-xxxx-xxxx-xxxx`: too many to guess, even from a leaked hash. */
function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)!.join('-');
}

/** Case, spaces and dashes are forgiven: people copy codes from paper. */
const normalize = (code: string) => code.toLowerCase().replace(/[\s-]/g, '');

/**
 * SHA-256 of the user id and the code: 80 random bits need no stretching, and the id keeps a
 * code from matching on another account.
 */
export const hashRecoveryCode = (userId: string, code: string): Buffer =>
  createHash('sha256')
    .update(`${userId}:${normalize(code)}`)
    .digest();

export function newRecoveryCodes(userId: string): { codes: string[]; hashes: Buffer[] } {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  return { codes, hashes: codes.map((code) => hashRecoveryCode(userId, code)) };
}
