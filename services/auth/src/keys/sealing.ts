import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets at rest (private signing keys; anything else auth must be able to read back), sealed
 * with AES-256-GCM under KEY_ENCRYPTION_KEY. A database dump or backup alone then yields no key
 * that can sign tokens. `context` (e.g. the key id) is authenticated with the ciphertext, so a
 * sealed value copied onto another row does not open there.
 */
export interface Sealer {
  seal(plaintext: string, context: string): string;
  /** Throws SealError when the value was sealed under another key, for another context, or altered. */
  open(sealed: string, context: string): string;
}

export class SealError extends Error {
  override name = 'SealError';
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Decodes KEY_ENCRYPTION_KEY: 32 bytes as base64url or base64 (the config schema checks the form). */
export function decodeKeyEncryptionKey(text: string): Buffer {
  const key = Buffer.from(text, 'base64url');
  if (key.length !== 32) throw new SealError('KEY_ENCRYPTION_KEY must be 32 bytes');
  return key;
}

export function createSealer(keyEncryptionKey: string): Sealer {
  const key = decodeKeyEncryptionKey(keyEncryptionKey);
  return {
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const sealed = Buffer.concat([iv, body, cipher.getAuthTag()]);
      return `${VERSION}.${sealed.toString('base64url')}`;
    },
    open(sealed, context) {
      const [version, data] = sealed.split('.');
      if (version !== VERSION || !data) throw new SealError('not a sealed value');
      const bytes = Buffer.from(data, 'base64url');
      if (bytes.length < IV_BYTES + TAG_BYTES) throw new SealError('sealed value is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES))
        .setAAD(Buffer.from(context))
        .setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      try {
        const body = bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES);
        return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
      } catch {
        throw new SealError('sealed value does not open with this key');
      }
    },
  };
}
