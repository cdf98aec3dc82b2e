import { Type } from 'typebox';

export const DestinationName = Type.String({
  pattern: '^[a-z0-9][a-z0-9_-]{0,62}$',
  'x-pattern-message':
    'must be a destination name: a lower-case letter or digit, then up to 62 lower-case letters, digits, _ or -',
});

export const DestinationList = Type.Object({
  items: Type.Array(
    Type.Object({
      name: Type.String(),
      /** Scheme, host and path only: a query string may hold a credential. */
      url: Type.String(),
      events: Type.Union([Type.Array(Type.String()), Type.Null()], {
        description: 'Event-name patterns forwarded; null forwards every event',
      }),
      pending: Type.Integer({ description: 'Deliveries waiting for their first or next try' }),
      dead: Type.Integer({ description: 'Dead letters: deliveries that ran out of tries' }),
    }),
  ),
});

export const DeadLetter = Type.Object({
  id: Type.String(),
  destination: Type.String(),
  event_id: Type.String(),
  event: Type.String(),
  attempts: Type.Integer(),
  last_error: Type.Union([Type.String(), Type.Null()]),
  /** The Segment `track` call that was refused, as it will be sent again on replay. */
  payload: Type.Record(Type.String(), Type.Unknown()),
  created_at: Type.String({ format: 'date-time' }),
  failed_at: Type.String({ format: 'date-time' }),
});

export const DeadLetterQuery = Type.Object(
  {
    destination: Type.Optional(DestinationName),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
    cursor: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,18}$',
        'x-pattern-message': 'must be the next_cursor of a previous page (digits)',
        description: 'next_cursor of the previous page',
      }),
    ),
  },
  { additionalProperties: false },
);

export const DeadLetterPage = Type.Object({
  items: Type.Array(DeadLetter),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Null on the last page' }),
});

export const DeadLetterParams = Type.Object({
  id: Type.String({
    pattern: '^[0-9]{1,18}$',
    'x-pattern-message': 'must be a dead letter id (up to 18 digits)',
    description: 'A dead letter id',
  }),
});

export const ReplayAllQuery = Type.Object(
  { destination: Type.Optional(DestinationName) },
  { additionalProperties: false },
);

export const Replayed = Type.Object({
  replayed: Type.Integer({ description: 'Dead letters queued for delivery again' }),
});
