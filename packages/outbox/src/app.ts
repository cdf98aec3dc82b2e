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
  if (pool && app.hasDecorator('metrics')) registerOutboxMetrics(app, pool);
  app.addHook('onReady', async () => {
    relay = startOutboxRelay({ ...options, log: app.log });
  });
  app.addHook('onClose', async () => relay?.close());
}
