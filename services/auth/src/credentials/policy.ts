import { readFileSync } from 'node:fs';
import path from 'node:path';
import { problems } from '@platform/http';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

const common = new Set(
  readFileSync(path.resolve(import.meta.dirname, '../../data/common-passwords.txt'), 'utf8')
    .split('\n')
    .filter(Boolean),
);

/**
 * Length is checked by the route schemas; this adds the list of the 10,000 commonest passwords
 * and, as NIST SP 800-63B's "repetitive characters", one character repeated (eight spaces).
 */
export function assertAcceptablePassword(password: string, field = 'password'): void {
  const weakness = passwordWeakness(password);
  if (weakness) {
    throw problems.badRequest(weakness.detail, [
      { field, message: `${weakness.message}; choose another` },
    ]);
  }
}

/** What makes a password unacceptable (see assertAcceptablePassword), or undefined. */
export function passwordWeakness(
  password: string,
): { detail: string; message: string } | undefined {
  if (new Set(password).size === 1) {
    return { detail: 'The password repeats one character.', message: 'repeats one character' };
  }
  if (common.has(password.toLowerCase())) {
    return {
      detail: 'The password is too common.',
      message: 'is one of the 10,000 most common passwords',
    };
  }
  return undefined;
}
