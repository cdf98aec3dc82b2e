import { randomInt } from 'node:crypto';

const ALLOWED = /[^A-Za-z0-9_.-]+/g;
/** The accents NFKD splits from their letters (Renée → Rene + ◌́): dropped, not separators. */
const MARKS = /\p{M}+/gu;
const MAX = 32;
const SEPARATORS = new Set(['_', '.', '-']);

/**
 * `text` without the `_`, `.` and `-` at either end. A loop: `/[_.-]+$/` tries again from each
 * character of a run that does not end the text, so a provider's 100 000-character name (the
 * claims are the provider's users' to set) held auth's event loop for 14 s.
 */
function trimSeparators(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && SEPARATORS.has(text[start]!)) start++;
  while (end > start && SEPARATORS.has(text[end - 1]!)) end--;
  return text.slice(start, end);
}

/**
 * A username for an account made through a provider, from what the provider calls the user
 * (preferred_username, the email's local part, the name), cut to our rules (3–32 of letters,
 * digits, `.`, `_`, `-`); a taken one gets a random numeric suffix.
 */
export async function deriveUsername(
  claims: { preferredUsername?: string; email?: string; name?: string },
  taken: (candidate: string) => Promise<boolean>,
): Promise<string> {
  const sources = [claims.preferredUsername, claims.email?.split('@')[0], claims.name];
  let base =
    sources
      .map((s) =>
        trimSeparators((s ?? '').normalize('NFKD').replace(MARKS, '').replace(ALLOWED, '_')),
      )
      .find((s) => s.length >= 3) ?? 'user';
  base = base.slice(0, MAX);
  if (!(await taken(base))) return base;
  for (let digits = 4; digits <= 12; digits += 2) {
    const suffix = `_${randomInt(10 ** (digits - 1), 10 ** digits)}`;
    const candidate = `${base.slice(0, MAX - suffix.length)}${suffix}`;
    if (!(await taken(candidate))) return candidate;
  }
  throw new Error('no free username found');
}
