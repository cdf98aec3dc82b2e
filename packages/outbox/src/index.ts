export { relayOutbox } from './app.ts';
export {
  type EventSubscriber,
  type OutboxRelay,
  type OutboxRelayOptions,
  parseSubscribers,
  type RelayLog,
  startOutboxRelay,
  subscribesTo,
} from './relay.ts';
export { outbox } from './table.ts';
