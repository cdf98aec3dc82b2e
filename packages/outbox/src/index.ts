export { type OutboxSettings, relayOutbox, relayOutboxFromSettings } from './app.ts';
export {
  DEFAULT_RETENTION_MS,
  PURGE_EVENTS_SQL,
  type PurgeOptions,
  purgePublishedEvents,
} from './purge.ts';
export {
  type EventSubscriber,
  type OutboxRelay,
  type OutboxRelayOptions,
  PENDING_EVENTS_SQL,
  parseSubscribers,
  type RelayLog,
  startOutboxRelay,
  subscribesTo,
} from './relay.ts';
export { outbox } from './table.ts';
