/** Accounts, roles, sessions, tokens, keys, throttles and the audit log (see schema.ts). */
import { timestamptz, timestamptzNow } from '@platform/db';
import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { bytea } from './columns.ts';

export const users = pgTable(
  'users',
  {
    id: uuid().primaryKey().defaultRandom(),
    email: text().notNull(),
    emailVerified: boolean('email_verified').notNull().default(false),
    /**
     * When an address of the account was first proven from its mailbox (the registration mail's
     * link, a reset, a confirmed change, a provider's verified email). A passkey or second factor
     * older than it came without that proof: a reset removes it (passwords/service.ts), else an
     * intruder who registered with someone's address kept a way in once its owner clicked the link.
     */
    emailFirstVerifiedAt: timestamptz(),
    /** An address asked for but not yet confirmed from its mailbox; `email` stays until then. */
    pendingEmail: text('pending_email'),
    username: text().notNull(),
    displayName: text('display_name'),
    bio: text(),
    /** Null for an account made by signing in with a provider, until a password is set. */
    passwordHash: text('password_hash'),
    /** Content hash of the current avatar; null when the user has none. */
    avatarEtag: text('avatar_etag'),
    /** A verified TOTP factor exists: sign-in then asks for a code (second-factor/). */
    mfaEnabled: boolean('mfa_enabled').notNull().default(false),
    createdAt: timestamptzNow().$type<Date>(),
    updatedAt: timestamptzNow().$type<Date>(),
  },
  (t) => [
    // ASCII folding (collation "C"), whatever the database's locale: see users/repository.ts.
    uniqueIndex('users_email_key').on(sql`lower(${t.email} collate "C")`),
    uniqueIndex('users_username_key').on(sql`lower(${t.username} collate "C")`),
    index('users_created_at_idx').on(t.createdAt, t.id),
  ],
);

export const roles = pgTable('roles', {
  name: text().primaryKey(),
  description: text().notNull(),
});

export const permissions = pgTable('permissions', {
  name: text().primaryKey(),
  description: text().notNull(),
  /**
   * The service that declares the permission (and checks it); it alone may change or drop it.
   * Null for one no service declares (added by hand): the first service to declare it adopts it.
   */
  service: text(),
});

export const rolePermissions = pgTable(
  'role_permissions',
  {
    role: text()
      .notNull()
      .references(() => roles.name, { onDelete: 'cascade' }),
    permission: text()
      .notNull()
      .references(() => permissions.name, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.role, t.permission] })],
);

export const userRoles = pgTable(
  'user_roles',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text()
      .notNull()
      .references(() => roles.name),
  },
  (t) => [primaryKey({ columns: [t.userId, t.role] }), index('user_roles_role_idx').on(t.role)],
);

export const avatars = pgTable('avatars', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  image: bytea().notNull(),
  contentType: text('content_type').notNull(),
  etag: text().notNull(),
  updatedAt: timestamptzNow(),
});

/** A sign-in on one device: the unit that refresh rotates and logout revokes. */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamptzNow(),
    /** Absolute lifetime: refreshing never extends it. */
    expiresAt: timestamptz().notNull(),
    lastUsedAt: timestamptzNow(),
    revokedAt: timestamptz(),
    revokeReason: text('revoke_reason'),
    userAgent: text('user_agent'),
    ip: text(),
    /**
     * The passkey that opened the session (its id; no reference, so it outlives the passkey):
     * removing the passkey ends the sessions it opened. Null for any other sign-in.
     */
    passkeyId: uuid('passkey_id'),
    /** The provider identity that opened the session: unlinking it ends them, as for passkeys. */
    identityId: uuid('identity_id'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/** Only a SHA-256 of each refresh token is kept; a spent one stays to detect reuse. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    tokenHash: bytea('token_hash').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    createdAt: timestamptzNow(),
    spentAt: timestamptz(),
  },
  (t) => [index('refresh_tokens_session_idx').on(t.sessionId)],
);

/**
 * Append-only feed of revoked sessions that other services follow (by id) to refuse access
 * tokens before they expire. Rows older than the access-token lifetime can be deleted.
 */
export const revocations = pgTable(
  'revocations',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    sessionId: uuid('session_id').notNull(),
    revokedAt: timestamptzNow(),
    /** After this the session's access tokens have expired anyway. */
    expiresAt: timestamptz().notNull(),
  },
  (t) => [index('revocations_expires_idx').on(t.expiresAt)],
);

export const signingKeys = pgTable('signing_keys', {
  kid: text().primaryKey(),
  algorithm: text().notNull(),
  /** Plaintext, as written before keys were sealed; emptied (sealed) at start. */
  privateJwk: jsonb('private_jwk').$type<Record<string, unknown>>(),
  /** The private JWK sealed under KEY_ENCRYPTION_KEY, the key id as its context (keys/sealing.ts). */
  privateKeySealed: text('private_key_sealed'),
  publicJwk: jsonb('public_jwk').notNull().$type<Record<string, unknown>>(),
  createdAt: timestamptzNow(),
});

/** Single-use tokens mailed to users (password reset, email verification), stored hashed. */
export const oneTimeTokens = pgTable(
  'one_time_tokens',
  {
    tokenHash: bytea('token_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text().notNull().$type<'reset-password' | 'verify-email'>(),
    /** For email verification: the address the token proves. */
    email: text(),
    createdAt: timestamptzNow(),
    expiresAt: timestamptz().notNull(),
    usedAt: timestamptz(),
  },
  (t) => [index('one_time_tokens_user_idx').on(t.userId, t.purpose)],
);

/**
 * Attempt counters by key in fixed windows (see sessions/counters.ts): failed sign-ins per account,
 * address and both (brute-force protection), and email change requests per account.
 */
export const loginFailures = pgTable('login_failures', {
  key: text().primaryKey(),
  failures: integer().notNull(),
  windowStartedAt: timestamptz().notNull(),
  lockedUntil: timestamptz(),
  /**
   * Attempts counted (as failures, until judged) whose password or code is still being checked:
   * a refusal that only they cause waits for them to be judged instead of refusing right ones.
   */
  pending: integer().notNull().default(0),
  /**
   * When an attempt was last counted as pending: one whose request died before its verdict is
   * never judged, so pending ones older than the throttle's settle time are not waited for.
   */
  pendingAt: timestamptz(),
});

/**
 * Security events (sign-ins, password and email changes, role changes, revocations, deletions),
 * kept AUDIT_RETENTION_DAYS. Append-only for the application: a trigger (migration 0006) refuses
 * UPDATE and TRUNCATE, and DELETE of rows younger than the retention the prune announces. No
 * foreign key to users: the rows outlive the account, keyed only by its id (see docs/auth.md).
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    type: text().notNull(),
    /** Whose account the event concerns; null for a failed sign-in to no account. */
    userId: uuid('user_id'),
    /** Who did it: the user, an admin, or null when unknown (a failed sign-in, a reused token). */
    actorId: uuid('actor_id'),
    ip: text(),
    userAgent: text('user_agent'),
    at: timestamptzNow(),
    details: jsonb().notNull().default({}).$type<Record<string, unknown>>(),
  },
  (t) => [
    index('audit_events_user_idx').on(t.userId, t.id),
    index('audit_events_type_idx').on(t.type, t.id),
    index('audit_events_at_idx').on(t.at),
  ],
);
