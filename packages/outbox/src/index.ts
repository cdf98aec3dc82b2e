export { relayOutbox } from './app.ts';
export {
  type OutboxRelay,
  type OutboxRelayOptions,
  type RelayLog,
  startOutboxRelay,
} from './relay.ts';
export { outbox } from './table.ts';
