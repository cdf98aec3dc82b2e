import { randomBytes } from 'node:crypto';
import { hash, parseOptions, verify } from '@node-rs/argon2';

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

/** Version 0x13 of argon2, what `hash` writes (`Version.V0x13`, a const enum: see `algorithm`). */
const CURRENT_VERSION = 1;
/** Bytes of output and of salt that `hash` writes (the package's defaults). */
const OUTPUT_LEN = 32;
const SALT_LEN = 16;
/**
 * How far above today's memory, passes and lanes a stored hash is left as it is (and of output
 * and salt, in bytes). Beyond, it is brought down to this: every check of a hash, a wrong
 * password's too, costs what the hash says, and an account imported at absurd settings (4 GiB)
 * kept them for ever, each attempt on it allocating that much. Relative, so instances a raise
 * apart (below 4 times) agree on what they leave.
 */
const CEILING_FACTOR = 4;
const MAX_BYTES = 64;

/** Hashes and checks passwords: one per app (`AuthContext.passwords`). */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * An account without a password (made through a provider), or with a hash made at other
   * settings (cheaper, before they were raised), takes at least as long to refuse as any.
   */
  verify(storedHash: string | null, password: string): Promise<boolean>;
  /**
   * Spends the same time as checking a real password, so a login for an unknown account cannot
   * be told apart by how long it takes.
   */
  burnVerification(password: string): Promise<void>;
  /**
   * Whether a stored hash is weaker than new ones in some setting (less memory, fewer passes or
   * lanes, a shorter output or salt, argon2d/argon2i, argon2's first version): the password it
   * checks is then hashed again at sign-in (sessions/sign-in.ts), the one moment it is known.
   * Until then such an account's checks cost what its old settings cost, and a refusal at least
   * what one at today's does (`verify`). A stronger one is left: an instance at lower settings
   * (a rollback, a rolling deploy, costs lowered) would downgrade it and the other raise it
   * again, each sign-in paying a second hash and a write. One above CEILING_FACTOR times today's
   * in some setting is brought down to that.
   */
  needsRehash(storedHash: string): boolean;
  /**
   * The password hashed again for `needsRehash`: at the higher of the stored hash's and today's
   * value of each setting, so no setting is lowered and no instance of either finds it weaker;
   * at most CEILING_FACTOR times today's.
   */
  rehash(storedHash: string, password: string): Promise<string>;
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
    // A hash made with other settings (cheaper ones, before they were raised) is checked at its
    // own cost: alone, its refusal came sooner than an unknown account's (a check at today's
    // cost), which told the accounts that exist from those that do not. A check at today's cost
    // runs beside it (libuv's pool), and a refusal waits for it; a match does not (the password
    // is known then, and login rehashes it).
    const padding = costsOtherThanToday(storedHash)
      ? burnVerification(password).catch(() => {})
      : undefined;
    let valid: boolean;
    try {
      valid = await verify(storedHash, password);
    } catch {
      valid = false;
    }
    if (!valid) await padding;
    return valid;
  }
  async function burnVerification(password: string): Promise<void> {
    dummy ??= hashPassword('dummy password that is never valid');
    // Straight to argon2, not verifyPassword: the dummy is at today's settings, and a padding
    // check must never ask for one of its own.
    await verify(await dummy, password).catch(() => false);
  }
  /** Settings of a stored hash; undefined when it is no argon2 hash. */
  function settingsOf(storedHash: string): ReturnType<typeof parseOptions> | undefined {
    try {
      return parseOptions(storedHash);
    } catch {
      return undefined;
    }
  }
  const otherThanToday = (stored: ReturnType<typeof parseOptions>) =>
    stored.algorithm !== options.algorithm ||
    stored.version !== CURRENT_VERSION ||
    stored.memoryCost !== options.memoryCost ||
    stored.timeCost !== options.timeCost ||
    stored.parallelism !== options.parallelism;
  /** A check against this hash costs something else than one at today's settings. */
  function costsOtherThanToday(storedHash: string): boolean {
    const stored = settingsOf(storedHash);
    // No argon2 hash: verify refuses it at once, so it is padded too.
    return !stored || otherThanToday(stored);
  }
  const weakerThanToday = (stored: ReturnType<typeof parseOptions>) =>
    stored.algorithm !== options.algorithm ||
    stored.version < CURRENT_VERSION ||
    stored.memoryCost < options.memoryCost ||
    stored.timeCost < options.timeCost ||
    stored.parallelism < options.parallelism ||
    stored.outputLen < OUTPUT_LEN ||
    stored.saltLen < SALT_LEN;
  const ceiling = {
    memoryCost: options.memoryCost * CEILING_FACTOR,
    timeCost: options.timeCost * CEILING_FACTOR,
    parallelism: options.parallelism * CEILING_FACTOR,
  };
  const aboveCeiling = (stored: ReturnType<typeof parseOptions>) =>
    stored.memoryCost > ceiling.memoryCost ||
    stored.timeCost > ceiling.timeCost ||
    stored.parallelism > ceiling.parallelism ||
    stored.outputLen > MAX_BYTES ||
    stored.saltLen > MAX_BYTES;
  /** A stored setting raised to today's, and capped (CEILING_FACTOR). */
  const within = (stored: number, today: number, max: number) =>
    Math.min(Math.max(stored, today), max);
  function needsRehash(storedHash: string): boolean {
    const stored = settingsOf(storedHash);
    // Not an argon2 hash: no password checks against it, so there is nothing to rehash.
    return stored !== undefined && (weakerThanToday(stored) || aboveCeiling(stored));
  }
  function rehash(storedHash: string, password: string): Promise<string> {
    const stored = settingsOf(storedHash);
    if (!stored) return hashPassword(password);
    // Settings crossed (more memory stored, more passes today): today's alone would lower the
    // memory, and an instance still at the stored settings would raise it back. Capped: the
    // maximum of an absurd memory and today's passes cost more than the stored hash did.
    return hash(password, {
      ...options,
      memoryCost: within(stored.memoryCost, options.memoryCost, ceiling.memoryCost),
      timeCost: within(stored.timeCost, options.timeCost, ceiling.timeCost),
      parallelism: within(stored.parallelism, options.parallelism, ceiling.parallelism),
      outputLen: within(stored.outputLen, OUTPUT_LEN, MAX_BYTES),
      salt: randomBytes(within(stored.saltLen, SALT_LEN, MAX_BYTES)),
    });
  }
  return { hash: hashPassword, verify: verifyPassword, burnVerification, needsRehash, rehash };
}
