import { and, desc, eq, gt, gte, inArray, isNull, ne, notInArray, or, sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { refreshTokens, sessions } from '../db/schema.ts';

/** A session neither revoked nor expired (by this process's clock). */
export const isLive = () => and(isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date()));

export async function insertSession(
  db: Executor,
  values: {
    userId: string;
    expiresAt: Date;
    ip: string;
    userAgent: string | undefined;
  } & OpenedBy,
): Promise<string> {
  const [session] = await db.insert(sessions).values(values).returning({ id: sessions.id });
  return session!.id;
}

/**
 * Which of the user's sessions (opened after `since`) show the owner at their address. With
 * `factorSince` (when the user's second factor was turned on), only those that passed it (opened
 * since) or were still live then and not signed out by it (the one that turned it on): a session
 * opened with the password alone before, and signed out since (by turning MFA on, or by its holder
 * first), may have been whoever made the owner turn it on. Never those ended because the passkey
 * or provider that opened them was removed.
 */
const ownersSessions = (userId: string, since: Date, factorSince?: Date) =>
  and(
    eq(sessions.userId, userId),
    gt(sessions.createdAt, since),
    factorSince
      ? and(
          or(
            gte(sessions.createdAt, factorSince),
            isNull(sessions.revokedAt),
            and(gt(sessions.revokedAt, factorSince), ne(sessions.revokeReason, MFA_ENABLED)),
          ),
          or(
            isNull(sessions.revokeReason),
            notInArray(sessions.revokeReason, Object.values(REMOVED_WAY_IN)),
          ),
        )
      : undefined,
  );

/** revocations.ts `revokeSessionsOpenedBy`'s reasons: the way in that opened them was removed. */
export const REMOVED_WAY_IN = {
  passkey: 'passkey removed',
  identity: 'identity unlinked',
} as const;

/** Why turning MFA on ends the user's other sessions (mfa/service.ts). */
export const MFA_ENABLED = 'mfa enabled';

/** Whether the user opened a session from `ip` after `since` (see `ownersSessions`). */
export async function openedFrom(
  db: Executor,
  userId: string,
  ip: string,
  since: Date,
  factorSince?: Date,
): Promise<boolean> {
  const [row] = await db
    .select({ one: sql`1` })
    .from(sessions)
    .where(and(ownersSessions(userId, since, factorSince), eq(sessions.ip, ip)))
    .limit(1);
  return Boolean(row);
}

/** The distinct addresses the user opened sessions from after `since`, newest first, at most `limit`. */
export async function addressesOpenedFrom(
  db: Executor,
  userId: string,
  since: Date,
  limit: number,
  factorSince?: Date,
): Promise<string[]> {
  const rows = await db
    .select({ ip: sessions.ip, last: sql<Date>`max(${sessions.createdAt})` })
    .from(sessions)
    .where(ownersSessions(userId, since, factorSince))
    .groupBy(sessions.ip)
    .orderBy(desc(sql`max(${sessions.createdAt})`))
    .limit(limit);
  return rows.flatMap((row) => (row.ip ? [row.ip] : []));
}

export async function sessionIsLive(db: Executor, sessionId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.id, sessionId), isLive()));
  return Boolean(row);
}

/** The passkey or provider identity a session was opened with, whose removal ends it. */
export interface OpenedBy {
  passkeyId?: string | undefined;
  identityId?: string | undefined;
}

/** The user's live sessions that the passkey or identity opened, but `keep`. */
export async function liveSessionsOpenedBy(
  db: Executor,
  userId: string,
  by: { passkeyId: string } | { identityId: string },
  keep: string,
): Promise<string[]> {
  const live = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, userId),
        'passkeyId' in by
          ? eq(sessions.passkeyId, by.passkeyId)
          : eq(sessions.identityId, by.identityId),
        ne(sessions.id, keep),
        isLive(),
      ),
    );
  return live.map((s) => s.id);
}

/** The user's sessions that are neither revoked nor expired, but `keep`. */
export async function liveSessionIds(
  db: Executor,
  userId: string,
  keep?: string,
): Promise<string[]> {
  const live = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isLive(), keep ? ne(sessions.id, keep) : undefined));
  return live.map((s) => s.id);
}

/** The user's sessions that are neither revoked nor expired, most recently used first. */
export function liveSessions(db: Executor, userId: string) {
  return db
    .select({
      id: sessions.id,
      createdAt: sessions.createdAt,
      lastUsedAt: sessions.lastUsedAt,
      ip: sessions.ip,
      userAgent: sessions.userAgent,
    })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isLive()))
    .orderBy(desc(sessions.lastUsedAt), desc(sessions.id));
}

