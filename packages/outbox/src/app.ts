import type { FastifyInstance } from 'fastify';
import { type OutboxRelayOptions, startOutboxRelay } from './relay.ts';

/**
 * Runs the relay for as long as `app` is up: started once the app is ready (migrations have
 * created the outbox), stopped when it closes.
 */
export function relayOutbox(app: FastifyInstance, options: Omit<OutboxRelayOptions, 'log'>): void {
  let relay: ReturnType<typeof startOutboxRelay> | undefined;
  app.addHook('onReady', async () => {
    relay = startOutboxRelay({ ...options, log: app.log });
  });
  app.addHook('onClose', async () => relay?.close());
}
