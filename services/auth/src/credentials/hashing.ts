import { hash, verify } from '@node-rs/argon2';

/** The argon2 settings of new password hashes (checks read theirs from the stored hash). */
export interface Argon2Params {
  /** 2: argon2id. */
  algorithm: 2;
  /** KiB. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP's minimum for argon2id (19 MiB, 2 passes, 1 lane); raise memory first if you can. */
export const ARGON2_PARAMS: Readonly<Argon2Params> = {
  // Algorithm.Argon2id; the enum is const and cannot be imported under verbatimModuleSyntax.
  algorithm: 2,
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
};

/** Hashes and checks passwords: one per app (`AuthContext.passwords`). */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** An account without a password (made through a provider) takes as long to refuse as any. */
  verify(storedHash: string | null, password: string): Promise<boolean>;
  /**
   * Spends the same time as checking a real password, so a login for an unknown account cannot
   * be told apart by how long it takes.
   */
  burnVerification(password: string): Promise<void>;
}

/**
 * The hasher with `params` for new hashes: ARGON2_PARAMS unless given. Only the in-process tests
 * give others (a hash of a few microseconds: `buildApp`'s `passwordHasher`); a deployment has no
 * setting that changes them.
 */
export function createPasswordHasher(
  params: Readonly<Argon2Params> = ARGON2_PARAMS,
): PasswordHasher {
  const options = { ...params };
  const hashPassword = (password: string) => hash(password, options);
  let dummy: Promise<string> | undefined;
  async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
    if (storedHash === null) return burnVerification(password).then(() => false);
    try {
      return await verify(storedHash, password);
    } catch {
      return false;
    }
  }
  async function burnVerification(password: string): Promise<void> {
    dummy ??= hashPassword('dummy password that is never valid');
    await verifyPassword(await dummy, password);
  }
  return { hash: hashPassword, verify: verifyPassword, burnVerification };
}