/** Whether the live session `sessionId` belongs to `userId`. */
export async function ownsLiveSession(
  db: Executor,
  userId: string,
  sessionId: string,
): Promise<boolean> {
  const [row] = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isLive()));
  return Boolean(row);
}

export async function touchSession(db: Executor, sessionId: string): Promise<void> {
  await db.update(sessions).set({ lastUsedAt: new Date() }).where(eq(sessions.id, sessionId));
}

export async function insertRefreshToken(
  db: Executor,
  tokenHash: Buffer,
  sessionId: string,
): Promise<void> {
  await db.insert(refreshTokens).values({ tokenHash, sessionId });
}

/** The refresh token with this hash and the state of its session. */
export async function findRefreshToken(db: Executor, tokenHash: Buffer) {
  const [row] = await db
    .select({
      sessionId: refreshTokens.sessionId,
      spentAt: refreshTokens.spentAt,
      userId: sessions.userId,
      revokedAt: sessions.revokedAt,
      expiresAt: sessions.expiresAt,
    })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.tokenHash, tokenHash));
  return row;
}

/**
 * Deletes the refresh tokens of the user's sessions. An account deletion does this before it
 * revokes the sessions: a refresh spends its token and then touches its session, so whatever
 * locks both must lock the tokens first too (the cascade from the user to the sessions to the
 * tokens came last, and deadlocked with a refresh in between into a 500).
 */
export async function deleteRefreshTokensOf(db: Executor, userId: string): Promise<void> {
  await db
    .delete(refreshTokens)
    .where(
      inArray(
        refreshTokens.sessionId,
        db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId)),
      ),
    );
}

/**
 * Marks the token spent unless it already is; false when another spender got there first. The
 * row lock makes a concurrent spender wait for our commit, then find spent_at set.
 */
export async function spendRefreshToken(db: Executor, tokenHash: Buffer): Promise<boolean> {
  const [spent] = await db
    .update(refreshTokens)
    .set({ spentAt: new Date() })
    .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.spentAt)))
    .returning({ sessionId: refreshTokens.sessionId });
  return Boolean(spent);
}

/** The session of the refresh token with this hash, if it belongs to `userId`. */
export async function sessionOfRefreshToken(db: Executor, tokenHash: Buffer, userId: string) {
  const [row] = await db
    .select({ sessionId: refreshTokens.sessionId })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(and(eq(refreshTokens.tokenHash, tokenHash), eq(sessions.userId, userId)));
  return row?.sessionId;
}

/** Revokes those of the sessions that are still live; returns their ids. */
export async function markRevoked(
  db: Executor,
  sessionIds: string[],
  reason: string,
): Promise<string[]> {
  const revoked = await db
    .update(sessions)
    .set({ revokedAt: new Date(), revokeReason: reason })
    .where(and(sql`${sessions.id} = any(${uuidArray(sessionIds)}::uuid[])`, isLive()))
    .returning({ id: sessions.id });
  return revoked.map((s) => s.id);
}

/**
 * Session ids (uuids, read from the database or a signed token) as one array parameter: a user
 * may have thousands of sessions, and a parameter apiece (`in ($1, …)`) cost seconds, and past
 * 65,535 parameters failed, while the revocation feed's lock held every other revocation.
 */
export const uuidArray = (ids: string[]) => {
  // Never text that could add elements to the literal (a comma, a brace): uuids only.
  const bad = ids.find((id) => !UUID.test(id));
  if (bad !== undefined) throw new Error(`not a session id: ${JSON.stringify(bad.slice(0, 40))}`);
  return `{${ids.join(',')}}`;
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Spent tokens are kept to detect reuse, which stops mattering once the session has expired. */
export async function pruneSpentRefreshTokens(db: Executor): Promise<number> {
  const { rowCount } = await db.execute(sql`
      delete from refresh_tokens where spent_at is not null
        and session_id in (select id from sessions where expires_at < now())`);
  return rowCount ?? 0;
}

/**
 * Seconds since the session was opened, i.e. since its user last proved who they are; undefined
 * when it is revoked or expired.
 */
export async function sessionSignInAge(
  db: Executor,
  sessionId: string,
): Promise<number | undefined> {
  // The age by the database's clock, which wrote created_at: the app's may be skewed from it.
  const [row] = await db
    .select({ age: sql<number>`extract(epoch from now() - ${sessions.createdAt})::float8` })
    .from(sessions)
    .where(
      and(
        eq(sessions.id, sessionId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, sql`now()`),
      ),
    );
  return row?.age;
}
