import type { Principal } from '@platform/auth';
import { problems } from '@platform/http';
import { and, eq, isNull } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { AuthContext } from '../context.ts';
import { hashSecret } from '../credentials/secrets.ts';
import { refreshTokens, sessions } from '../db/schema.ts';
import { findUserById } from '../users/repository.ts';
import { publishRevocations, type RevocationEntry, revokeSessions } from './revocations.ts';
import { issueTokens } from './service.ts';

/** One answer for unknown, spent, revoked and expired tokens: a caller learns nothing more. */
const refused = () => problems.unauthorized('The refresh token is invalid, expired or revoked.');

type Outcome =
  | { kind: 'refused' }
  | { kind: 'reused'; sessionId: string; entries: RevocationEntry[] }
  | { kind: 'rotated'; response: Awaited<ReturnType<typeof issueTokens>> };

/**
 * Spends a refresh token and returns a new pair for its session. A token presented twice means
 * it was copied (or two clients race): the whole session is revoked, as the contract requires.
 */
export async function refresh(ctx: AuthContext, token: string, log: FastifyBaseLogger) {
  const hash = hashSecret(token);
  const outcome = await ctx.db.transaction(async (tx): Promise<Outcome> => {
    const [row] = await tx
      .select({
        sessionId: refreshTokens.sessionId,
        spentAt: refreshTokens.spentAt,
        userId: sessions.userId,
        revokedAt: sessions.revokedAt,
        expiresAt: sessions.expiresAt,
      })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.tokenHash, hash));
    if (!row) return { kind: 'refused' };
    const reuse = async (): Promise<Outcome> => ({
      kind: 'reused',
      sessionId: row.sessionId,
      entries: await revokeSessions(
        tx,
        [row.sessionId],
        'refresh-token-reuse',
        ctx.config.ACCESS_TOKEN_TTL,
      ),
    });
    if (row.spentAt) return reuse();
    if (row.revokedAt || row.expiresAt.getTime() <= Date.now()) return { kind: 'refused' };

    // The row lock makes a concurrent spender wait for our commit, then find spent_at set.
    const [spent] = await tx
      .update(refreshTokens)
      .set({ spentAt: new Date() })
      .where(and(eq(refreshTokens.tokenHash, hash), isNull(refreshTokens.spentAt)))
      .returning({ sessionId: refreshTokens.sessionId });
    if (!spent) return reuse();
    await tx.update(sessions).set({ lastUsedAt: new Date() }).where(eq(sessions.id, row.sessionId));
    const user = await findUserById(tx, row.userId);
    if (!user) return { kind: 'refused' };
    return { kind: 'rotated', response: await issueTokens(ctx, tx, user, row.sessionId) };
  });

  if (outcome.kind === 'rotated') return outcome.response;
  if (outcome.kind === 'reused') {
    log.warn(
      { session_id: outcome.sessionId, reason: 'refresh-token-reuse' },
      'spent refresh token presented again; session revoked',
    );
    await publishRevocations(ctx.revocations, outcome.entries, log);
  }
  throw refused();
}

/**
 * Revokes the caller's session and, when the client also hands in the refresh token of another
 * of the same user's sessions, that one too. Someone else's token is ignored without a word.
 */
export async function logout(
  ctx: AuthContext,
  principal: Principal,
  refreshToken: string | undefined,
  log: FastifyBaseLogger,
) {
  const entries = await ctx.db.transaction(async (tx) => {
    const ids = [principal.sessionId];
    if (refreshToken) {
      const [other] = await tx
        .select({ sessionId: refreshTokens.sessionId })
        .from(refreshTokens)
        .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
        .where(
          and(
            eq(refreshTokens.tokenHash, hashSecret(refreshToken)),
            eq(sessions.userId, principal.userId),
          ),
        );
      if (other && other.sessionId !== principal.sessionId) ids.push(other.sessionId);
    }
    return revokeSessions(tx, ids, 'logout', ctx.config.ACCESS_TOKEN_TTL);
  });
  await publishRevocations(ctx.revocations, entries, log);
}
