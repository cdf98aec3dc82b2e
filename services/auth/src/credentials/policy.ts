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
  if (new Set(password).size === 1) {
    throw problems.badRequest('The password repeats one character.', [
      { field, message: 'repeats one character; choose another' },
    ]);
  }
  if (common.has(password.toLowerCase())) {
    throw problems.badRequest('The password is too common.', [
      { field, message: 'is one of the 10,000 most common passwords; choose another' },
    ]);
  }
}
