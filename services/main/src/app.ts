import path from 'node:path';
import {
  authentication,
  createServiceAuth,
  declarePermissionsOnStart,
  type PermissionDeclaration,
  type ServiceAuth,
} from '@platform/auth';
import { type VersionWatchOptions, watchVersion } from '@platform/db';
import { type App, createApp } from '@platform/http';
import { readManifest } from '@platform/manifest';
import { relayOutboxFromSettings } from '@platform/outbox';
import { categoryRoutes } from './categories/routes.ts';
import type { Config } from './config.ts';
import type { MainContext } from './context.ts';
import type { MainDatabase } from './db/index.ts';
import { codes } from './errors.ts';
import { cacheVersionRoute } from './internal/cache-version.ts';
import { internalRoutes } from './internal/routes.ts';
import { listVersion } from './posts/list-service.ts';
import { postRoutes } from './posts/routes.ts';
import { tagRoutes } from './tags/routes.ts';

export const PREFIX = '/main/v1';

export interface MainAppDeps {
  config: Config;
  database: MainDatabase;
  /** Tests may pass their own; by default one is made from AUTH_URL and REDIS_URL. */
  auth?: ServiceAuth;
  logger?: Parameters<typeof createApp>[0]['logger'];
  /** The permissions declared to auth; by default the manifest's (service.json). */
  permissions?: PermissionDeclaration[];
  /** Held-request limit and LISTEN timings of the cache-version feed (tests shorten them). */
  cacheVersion?: Pick<VersionWatchOptions, 'maxHeld' | 'listen' | 'fallbackMs'>;
}

/** Main's manifest: in the repository and in the image alike, next to src/. */
const MANIFEST = path.resolve(import.meta.dirname, '../service.json');

/** Builds the main service without listening; tests call this and use `app.inject`. */
export async function buildApp(deps: MainAppDeps): Promise<App> {
  const { config, database } = deps;
  const app = await createApp({
    name: 'main',
    prefix: PREFIX,
    description: 'Posts, categories and tags',
    codes,
    logLevel: config.LOG_LEVEL,
    trustProxy: config.TRUST_PROXY.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const auth =
    deps.auth ??
    createServiceAuth({
      authUrl: config.AUTH_URL,
      serviceToken: config.SERVICE_TOKEN,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      maxLifetime: config.ACCESS_TOKEN_MAX_LIFETIME,
      redisUrl: config.REDIS_URL,
      log: app.log,
    });
  const ctx: MainContext = { db: database.db, config };

  app.addReadinessCheck('database', database.ping);
  // Until the revocation list has synced once, a revoked token could pass: not ready before.
  app.addReadinessCheck('revocations', auth.revocations.ready);
  app.addHook('onClose', () => auth.close());
  // The permissions this service checks are defined here, in its manifest; auth grants them to
  // the declared roles. Not ready before auth has them: tokens would lack a new one.
  const manifest = readManifest(MANIFEST);
  declarePermissionsOnStart(app, {
    authUrl: config.AUTH_URL,
    serviceToken: config.SERVICE_TOKEN,
    service: manifest.name,
    permissions: deps.permissions ?? manifest.permissions,
  });

  await app.register(
    async (api) => {
      await api.register(authentication, { verify: auth.verify });
      postRoutes(api, ctx);
      categoryRoutes(api, ctx);
      tagRoutes(api, ctx);
    },
    { prefix: PREFIX },
  );
  internalRoutes(app, ctx);
  // The list stamp as every replica bumps it (a NOTIFY per bump): held cache-version requests
  // wake on it; an idle main reads one indexed row every 500 ms (in case LISTEN goes deaf).
  const stamp = await watchVersion({
    url: config.DATABASE_URL,
    channel: 'list_stamp',
    applicationName: 'main-list-stamp',
    read: () => listVersion(ctx),
    isNewer: (a, b) => /^\d+$/.test(a) && (b === '' || BigInt(a) > BigInt(b)),
    log: app.log,
    ...deps.cacheVersion,
  });
  // Held requests are answered as soon as shutdown begins: the drain must not wait for them.
  app.addHook('preClose', async () => stamp.drain());
  app.addHook('onClose', () => stamp.close());
  cacheVersionRoute(app, ctx, stamp);
  relayOutboxFromSettings(app, { pool: database.pool, service: 'main', settings: config });
  return app;
}
