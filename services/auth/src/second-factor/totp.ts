import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

// RFC 6238 through `otpauth` (HMAC, dynamic truncation and a constant-time comparison are its
// job, not ours). What authenticator apps expect: SHA-1, 6 digits, 30-second steps.
const PERIOD = 30;
const DIGITS = 6;
const ALGORITHM = 'SHA1';
/** One step either side: a phone clock a little off, or a code typed as it changed. */
const WINDOW = 1;

/** 160 random bits (RFC 4226's recommended length), as the base32 that apps are given. */
export const newTotpSecret = (): string => new Secret({ buffer: randomBytes(20).buffer }).base32;

/** The `otpauth://` URL an authenticator app scans (Google's Key URI format). */
export function otpauthUrl(secret: string, issuer: string, account: string): string {
  return totp(secret, issuer, account).toString();
}

/**
 * The 30 s step the code belongs to when it is valid now (±1 step), else undefined. The caller
 * stores it to refuse the same (or an older) code a second time.
 */
export function matchingStep(secret: string, code: string, now = Date.now()): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totp(secret).validate({ token: code, timestamp: now, window: WINDOW });
  if (delta === null) return undefined;
  return TOTP.counter({ period: PERIOD, timestamp: now }) + delta;
}

/** The code of a step; for tests and for apps of our own. */
export const codeAt = (secret: string, timestamp = Date.now()) =>
  totp(secret).generate({ timestamp });

function totp(secret: string, issuer = '', label = 'account') {
  return new TOTP({
    issuer,
    label,
    secret: Secret.fromBase32(secret),
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD,
  });
}
