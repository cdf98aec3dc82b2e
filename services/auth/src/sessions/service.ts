import type { FastifyBaseLogger } from 'fastify';
import type { AuthContext } from '../context.ts';
import { burnVerification, verifyPassword } from '../credentials/hashing.ts';
import { newSecret } from '../credentials/secrets.ts';
import type { Executor } from '../db/index.ts';
import { problem } from '../errors.ts';
import { recordEvent } from '../events/outbox.ts';
import { tooManyFailures } from '../throttle/service.ts';
import { rolesAndPermissions } from '../users/access-repository.ts';
import { findUserByLogin, type UserRow } from '../users/repository.ts';
import { toUserView } from '../users/service.ts';
import { insertRefreshToken, insertSession, openedFrom } from './repository.ts';

export interface ClientInfo {
  ip: string;
  userAgent: string | undefined;
}

/** Matches no session: an unknown account is looked up too, so its answer takes as long. */
const NO_USER = '00000000-0000-0000-0000-000000000000';

/** One response for every login failure: same status, same body, about the same time. */
const invalidCredentials = () =>
  problem('invalid_credentials', 'The email, username or password is incorrect.', {
    headers: { 'www-authenticate': 'Bearer' },
  });

export async function login(
  ctx: AuthContext,
  input: { login: string; password: string },
  client: ClientInfo & { log: FastifyBaseLogger },
) {
  const user = await findUserByLogin(ctx.db, input.login);
  // A known account is counted by its id, so guesses by email and by username share one limit;
  // an unknown one by what was typed, so it locks exactly like a real one would.
  const account = user ? `user:${user.id}` : `unknown:${input.login.toLowerCase()}`;
  const refusal = await ctx.throttle.check(account, client.ip, () =>
    signedInFrom(ctx, user?.id ?? NO_USER, client.ip),
  );
  if (refusal) {
    client.log.warn({ scope: refusal.scope }, 'sign-in refused: too many failures');
    throw tooManyFailures(refusal);
  }

  const valid = user
    ? await verifyPassword(user.passwordHash, input.password)
    : await burnVerification(input.password).then(() => false);
  if (!user || !valid) {
    await ctx.throttle.recordFailure(account, client.ip);
    throw invalidCredentials();
  }
  await ctx.throttle.recordSuccess(account, client.ip);
  return ctx.db.transaction(async (tx) => {
    const tokens = await startSession(ctx, tx, user, client);
    await recordEvent(tx, 'user.logged_in', { user_id: user.id, session_id: tokens.sessionId });
    return tokens.response;
  });
}

/** Whether the user opened a session from this address within a session's lifetime. */
export async function signedInFrom(ctx: AuthContext, userId: string, ip: string) {
  return openedFrom(ctx.db, userId, ip, new Date(Date.now() - ctx.config.SESSION_TTL * 1000));
}

/** Opens a session and returns its first token pair. */
export async function startSession(
  ctx: AuthContext,
  db: Executor,
  user: UserRow,
  client: ClientInfo,
) {
  const sessionId = await insertSession(db, {
    userId: user.id,
    expiresAt: new Date(Date.now() + ctx.config.SESSION_TTL * 1000),
    ip: client.ip,
    userAgent: client.userAgent?.slice(0, 512),
  });
  const response = await issueTokens(ctx, db, user, sessionId);
  return { sessionId, response };
}

/**
 * A new access token (with roles read now, so a role change shows at the next refresh) and a new
 * refresh token for the session.
 */
export async function issueTokens(
  ctx: AuthContext,
  db: Executor,
  user: UserRow,
  sessionId: string,
) {
  const access = await rolesAndPermissions(db, user.id);
  const refresh = newSecret();
  await insertRefreshToken(db, refresh.hash, sessionId);
  const accessToken = await ctx.keys.sign({ userId: user.id, sessionId, ...access });
  return {
    access_token: accessToken,
    refresh_token: refresh.token,
    token_type: 'Bearer' as const,
    expires_in: ctx.config.ACCESS_TOKEN_TTL,
    user: toUserView({ user, ...access }, ctx.config.PUBLIC_URL),
  };
}
