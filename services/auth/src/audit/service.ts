import { problems } from '@platform/http';
import type { AuthContext } from '../context.ts';
import type { Executor } from '../db/index.ts';
import {
  type AuditRow,
  findAuditEvents,
  insertAuditEvent,
  insertAuditEvents,
  pruneAuditEvents,
} from './repository.ts';
import { type AuditType, DATE_ONLY } from './schema.ts';

export type { AuditType };

/** Where a request came from: `clientOf(request)`, or the `{ip, userAgent}` a feature holds. */
export interface AuditClient {
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
}

export interface AuditInput {
  type: AuditType;
  /** Whose account it concerns; null for a failed sign-in to no account. */
  userId: string | null;
  /** Who did it: the user, an admin; null when nobody is known (failed sign-in, reused token). */
  actorId: string | null;
  client?: AuditClient | undefined;
  /**
   * Facts about the event. Never secrets (passwords, tokens, codes, hashes) and never the user's
   * email or username: the row outlives a deleted account and must then name nobody.
   */
  details?: Record<string, unknown>;
}

/** Reads the client address and user agent off a Fastify request. */
export const clientOf = (request: {
  ip: string;
  headers: { 'user-agent'?: string | undefined };
}): { ip: string; userAgent: string | undefined } => ({
  ip: request.ip,
  userAgent: request.headers['user-agent'],
});

/**
 * Appends a security event. Pass the transaction that makes the change, so the event exists if
 * and only if the change does; for something that changes nothing (a failed sign-in), pass ctx.db.
 */
export async function recordAudit(db: Executor, event: AuditInput): Promise<void> {
  await insertAuditEvent(db, auditRow(event));
}

/**
 * Several events of one change at once (each session "sign out every other device" ended): a
 * round trip apiece held the revocation feed's lock, and with it every other revocation, for
 * seconds when a user had thousands of sessions.
 */
export async function recordAudits(db: Executor, events: AuditInput[]): Promise<void> {
  await insertAuditEvents(db, events.map(auditRow));
}

const auditRow = (event: AuditInput) => ({
  type: event.type,
  userId: event.userId,
  actorId: event.actorId,
  ip: event.client?.ip ?? null,
  userAgent: event.client?.userAgent?.slice(0, 512) ?? null,
  details: event.details ?? {},
});

export interface AuditQueryInput {
  user_id?: string;
  type?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

/**
 * A bound as a time: a date alone is a whole UTC day, `from` its start and `to` its end (the next
 * day's start, `to` being exclusive), so `from=2026-12-01&to=2026-12-01` is that day.
 */
function boundOf(value: string, end: boolean): Date {
  if (!new RegExp(DATE_ONLY).test(value)) return new Date(value);
  const start = new Date(`${value}T00:00:00Z`);
  // Date rolls 2026-02-30 over into March: a day that does not exist is no time at all.
  if (Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== value) {
    return new Date(Number.NaN);
  }
  return new Date(start.getTime() + (end ? 86_400_000 : 0));
}

/** A page of events, newest first; `userId` set confines it to that user's. */
export async function listAuditEvents(ctx: AuthContext, query: AuditQueryInput) {
  const from = query.from === undefined ? undefined : boundOf(query.from, false);
  const to = query.to === undefined ? undefined : boundOf(query.to, true);
  // An impossible date (2026-02-30) passes the pattern: as unreadable as a bad date-time.
  for (const [field, time] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (time !== undefined && Number.isNaN(time.getTime())) {
      throw problems.badRequest('The query string is invalid.', [
        { field, message: 'must be a real date' },
      ]);
    }
  }
  if (from && to && from >= to) {
    throw problems.badRequest('"from" must be before "to".', [
      { field: 'from', message: 'must be before "to"' },
    ]);
  }
  const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  // One row more than asked says whether another page exists without a count query.
  const rows = await findAuditEvents(ctx.db, {
    ...(query.user_id ? { userId: query.user_id } : {}),
    ...(query.type ? { type: query.type } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(before !== undefined ? { before } : {}),
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map(toView),
    next_cursor: rows.length > query.limit && last ? encodeCursor(last.id) : null,
  };
}

const toView = (row: AuditRow) => ({
  id: String(row.id),
  type: row.type,
  user_id: row.userId,
  actor_id: row.actorId,
  ip: row.ip,
  user_agent: row.userAgent,
  at: row.at.toISOString(),
  details: row.details,
});

const encodeCursor = (id: number) => Buffer.from(`a${id}`).toString('base64url');

function decodeCursor(text: string): number {
  const match = /^a(\d{1,15})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!match) {
    throw problems.badRequest('The cursor is invalid; use next_cursor from the previous page.', [
      { field: 'cursor', message: 'is not a cursor from this list' },
    ]);
  }
  return Number(match[1]);
}

/** Deletes events older than the retention, in batches; returns how many went. */
export async function pruneAudit(ctx: Pick<AuthContext, 'db' | 'config'>): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await pruneAuditEvents(ctx.db, ctx.config.AUDIT_RETENTION_DAYS, 5000);
    total += deleted;
    if (deleted < 5000) return total;
  }
}
