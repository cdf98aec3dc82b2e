// Folders depend one way (accounts → passwords → sessions → users): docs/auth.md, Code layout.
import path from 'node:path';
import { authentication, createVerifier } from '@platform/auth';
import { type App, createApp } from '@platform/http';
import { readManifest } from '@platform/manifest';
import { relayOutboxFromSettings } from '@platform/outbox';
import { bootstrapAdmin } from './accounts/first-admin.ts';
import { profileRoutes } from './accounts/profile-routes.ts';
import { accountRoutes } from './accounts/routes.ts';
import { adminUserRoutes } from './admin/routes.ts';
import { auditRoutes } from './audit/routes.ts';
import { avatarRoutes } from './avatars/routes.ts';
import type { Config } from './config.ts';
import type { AuthContext } from './context.ts';
import { createPasswordHasher, type PasswordHasher } from './credentials/hashing.ts';
import type { AuthDatabase } from './db/index.ts';
import { codes } from './errors.ts';
import { schedulePruning } from './internal/prune.ts';
import { internalRoutes } from './internal/routes.ts';
import { keyRoutes } from './keys/routes.ts';
import { createSealer, parsePreviousKeys } from './keys/sealing.ts';
import { createKeyStore } from './keys/service.ts';
import type { Mailer } from './mail/mailer.ts';
import { loadTemplates } from './mail/templates.ts';
import { mfaRoutes } from './mfa/routes.ts';
import { createProviders } from './oidc/providers.ts';
import { oidcRoutes } from './oidc/routes.ts';
import { parseProviders, parseRedirectUris } from './oidc/settings.ts';
import { pageRoutes } from './pages/routes.ts';
import { passkeyRoutes } from './passkeys/routes.ts';
import { relyingParty } from './passkeys/settings.ts';
import { passwordRoutes } from './passwords/routes.ts';
import { type DeclaredPermission, declarePermissions } from './permissions/service.ts';
import { scheduleReseal } from './reseal/service.ts';
import { type FeedWatchOptions, watchFeed } from './sessions/feed-watch.ts';
import { followOwnFeed, publishToAll } from './sessions/own-feed.ts';
import { createRedisPublisher } from './sessions/redis-publisher.ts';
import { noPublisher, type RevocationPublisher } from './sessions/revocations.ts';
import { sessionRoutes } from './sessions/routes.ts';
import { createLoginThrottle } from './throttle/service.ts';

export const PREFIX = '/accounts/v1';

export interface AuthAppDeps {
  config: Config;
  database: AuthDatabase;
  mailer: Mailer;
  revocations?: RevocationPublisher;
  logger?: Parameters<typeof createApp>[0]['logger'];
  /** Auth's own permissions; by default its manifest's (service.json). */
  permissions?: DeclaredPermission[];
  /** Held-poll limit and LISTEN reconnect timings of the revocation feed (tests shorten them). */
  feed?: Pick<FeedWatchOptions, 'maxHeld' | 'listen'>;
  /**
   * Hashes and checks passwords; by default argon2id at ARGON2_PARAMS (docs/auth.md), as
   * src/server.ts builds it. Only in-process tests pass a cheaper one: no setting changes it.
   */
  passwordHasher?: PasswordHasher;
}

/** Auth's manifest: in the repository and in the image alike, next to src/. */
const MANIFEST = path.resolve(import.meta.dirname, '../service.json');

/** Builds the auth service without listening; tests call this and use `app.inject`. */
export async function buildApp(deps: AuthAppDeps): Promise<App> {
  const { config, database } = deps;
  const app = await createApp({
    name: 'auth',
    prefix: PREFIX,
    description: 'Accounts, sessions, tokens and roles',
    codes,
    logLevel: config.LOG_LEVEL,
    trustProxy: config.TRUST_PROXY.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const sealer = createSealer(
    config.KEY_ENCRYPTION_KEY,
    parsePreviousKeys(config.KEY_ENCRYPTION_KEY_PREVIOUS),
  );
  const keys = createKeyStore(database.db, {
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    accessTokenTtl: config.ACCESS_TOKEN_TTL,
    rotationInterval: config.KEY_ROTATION_INTERVAL,
    sealer,
  });
  await keys.refresh();
  const rotation = setInterval(() => {
    keys.refresh().catch((err: unknown) => app.log.error({ err }, 'signing key refresh failed'));
  }, 3600_000).unref();

  const feed = await watchFeed({
    db: database.db,
    databaseUrl: config.DATABASE_URL,
    log: app.log,
    metrics: app.metrics,
    ...deps.feed,
  });
  // Held feed polls are answered as soon as shutdown begins: the drain must not wait for them.
  app.addHook('preClose', async () => feed.drain());
  const own = followOwnFeed(database.db, feed, (err) =>
    app.log.error({ err }, 'reading the revocation feed failed'),
  );
  await own.list.start();
  const ctx: AuthContext = {
    db: database.db,
    config,
    keys,
    mailer: deps.mailer,
    templates: loadTemplates(config, PREFIX),
    sealer,
    feed,
    passwords: deps.passwordHasher ?? createPasswordHasher(),
    revocations: publishToAll(
      own.publisher,
      deps.revocations ??
        (config.REDIS_URL ? createRedisPublisher(config.REDIS_URL, app.log) : noPublisher),
    ),
    throttle: createLoginThrottle(
      database.db,
      {
        perAccountAddress: config.LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS,
        perAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
        perAddress: config.LOGIN_MAX_FAILURES_PER_ADDRESS,
        windowSeconds: config.LOGIN_FAILURE_WINDOW,
        settleMs: 3_000,
      },
      app.metrics,
      app.log,
    ),
  };

  const verify = createVerifier({
    keys: keys.verificationKeys,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    maxLifetime: config.ACCESS_TOKEN_MAX_LIFETIME,
    isRevoked: own.list.isRevoked,
  });

  app.addReadinessCheck('database', database.ping);
  app.addHook('onClose', async () => {
    clearInterval(rotation);
    await ctx.revocations.close();
    await feed.close();
    deps.mailer.close();
  });
  // What every other service sends to /internal/permissions, applied directly.
  await declarePermissions(
    database.db,
    'auth',
    deps.permissions ?? readManifest(MANIFEST).permissions,
  );
  await bootstrapAdmin(ctx, app.log);

  await app.register(
    async (api) => {
      await api.register(authentication, { verify });
      keyRoutes(api, keys);
      accountRoutes(api, ctx);
      passwordRoutes(api, ctx);
      sessionRoutes(api, ctx);
      profileRoutes(api, ctx);
      adminUserRoutes(api, ctx);
      avatarRoutes(api, ctx);
      oidcRoutes(api, ctx, {
        providers: createProviders(parseProviders(config.OIDC_PROVIDERS)),
        redirectUris: parseRedirectUris(config.OAUTH_REDIRECT_URIS),
      });
      passkeyRoutes(api, ctx, {
        rp: {
          ...relyingParty(config.WEBAUTHN_RP_ID, config.WEBAUTHN_ORIGINS, config.PUBLIC_URL),
          name: config.WEBAUTHN_RP_NAME,
        },
      });
      mfaRoutes(api, ctx);
      await api.register(async (pages) => pageRoutes(pages, ctx));
      auditRoutes(api, ctx);
    },
    { prefix: PREFIX },
  );
  internalRoutes(app, ctx);
  schedulePruning(app, ctx);
  scheduleReseal(app, ctx);
  relayOutboxFromSettings(app, { pool: database.pool, service: 'auth', settings: config });
  return app;
}
