import { addressBlock, problems } from '@platform/http';
import type { AuthContext } from '../context.ts';
import { newSecret } from '../credentials/secrets.ts';
import type { Executor } from '../db/index.ts';
import { problem } from '../errors.ts';
import { findFactor } from '../second-factor/repository.ts';
import { rolesAndPermissions } from '../users/access-repository.ts';
import type { UserRow } from '../users/repository.ts';
import { toUserView } from '../users/service.ts';
import {
  addressesOpenedFrom,
  insertRefreshToken,
  insertSession,
  type OpenedBy,
  openedFrom,
  sessionIsLive,
  sessionSignInAge,
} from './repository.ts';

export interface ClientInfo {
  ip: string;
  userAgent: string | undefined;
}

/**
 * Whether the user opened a session from this address within a session's lifetime. For a
 * second-factor code (`forCodes`), whoever sends one has the password, and may well have signed in
 * with it before the owner turned MFA on: with MFA on, only sessions that passed it (or still live)
 * count (repository.ts `ownersSessions`), or that intruder's addresses were spared the ceiling.
 */
export async function signedInFrom(ctx: AuthContext, userId: string, ip: string, forCodes = false) {
  const since = new Date(Date.now() - ctx.config.SESSION_TTL * 1000);
  const factorSince = forCodes ? (await findFactor(ctx.db, userId))?.verifiedAt : undefined;
  if (await openedFrom(ctx.db, userId, ip, since, factorSince ?? undefined)) return true;
  // The same place in another spelling: an IPv6 /64 (a phone's privacy address changes daily,
  // the block stays), or an IPv4 address written as IPv6. Asked only when a lock is met.
  const block = addressBlock(ip);
  const recent = await addressesOpenedFrom(
    ctx.db,
    userId,
    since,
    KNOWN_ADDRESSES,
    factorSince ?? undefined,
  );
  return recent.some((address) => addressBlock(address) === block);
}

/** How many of the user's latest addresses the block comparison looks at. */
const KNOWN_ADDRESSES = 100;

/**
 * Opens a session and returns its first token pair. `openedBy`: the passkey or provider identity
 * it was opened with, whose removal ends it.
 */
export async function startSession(
  ctx: AuthContext,
  db: Executor,
  user: UserRow,
  client: ClientInfo,
  openedBy: OpenedBy = {},
) {
  const sessionId = await insertSession(db, {
    userId: user.id,
    expiresAt: new Date(Date.now() + ctx.config.SESSION_TTL * 1000),
    ip: client.ip,
    userAgent: client.userAgent?.slice(0, 512),
    ...openedBy,
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

/** How recent a sign-in the most sensitive changes need (adding a passkey, changing roles). */
export const REAUTH_WINDOW_SECONDS = 15 * 60;

/**
 * Throws 403 `reauthentication_required` unless the session signed in within
 * REAUTH_WINDOW_SECONDS: a stolen access token, or a refresh token (whose session keeps its
 * sign-in time), cannot make the change once the sign-in is older.
 */
export async function requireRecentSignIn(db: Executor, sessionId: string, message: string) {
  const age = await sessionSignInAge(db, sessionId);
  // A revoked session (on a replica this one has not heard of yet) is a bad token, not an old one.
  if (age === undefined) throw problems.unauthorized();
  if (age > REAUTH_WINDOW_SECONDS) {
    throw problem('reauthentication_required', message);
  }
}

/**
 * 401 unless the session is still live. Called under the user's row lock, it sees a revocation
 * that committed while the request waited for that lock (a password reset or change, an admin's
 * MFA reset or role change): what such a change signed out must not change the account after it.
 */
export async function requireLiveSession(db: Executor, sessionId: string) {
  if (!(await sessionIsLive(db, sessionId))) throw problems.unauthorized();
}
