/**
 * The ways to sign in besides a password: identities at OpenID Connect providers, passkeys, and the
 * TOTP second factor. Re-exported by schema.ts with tables.ts.
 */
import { timestamptz, timestamptzNow } from '@platform/db';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { bytea } from './columns.ts';
import { users } from './tables.ts';

/** An account at an OpenID Connect provider (`OIDC_PROVIDERS`) that signs in as the user. */
export const userIdentities = pgTable(
  'user_identities',
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The provider's id in OIDC_PROVIDERS. */
    provider: text().notNull(),
    /** The ID token's `sub`: stable per provider, unlike the email. */
    subject: text().notNull(),
    /** The email the provider gave at the last sign-in, shown to the user. */
    email: text(),
    createdAt: timestamptzNow(),
    lastUsedAt: timestamptz(),
  },
  (t) => [
    uniqueIndex('user_identities_provider_subject_key').on(t.provider, t.subject),
    index('user_identities_user_idx').on(t.userId),
  ],
);

/** A sign-in at a provider under way: what the callback needs, found by a hash of `state`. */
export const oauthFlows = pgTable('oauth_flows', {
  stateHash: bytea('state_hash').primaryKey(),
  provider: text().notNull(),
  redirectUri: text('redirect_uri').notNull(),
  codeVerifier: text('code_verifier').notNull(),
  nonce: text().notNull(),
  /** The app's own PKCE challenge (S256) and state, when it sent them. */
  appCodeChallenge: text('app_code_challenge'),
  appState: text('app_state'),
  expiresAt: timestamptz().notNull(),
});

/**
 * The one-time code the callback hands the app for `POST /oauth/token`, stored hashed. It signs in
 * through a linked identity, or carries a pending link (`link_subject`, `link_email`: a provider
 * account whose verified email matched the account's), made only when the sign-in completes.
 */
export const oauthLoginCodes = pgTable(
  'oauth_login_codes',
  {
    codeHash: bytea('code_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    identityId: uuid('identity_id').references(() => userIdentities.id, { onDelete: 'cascade' }),
    provider: text().notNull(),
    linkSubject: text('link_subject'),
    linkEmail: text('link_email'),
    appCodeChallenge: text('app_code_challenge'),
    expiresAt: timestamptz().notNull(),
  },
  (t) => [
    check(
      'oauth_login_codes_identity_or_link',
      sql`${t.identityId} is not null or ${t.linkSubject} is not null`,
    ),
  ],
);

/** A WebAuthn credential (passkey) registered by a user. */
export const passkeys = pgTable(
  'passkeys',
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The authenticator's credential id, base64url. */
    credentialId: text('credential_id').notNull(),
    publicKey: bytea('public_key').notNull(),
    /** The last signature counter seen; a clone shows up as one that does not grow. */
    counter: bigint({ mode: 'number' }).notNull(),
    transports: jsonb().$type<string[]>().notNull(),
    deviceType: text('device_type').notNull(),
    backedUp: boolean('backed_up').notNull(),
    name: text().notNull(),
    createdAt: timestamptzNow(),
    lastUsedAt: timestamptz(),
  },
  (t) => [
    uniqueIndex('passkeys_credential_id_key').on(t.credentialId),
    index('passkeys_user_idx').on(t.userId),
  ],
);

/** A WebAuthn challenge handed out and not yet answered: single-use, short-lived. */
export const webauthnChallenges = pgTable('webauthn_challenges', {
  id: uuid().primaryKey().defaultRandom(),
  challenge: text().notNull(),
  purpose: text().notNull().$type<'registration' | 'authentication'>(),
  /** Registration: who registers; sign-in by email: the only account that may answer. */
  userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
  expiresAt: timestamptz().notNull(),
});

/**
 * The user's TOTP factor. The secret is sealed under KEY_ENCRYPTION_KEY (keys/sealing.ts, the
 * user id as context). Pending until a first code is verified (`verified_at`). `last_used_step`
 * is the 30 s step of the last code accepted: a code of that step or an earlier one is refused,
 * so a code seen over someone's shoulder cannot be replayed within its window.
 */
export const totpFactors = pgTable('totp_factors', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  secretSealed: text('secret_sealed').notNull(),
  createdAt: timestamptzNow(),
  verifiedAt: timestamptz(),
  lastUsedStep: bigint('last_used_step', { mode: 'number' }),
  /**
   * The step of the code that turned the factor on: the first sign-in may use that code once
   * more (last_used_step is the step before it), a change to MFA itself never (RFC 6238 §5.2).
   */
  enrolledStep: bigint('enrolled_step', { mode: 'number' }),
});

/** Single-use recovery codes, as SHA-256 of user id and code (80 random bits each). */
export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    codeHash: bytea('code_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamptzNow(),
    usedAt: timestamptz(),
  },
  (t) => [index('recovery_codes_user_idx').on(t.userId)],
);

/**
 * A password (or other first factor) proved, waiting for the second: what `mfa_token` names.
 * Short-lived, single-use, bound to the user; only a SHA-256 of the token is kept.
 */
export const mfaChallenges = pgTable(
  'mfa_challenges',
  {
    tokenHash: bytea('token_hash').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** How the first factor was proved (password, oidc, …), for the session's audit record. */
    method: text().notNull(),
    /** The provider identity of an OIDC first factor, passed on to the session it opens. */
    identityId: uuid('identity_id'),
    /** Or the provider account an OIDC first factor links once the second factor passes. */
    linkProvider: text('link_provider'),
    linkSubject: text('link_subject'),
    linkEmail: text('link_email'),
    createdAt: timestamptzNow(),
    expiresAt: timestamptz().notNull(),
    usedAt: timestamptz(),
  },
  (t) => [
    index('mfa_challenges_user_idx').on(t.userId),
    index('mfa_challenges_expires_idx').on(t.expiresAt),
  ],
);
