import { hash, verify } from '@node-rs/argon2';

/** OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane); raise memory first if you can. */
export const ARGON2_PARAMS = {
  // Algorithm.Argon2id; the enum is const and cannot be imported under verbatimModuleSyntax.
  algorithm: 2,
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
} as const;

export const hashPassword = (password: string) => hash(password, ARGON2_PARAMS);

/** An account without a password (made through a provider) takes as long to refuse as any. */
export async function verifyPassword(
  storedHash: string | null,
  password: string,
): Promise<boolean> {
  if (storedHash === null) return burnVerification(password).then(() => false);
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;

/**
 * Spends the same time as checking a real password, so a login for an unknown account cannot be
 * told apart by how long it takes.
 */
export async function burnVerification(password: string): Promise<void> {
  dummy ??= hashPassword('dummy password that is never valid');
  await verifyPassword(await dummy, password);
}
