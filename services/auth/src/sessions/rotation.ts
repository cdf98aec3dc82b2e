import type { Principal } from '@platform/auth';
import type { FastifyBaseLogger } from 'fastify';
import { recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import { hashSecret } from '../credentials/secrets.ts';
import type { Tx } from '../db/index.ts';
import { problem } from '../errors.ts';
import { findUserById } from '../users/repository.ts';
import {
  findRefreshToken,
  sessionOfRefreshToken,
  spendRefreshToken,
  touchSession,
} from './repository.ts';
import { publishRevocations, type RevocationEntry, revokeSessions } from './revocations.ts';
import { type ClientInfo, issueTokens } from './service.ts';

/** One answer for unknown, spent, revoked and expired tokens: a caller learns nothing more. */
const refused = () =>
  problem('invalid_refresh_token', 'The refresh token is invalid, expired or revoked.');

type Outcome =
  | { kind: 'refused' }
  | { kind: 'reused'; sessionId: string; entries: RevocationEntry[] }
  | { kind: 'rotated'; response: Awaited<ReturnType<typeof issueTokens>> };

/**
 * Spends a refresh token and returns a new pair for its session. A token presented twice means
 * it was copied (or two clients race): the whole session is revoked, as the contract requires.
 */
export async function refresh(
  ctx: AuthContext,
  token: string,
  client: ClientInfo & { log: FastifyBaseLogger },
) {
  const { log } = client;
  const hash = hashSecret(token);
  const outcome = await ctx.db.transaction(async (tx): Promise<Outcome> => {
    const row = await findRefreshToken(tx, hash);
    if (!row) return { kind: 'refused' };
    const reuse = async (): Promise<Outcome> => ({
      kind: 'reused',
      sessionId: row.sessionId,
      entries: await revokeForReuse(ctx, tx, row, client),
    });
    if (row.spentAt) return reuse();
    if (row.revokedAt || row.expiresAt.getTime() <= Date.now()) return { kind: 'refused' };

    if (!(await spendRefreshToken(tx, hash))) return reuse();
    await touchSession(tx, row.sessionId);
    const user = await findUserById(tx, row.userId);
    if (!user) return { kind: 'refused' };
    return { kind: 'rotated', response: await issueTokens(ctx, tx, user, row.sessionId) };
  });

  if (outcome.kind === 'rotated') return outcome.response;
  if (outcome.kind === 'reused') await reported(ctx, outcome, log);
  throw refused();
}

/**
 * A spent refresh token presented again was copied (or two clients race): the whole session is
 * revoked, wherever it is presented (`/refresh`, `/logout`), as the contract requires.
 */
async function revokeForReuse(
  ctx: AuthContext,
  tx: Tx,
  row: { sessionId: string; userId: string },
  client: ClientInfo,
): Promise<RevocationEntry[]> {
  const entries = await revokeSessions(
    tx,
    [row.sessionId],
    'refresh-token-reuse',
    ctx.config.ACCESS_TOKEN_MAX_LIFETIME,
  );
  // Nobody knows who presented it: the owner's second client, or a thief.
  await recordAudit(tx, {
    type: 'token.reuse_detected',
    userId: row.userId,
    actorId: null,
    client,
    details: { session_id: row.sessionId, session_revoked: entries.length > 0 },
  });
  return entries;
}

async function reported(
  ctx: AuthContext,
  outcome: { sessionId: string; entries: RevocationEntry[] },
  log: FastifyBaseLogger,
) {
  log.warn(
    { session_id: outcome.sessionId, reason: 'refresh-token-reuse' },
    'spent refresh token presented again; session revoked',
  );
  await publishRevocations(ctx.revocations, outcome.entries, log);
}

/**
 * Revokes the caller's session and, when the client also hands in the refresh token of another
 * of the same user's sessions, that one too. Someone else's token is ignored without a word.
 */
export async function logout(
  ctx: AuthContext,
  principal: Principal,
  refreshToken: string | undefined,
  client: ClientInfo & { log: FastifyBaseLogger },
) {
  const { log } = client;
  const entries = await ctx.db.transaction(async (tx) => {
    const ids = [principal.sessionId];
    if (refreshToken) {
      const other = await sessionOfRefreshToken(tx, hashSecret(refreshToken), principal.userId);
      if (other && other !== principal.sessionId) ids.push(other);
    }
    const revoked = await revokeSessions(tx, ids, 'logout', ctx.config.ACCESS_TOKEN_MAX_LIFETIME);
    await recordAudit(tx, {
      type: 'logout',
      userId: principal.userId,
      actorId: principal.userId,
      client,
      details: { session_ids: revoked.map((e) => e.sessionId) },
    });
    return revoked;
  });
  await publishRevocations(ctx.revocations, entries, log);
}

/**
 * Signs out the session of a live refresh token, for a client whose access token has expired:
 * false (the route's 401) when the token is unknown, spent, revoked or expired. It spends nothing
 * and issues nothing; whoever holds the token could end the session with /refresh and /logout.
 * A spent one is a reuse, as at /refresh: its whole session is revoked (and the answer is 401).
 * Without that, a client whose token a thief had rotated first signed out with a 401 and left the
 * thief's session alive for 30 days.
 */
export async function logoutWithRefreshToken(
  ctx: AuthContext,
  refreshToken: string,
  client: ClientInfo & { log: FastifyBaseLogger },
): Promise<boolean> {
  let reused: { sessionId: string; entries: RevocationEntry[] } | undefined;
  const entries = await ctx.db.transaction(async (tx) => {
    reused = undefined;
    const row = await findRefreshToken(tx, hashSecret(refreshToken));
    if (row?.spentAt) {
      reused = {
        sessionId: row.sessionId,
        entries: await revokeForReuse(ctx, tx, row, client),
      };
      return;
    }
    if (!row || row.revokedAt || row.expiresAt.getTime() <= Date.now()) return;
    const revoked = await revokeSessions(
      tx,
      [row.sessionId],
      'logout',
      ctx.config.ACCESS_TOKEN_MAX_LIFETIME,
    );
    await recordAudit(tx, {
      type: 'logout',
      userId: row.userId,
      actorId: row.userId,
      client,
      details: { session_ids: revoked.map((e) => e.sessionId) },
    });
    return revoked;
  });
  if (reused) await reported(ctx, reused, client.log);
  if (!entries) return false;
  await publishRevocations(ctx.revocations, entries, client.log);
  return true;
}
