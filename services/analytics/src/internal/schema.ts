import { Type } from 'typebox';
import { EVENT_NAME, EVENT_NAME_WORDS } from '../ingestion/schema.ts';

const DomainEvent = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 200, description: 'stable and unique, e.g. main:42' }),
  type: Type.String({ pattern: EVENT_NAME, 'x-pattern-message': EVENT_NAME_WORDS, maxLength: 100 }),
  occurred_at: Type.String({ format: 'date-time' }),
  user_id: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
  payload: Type.Record(Type.String(), Type.Unknown()),
});

export const EventsBody = Type.Object({
  events: Type.Array(DomainEvent, { maxItems: 1000 }),
});

const SampleItem = Type.Object({
  service: Type.String({ minLength: 1, maxLength: 64 }),
  route: Type.String({ minLength: 1, maxLength: 512 }),
  method: Type.String({ minLength: 1, maxLength: 16 }),
  status: Type.Integer({ minimum: 100, maximum: 599 }),
  duration_ms: Type.Number({ minimum: 0 }),
  timestamp: Type.String({ format: 'date-time' }),
  request_id: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
  user_id: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
  upstream: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
});

export const SamplesBody = Type.Object({
  samples: Type.Array(SampleItem, { maxItems: 1000 }),
});

export const Queued = Type.Object({
  /** How many were new; re-sent event ids are not counted. */
  accepted: Type.Integer(),
});
