import type { FastifyInstance } from 'fastify';
import { registerOutboxMetrics } from './metrics.ts';
import { type OutboxRelayOptions, parseSubscribers, startOutboxRelay } from './relay.ts';

/**
 * Runs the relay for as long as `app` is up: started once the app is ready (migrations have
 * created the outbox), stopped when it closes.
 */
export function relayOutbox(app: FastifyInstance, options: Omit<OutboxRelayOptions, 'log'>): void {
  let relay: ReturnType<typeof startOutboxRelay> | undefined;
  const pool = options.pool ?? options.db?.$client;
  const metrics =
    pool && app.hasDecorator('metrics') ? registerOutboxMetrics(app, pool) : undefined;
  app.addHook('onReady', async () => {
    relay = startOutboxRelay({ ...options, onPurged: metrics?.purged, log: app.log });
  });
  app.addHook('onClose', async () => relay?.close());
}

/** The settings a producing service reads for its outbox (Env.eventSubscribers and friends). */
export interface OutboxSettings {
  EVENT_SUBSCRIBERS?: string | undefined;
  /** Deprecated shorthand for EVENT_SUBSCRIBERS=analytics:*=<url>, used when that is unset. */
  ANALYTICS_URL?: string | undefined;
  OUTBOX_RETENTION_DAYS: number;
  SERVICE_TOKEN: string;
}

/**
 * The relay as a service's settings describe it: every subscriber of EVENT_SUBSCRIBERS (or
 * analytics alone, from ANALYTICS_URL); with neither, no relay runs and events stay in the outbox.
 */
export function relayOutboxFromSettings(
  app: FastifyInstance,
  options: { pool: OutboxRelayOptions['pool']; service: string; settings: OutboxSettings },
): void {
  const { EVENT_SUBSCRIBERS, ANALYTICS_URL, OUTBOX_RETENTION_DAYS, SERVICE_TOKEN } =
    options.settings;
  const subscribers = EVENT_SUBSCRIBERS
    ? parseSubscribers(EVENT_SUBSCRIBERS)
    : ANALYTICS_URL
      ? [{ name: 'analytics', types: ['*'], url: ANALYTICS_URL }]
      : [];
  if (subscribers.length === 0) return;
  relayOutbox(app, {
    ...(options.pool ? { pool: options.pool } : {}),
    service: options.service,
    subscribers,
    serviceToken: SERVICE_TOKEN,
    retentionMs: OUTBOX_RETENTION_DAYS * 24 * 3600_000,
  });
}
