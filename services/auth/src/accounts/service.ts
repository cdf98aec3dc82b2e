import type { FieldError } from '@platform/http';
import type { FastifyBaseLogger } from 'fastify';
import type { AuthContext } from '../context.ts';
import { assertAcceptablePassword } from '../credentials/policy.ts';
import type { Executor } from '../db/index.ts';
import { problem } from '../errors.ts';
import { recordEvent } from '../events/outbox.ts';
import { describeError } from '../mail/errors.ts';
import { loadUserWithAccess } from '../users/access-repository.ts';
import { conflictingField, insertUser } from '../users/repository.ts';
import { toUserView } from '../users/service.ts';
import { sendEmailVerification } from './verification.ts';

export interface NewAccount {
  email: string;
  username: string;
  /** Null for an account made by signing in with a provider. */
  passwordHash: string | null;
  roles: string[];
  emailVerified?: boolean;
}

/**
 * Inserts the user, its roles and the `user.registered` event in one transaction. A taken email
 * or username surfaces as the database's unique violation (see `conflictingField`).
 */
export function createAccount(ctx: AuthContext, account: NewAccount): Promise<string> {
  return ctx.db.transaction((tx) => insertAccount(tx, account));
}

/** `createAccount` in the caller's transaction (signing up through a provider links it too). */
export async function insertAccount(tx: Executor, account: NewAccount): Promise<string> {
  const userId = await insertUser(tx, {
    ...account,
    emailVerified: account.emailVerified ?? false,
  });
  await recordEvent(tx, 'user.registered', { user_id: userId });
  return userId;
}

export async function register(
  ctx: AuthContext,
  input: { email: string; username: string; password: string },
  log: FastifyBaseLogger,
) {
  assertAcceptablePassword(input.password);
  const passwordHash = await ctx.passwords.hash(input.password);
  const userId = await createAccount(ctx, { ...input, passwordHash, roles: ['user'] }).catch(
    (error: unknown) => {
      const field = conflictingField(error);
      if (field) {
        const errors: FieldError[] = [{ field, message: 'is already taken' }];
        throw problem(`${field}_taken`, `That ${field} is already taken.`, { errors });
      }
      throw error;
    },
  );
  // After commit, so a mail never announces an account that was rolled back. The account is
  // usable unverified, so a mail failure is a warning, not a failed registration.
  try {
    await sendEmailVerification(ctx, ctx.db, { id: userId, ...input });
  } catch (error) {
    log.warn({ user_id: userId, error: describeError(error) }, 'verification mail not sent');
  }
  const created = await loadUserWithAccess(ctx.db, userId);
  return toUserView(created!, ctx.config.PUBLIC_URL);
}
