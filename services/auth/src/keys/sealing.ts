import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Secrets at rest (private signing keys, TOTP secrets), sealed with AES-256-GCM under
 * KEY_ENCRYPTION_KEY. A database dump or backup alone then yields no key that can sign tokens.
 * `context` (e.g. the key id) is authenticated with the ciphertext, so a sealed value copied onto
 * another row does not open there.
 *
 * Sealed text is `v2.<key id>.<iv ‖ ciphertext ‖ tag>`: the key id (a short hash of the key,
 * never the key) names the key-encryption key, so the key can be rotated (KEY_ENCRYPTION_KEY_PREVIOUS
 * keeps the old ones readable until every value is sealed again, see reseal/). `v1.<…>` values,
 * written before key ids existed, are tried against the current key, then the previous ones.
 */
export interface Sealer {
  seal(plaintext: string, context: string): string;
  /** Throws SealError when no configured key opens the value (for this context, unaltered). */
  open(sealed: string, context: string): string;
  /** True when the value is already sealed under the current key (nothing to re-seal). */
  isCurrent(sealed: string): boolean;
  /** What every value sealed under the current key starts with (`v2.<key id>.`). */
  readonly currentPrefix: string;
}

export class SealError extends Error {
  override name = 'SealError';
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Decodes KEY_ENCRYPTION_KEY: 32 bytes as base64url or base64 (the config schema checks the form). */
export function decodeKeyEncryptionKey(text: string): Buffer {
  const key = Buffer.from(text, 'base64url');
  if (key.length !== 32) throw new SealError('KEY_ENCRYPTION_KEY must be 32 bytes');
  return key;
}

/** 8 bytes of SHA-256 over a label and the key: names the key, reveals nothing usable about it. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256')
    .update('kek-id\0')
    .update(key)
    .digest()
    .subarray(0, 8)
    .toString('base64url');
}

/** KEY_ENCRYPTION_KEY_PREVIOUS: comma-separated keys, blanks ignored. */
export function parsePreviousKeys(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function sealWith(key: Buffer, plaintext: string, context: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function openWith(key: Buffer, bytes: Buffer, context: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES))
    .setAAD(Buffer.from(context))
    .setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    throw new SealError('sealed value does not open with this key');
  }
}

/** `current` seals; it and each of `previous` (newest first) open. */
export function createSealer(current: string, previous: string[] = []): Sealer {
  const keys = [current, ...previous].map((text) => {
    const key = decodeKeyEncryptionKey(text);
    return { id: keyIdOf(key), key };
  });
  const byId = new Map(keys.map((k) => [k.id, k.key]));
  const { id, key } = keys[0]!;
  const currentPrefix = `v2.${id}.`;
  return {
    currentPrefix,
    seal(plaintext, context) {
      return currentPrefix + sealWith(key, plaintext, context).toString('base64url');
    },
    isCurrent: (sealed) => sealed.startsWith(currentPrefix),
    open(sealed, context) {
      const parts = sealed.split('.');
      const data = parts.at(-1);
      if (
        !data ||
        !((parts[0] === 'v1' && parts.length === 2) || (parts[0] === 'v2' && parts.length === 3))
      ) {
        throw new SealError('not a sealed value');
      }
      const bytes = Buffer.from(data, 'base64url');
      if (bytes.length < IV_BYTES + TAG_BYTES) throw new SealError('sealed value is truncated');
      if (parts[0] === 'v2') {
        const named = byId.get(parts[1]!);
        if (!named) throw new SealError(`sealed under key ${parts[1]}, which is not configured`);
        return openWith(named, bytes, context);
      }
      for (const candidate of keys) {
        try {
          return openWith(candidate.key, bytes, context);
        } catch {}
      }
      throw new SealError(
        keys.length > 1
          ? 'sealed value does not open with any configured key'
          : 'sealed value does not open with this key',
      );
    },
  };
}
