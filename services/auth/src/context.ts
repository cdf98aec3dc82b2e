import type { Config } from './config.ts';
import type { PasswordHasher } from './credentials/hashing.ts';
import type { Db } from './db/index.ts';
import type { Sealer } from './keys/sealing.ts';
import type { KeyStore } from './keys/service.ts';
import type { Mailer } from './mail/mailer.ts';
import type { Templates } from './mail/templates.ts';
import type { FeedWatch } from './sessions/feed-watch.ts';
import type { RevocationPublisher } from './sessions/revocations.ts';
import type { LoginThrottle } from './throttle/service.ts';

/** What the auth service's features need, built once in app.ts and passed in explicitly. */
export interface AuthContext {
  db: Db;
  config: Config;
  keys: KeyStore;
  mailer: Mailer;
  /** Renders mails (text and HTML) and the pages their links open. */
  templates: Templates;
  /** Seals secrets auth must read back (signing keys, TOTP secrets) under KEY_ENCRYPTION_KEY. */
  sealer: Sealer;
  revocations: RevocationPublisher;
  /** How new the revocation feed is; held `/internal/revocations` polls wait on it. */
  feed: FeedWatch;
  /** Hashes and checks passwords (argon2id, ARGON2_PARAMS unless a test gave others). */
  passwords: PasswordHasher;
  /** Failed password checks, shared by sign-in and re-authentication. */
  throttle: LoginThrottle;
}
