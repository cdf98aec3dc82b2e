import type { FastifyInstance } from 'fastify';
import { registerOutboxMetrics } from './metrics.ts';
import { type OutboxRelayOptions, startOutboxRelay } from './relay.ts';

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
