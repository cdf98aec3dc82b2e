import type { AcceptedEvent } from '../events.ts';

export const LIBRARY = { name: 'microservice-template-analytics', version: '1.0.0' };

/**
 * The Segment `track` call for an accepted event. `messageId` is the event id, stable across
 * retries and replays, so a receiver can drop a repeat. Segment requires a userId or an
 * anonymousId: an event with neither (a system event) is attributed to its source service.
 */
export function trackPayload(event: AcceptedEvent): Record<string, unknown> {
  const identity: Record<string, string> = {};
  if (event.userId) identity.userId = event.userId;
  if (event.anonymousId) identity.anonymousId = event.anonymousId;
  if (!event.userId && !event.anonymousId) identity.anonymousId = `service:${event.source}`;
  return {
    type: 'track',
    event: event.event,
    ...identity,
    properties: event.properties,
    timestamp: event.timestamp,
    messageId: event.id,
    context: { library: LIBRARY, source: event.source },
  };
}
