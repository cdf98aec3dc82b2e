import { randomInt } from 'node:crypto';
import { ConfigError } from '@platform/config';
import type { FastifyBaseLogger } from 'fastify';
import { currentRoles } from '../admin/repository.ts';
import type { AuthContext } from '../context.ts';
import { passwordWeakness } from '../credentials/policy.ts';
import { conflictingField, findUserByEmail } from '../users/repository.ts';
import { createAccount } from './service.ts';

const ATTEMPTS = 5;

/**
 * Creates the first admin (roles user and admin, email verified) unless an account already uses
 * the email; an existing account is left exactly as it is. Replicas starting together may both
 * try: the loser's insert hits the unique email index and it accepts the winner's account.
 * Returns whether this call created it.
 */
export async function ensureAdmin(
  ctx: AuthContext,
  email: string,
  password: string,
): Promise<boolean> {
  if (await findUserByEmail(ctx.db, email)) return false;
  const passwordHash = await ctx.passwords.hash(password);
  const base = usernameFrom(email);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const username = attempt === 0 ? base : `${base.slice(0, 27)}-${randomInt(1000, 10000)}`;
    try {
      await createAccount(ctx, {
        email,
        username,
        passwordHash,
        roles: ['user', 'admin'],
        emailVerified: true,
      });
      return true;
    } catch (error) {
      const field = conflictingField(error);
      if (field === 'email') return false;
      if (field !== 'username') throw error;
    }
  }
  throw new Error(`could not find a free username for the admin account after ${ATTEMPTS} tries`);
}

/** The email's local part reduced to what a username may hold (3–32 of [A-Za-z0-9_.-]). */
export function usernameFrom(email: string): string {
  const local = email.slice(0, email.lastIndexOf('@')).replace(/[^A-Za-z0-9_.-]/g, '');
  const name = local.slice(0, 32);
  return name.length >= 3 ? name : 'admin';
}

/** Runs `ensureAdmin` at start when ADMIN_EMAIL and ADMIN_PASSWORD are set; one without the other is a mistake. */
export async function bootstrapAdmin(ctx: AuthContext, log: FastifyBaseLogger): Promise<void> {
  const { ADMIN_EMAIL: email, ADMIN_PASSWORD: password } = ctx.config;
  if (!email && !password) return;
  if (!email) throw new ConfigError('ADMIN_EMAIL is not set: expected it with ADMIN_PASSWORD');
  if (!password) throw new ConfigError('ADMIN_PASSWORD is not set: expected it with ADMIN_EMAIL');
  // Said at every start, not just the first, so a weak setting never goes unnoticed; but the
  // admin is made all the same (the contract: "created at start if missing"): refused, it
  // brought up no stack at all (`ADMIN_PASSWORD=changeme npm start`), and the operator chose it.
  const weakness = passwordWeakness(password);
  if (weakness) {
    log.warn(
      `ADMIN_PASSWORD ${weakness.message}: the admin account uses it all the same; change it (POST /accounts/v1/change-password, then ADMIN_PASSWORD)`,
    );
  }
  if (await ensureAdmin(ctx, email, password)) {
    log.info('admin account created');
    return;
  }
  // Left as it is (the account may be anyone's: making it an admin, or taking its password, would
  // hand it over), but said: else a changed ADMIN_PASSWORD, or an email someone registered
  // first, gave an operator no admin to sign in as and no word why.
  const existing = await findUserByEmail(ctx.db, email);
  if (!existing) return;
  const problems = [
    ...((await currentRoles(ctx.db, existing.id)).includes('admin') ? [] : ['is not an admin']),
    ...((await ctx.passwords.verify(existing.passwordHash, password))
      ? []
      : ['has another password than ADMIN_PASSWORD']),
  ];
  if (problems.length) {
    log.warn(
      `ADMIN_EMAIL: an account with this email already exists and ${problems.join(' and ')}; it is left as it is (an admin changes roles with PUT /accounts/v1/users/{id}/roles, a password with a reset)`,
    );
  }
}
