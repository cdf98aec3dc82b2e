import { Type } from 'typebox';

export const EVENT_NAME = '^[A-Za-z][A-Za-z0-9_.:/ -]{0,99}$';
export const EVENT_NAME_WORDS =
  'must be a letter, then up to 99 letters, digits, spaces or _ . : / -';
export const MAX_PROPERTIES_BYTES = 8 * 1024;
export const MAX_BATCH = 500;

/**
 * Namespaces of the domain events services emit (auth: `user.*`, main: `post.*`): reports such as
 * sign-ups count them, so only services may send them (`/internal/events`), never clients.
 * Compared without regard to case, so no look-alike passes either.
 */
export const RESERVED_NAMESPACES = ['user', 'post'] as const;
const RESERVED = new RegExp(`^(?:${RESERVED_NAMESPACES.join('|')})\\.`, 'i');
export const isReserved = (event: string) => RESERVED.test(event);

const TrackedEvent = Type.Object(
  {
    event: Type.String({
      pattern: EVENT_NAME,
      'x-pattern-message': EVENT_NAME_WORDS,
      maxLength: 100,
      description:
        'a letter, then up to 99 letters, digits, spaces or _ . : / -; names under ' +
        `${RESERVED_NAMESPACES.map((n) => `${n}.`).join(', ')} are reserved to services (400); ` +
        'a name not used before is refused (400) once the public share of the registry ' +
        '(EVENT_NAMES_PUBLIC_MAX names) or the whole registry (EVENT_NAMES_MAX) is full',
    }),
    properties: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          `any JSON object up to ${MAX_PROPERTIES_BYTES} bytes serialized, without NUL ` +
          'characters or unpaired surrogates in its text and keys, or numbers beyond a double',
      }),
    ),
    timestamp: Type.Optional(
      Type.String({ format: 'date-time', description: 'when it happened; default: now' }),
    ),
    anonymous_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        pattern: '^[\\w.:@-]+$',
        'x-pattern-message': 'must be letters, digits, _ . : @ or - (no spaces)',
      }),
    ),
    message_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: '^[^\\u0000-\\u001f\\u007f]+$',
        'x-pattern-message': 'must not contain control characters (line breaks, tabs)',
        description:
          'unique per event from its sender: sent again (a retry) within the dedup window it is accepted and not stored twice',
      }),
    ),
  },
  { additionalProperties: false },
);

/** One event, or `{events: [...]}`; which one is checked in the service for a clear error. */
export const TrackBody = Type.Object(
  {
    event: Type.Optional(TrackedEvent.properties.event),
    properties: Type.Optional(TrackedEvent.properties.properties),
    timestamp: Type.Optional(TrackedEvent.properties.timestamp),
    anonymous_id: Type.Optional(TrackedEvent.properties.anonymous_id),
    message_id: Type.Optional(TrackedEvent.properties.message_id),
    events: Type.Optional(Type.Array(TrackedEvent, { minItems: 1, maxItems: MAX_BATCH })),
  },
  { additionalProperties: false },
);

export const TrackAccepted = Type.Object({
  accepted: Type.Integer(),
  /** Generated event ids, in the order the events were sent (those stored now). */
  ids: Type.Array(Type.String()),
  /** Events left out because their message_id was seen before. */
  duplicates: Type.Optional(Type.Integer()),
});
