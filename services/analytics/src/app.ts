import path from 'node:path';
import {
  authentication,
  createServiceAuth,
  declarePermissionsOnStart,
  type PermissionDeclaration,
} from '@platform/auth';
import { type App, createApp } from '@platform/http';
import { readManifest } from '@platform/manifest';
import type { Config } from './config.ts';
import type { AnalyticsContext } from './context.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import type { AnalyticsDatabase } from './db/index.ts';
import { createDestinations } from './destinations/index.ts';
import { destinationRoutes } from './destinations/routes.ts';
import { codes } from './errors.ts';
import { createEventNames } from './event-names/registry.ts';
import { eventNameRoutes } from './event-names/routes.ts';
import { profileRoutes } from './identity/routes.ts';
import { deadLetterRoutes } from './ingestion/dead-letter-routes.ts';
import { createDedup } from './ingestion/dedup.ts';
import { type ForgettingTimings, scheduleForgetting } from './ingestion/forget.ts';
import { createForgotten, unlinkItem } from './ingestion/forgotten.ts';
import { registerForgettingMetrics, registerQueueMetrics } from './ingestion/metrics.ts';
import { createPointNumbers } from './ingestion/point-numbers.ts';
import { createQueue } from './ingestion/queue.ts';
import { acceptedOf } from './ingestion/queue-rows.ts';
import { scheduleRetention, scheduleRollups } from './ingestion/retention.ts';
import { ingestionRoutes } from './ingestion/routes.ts';
import { createWriter } from './ingestion/writer.ts';
import { internalRoutes } from './internal/routes.ts';
import { queryRoutes } from './queries/routes.ts';
import { segmentRoutes } from './segment/routes.ts';
import { segmentSettingsRoute } from './segment/settings.ts';
import { refuseUnstorableParameters } from './storable.ts';
import { createStore } from './store/index.ts';
import type { Store } from './store/types.ts';
import { writeKeyRoutes } from './write-keys/routes.ts';

export const PREFIX = '/analytics/v1';

export interface AnalyticsAppDeps {
  config: Config;
  database: AnalyticsDatabase;
  /** Replaces the store chosen from configuration (tests). */
  store?: Store;
  logger?: Parameters<typeof createApp>[0]['logger'];
  /** The permissions declared to auth; by default the manifest's (service.json). */
  permissions?: PermissionDeclaration[];
  /** The forgetting worker's tick, lock wait and pause (ingestion/forget.ts); defaults in production. */
  forgetting?: ForgettingTimings;
  /** The hourly clean-up's first run, ms after ready (10 s); a test driving it itself defers it. */
  retentionFirstRunMs?: number;
}

/** Analytics' manifest: in the repository and in the image alike, next to src/. */
const MANIFEST = path.resolve(import.meta.dirname, '../service.json');

/** Builds the analytics service without listening; tests call this and use `app.inject`. */
export async function buildApp(deps: AnalyticsAppDeps): Promise<App> {
  const { config, database } = deps;
  const app = await createApp({
    name: 'analytics',
    prefix: PREFIX,
    description: 'Event tracking, user activity, performance and reports',
    codes,
    logLevel: config.LOG_LEVEL,
    // A batch of 500 events with 8 KB of properties each.
    bodyLimit: 5 * 1024 * 1024,
    securitySchemes: {
      writeKey: {
        type: 'http',
        scheme: 'basic',
        description: "Segment's scheme: a write key as the user name, no password",
      },
    },
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const auth = createServiceAuth({
    authUrl: config.AUTH_URL,
    serviceToken: config.SERVICE_TOKEN,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    maxLifetime: config.ACCESS_TOKEN_MAX_LIFETIME,
    redisUrl: config.REDIS_URL,
    log: app.log,
  });
  const store = deps.store ?? createStore(config, database.db);
  await store.init();
  const destinations = createDestinations({
    config,
    db: database.db,
    log: app.log,
    metrics: app.metrics,
  });
  const dedup = createDedup({ maxIds: config.DEDUP_MAX_IDS, metrics: app.metrics });
  const forgotten = createForgotten();
  const writer = createWriter({
    db: database.db,
    forgotten,
    store,
    config,
    log: app.log,
    metrics: app.metrics,
    dedup,
    // Events with a message id reach the destinations when the writer takes their id (once);
    // a user being forgotten's under the pseudonym, as the store gets them.
    onClaimed: destinations.list.length
      ? (tx, items) =>
          destinations.enqueue(
            tx,
            items.map((item) => acceptedOf(unlinkItem(item, forgotten.ids))),
          )
      : undefined,
  });
  registerQueueMetrics(database.db, app.metrics);
  registerForgettingMetrics(database.db, app.metrics);
  const eventNames = createEventNames({
    db: database.db,
    max: config.EVENT_NAMES_MAX,
    publicMax: config.EVENT_NAMES_PUBLIC_MAX ?? Math.floor(config.EVENT_NAMES_MAX / 2),
    metrics: app.metrics,
  });
  // One per process: its rows' InfluxDB point numbers, in blocks shared by nobody else.
  const points = createPointNumbers(database.db);
  const ctx: AnalyticsContext = {
    db: database.db,
    queue: createQueue(database.db, points),
    points,
    config,
    store,
    writer,
    destinations,
    eventNames,
    dedup,
    forgotten,
  };

  app.addReadinessCheck('database', database.ping);
  app.addReadinessCheck('revocations', () => auth.revocations.ready());
  // The permissions this service checks are defined here, in its manifest; auth grants them to
  // the declared roles. Not ready before auth has them: tokens would lack a new one.
  const manifest = readManifest(MANIFEST);
  declarePermissionsOnStart(app, {
    authUrl: config.AUTH_URL,
    serviceToken: config.SERVICE_TOKEN,
    service: manifest.name,
    permissions: deps.permissions ?? manifest.permissions,
  });
  app.addHook('onReady', async () => {
    writer.start();
    destinations.start();
    // Not awaited: until the names are known, a name costs one statement, as a new one does.
    eventNames
      .load()
      .catch((err: unknown) => app.log.warn({ err }, 'registered event names not loaded'));
    // Names deleted on another replica are forgotten here at the next reload.
    eventNames.start(config.EVENT_NAMES_REFRESH_MS, (err) =>
      app.log.warn({ err }, 'registered event names not reloaded'),
    );
  });
  app.addHook('onClose', async () => {
    eventNames.stop();
    await writer.close();
    await destinations.close();
    await auth.close();
  });

  app.addHook('preHandler', refuseUnstorableParameters);
  await app.register(
    async (api) => {
      await api.register(authentication, { verify: auth.verify });
      ingestionRoutes(api, ctx);
      segmentRoutes(api, ctx);
      segmentSettingsRoute(api, ctx);
      writeKeyRoutes(api, database.db);
      eventNameRoutes(api, ctx);
      profileRoutes(api, ctx);
      queryRoutes(api, ctx);
      destinationRoutes(api, { db: database.db, list: destinations.list });
      deadLetterRoutes(api, ctx);
      await dashboardRoutes(api, { prefix: PREFIX, accountsPrefix: '/accounts/v1' });
    },
    { prefix: PREFIX },
  );
  internalRoutes(app, ctx);
  scheduleRetention(app, ctx, deps.retentionFirstRunMs);
  scheduleForgetting(app, ctx, deps.forgetting);
  scheduleRollups(app, ctx);
  return app;
}
