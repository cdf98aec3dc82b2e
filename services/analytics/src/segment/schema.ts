import { namedSchema } from '@platform/http';
import { Type } from 'typebox';

/** Segment's limits (its HTTP Tracking API): a message, and a whole batch, as JSON bytes. */
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
/**
 * Messages a batch may hold: more than 500 KB can carry valid ones (the shortest,
 * `{"type":"page","userId":1}`, takes 27 bytes with its comma: 18 962), so no batch a client
 * could have stored is refused for it. Without it, 500 KB of `{}` was 160 000 messages judged and
 * refused one by one: ~1 s and ~90 MB of analytics per request (a browser key is public; four at
 * once took the process from 99 MB to 472 MB, its limit 512 Mi).
 */
export const MAX_BATCH_MESSAGES = 20_000;

export const MESSAGE_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/**
 * Event names as Segment allows them ("Order Completed", "Product Added (v2)", "Signed Up, Pro"):
 * printable text. No backslash: an InfluxDB tag cannot end in one. A comma is text like any other
 * (refused, it was a 400 that made a Segment library drop its whole batch); only a funnel, which
 * lists its steps by commas, cannot name such an event.
 */
export const SEGMENT_EVENT_NAME = '^[^\\u0000-\\u001f\\u007f\\\\]{1,200}$';
export const SEGMENT_EVENT_NAME_WORDS =
  'must be 1 to 200 characters without backslashes or control characters (line breaks, tabs)';

const plain = (description: string, maxLength = 200) =>
  Type.String({
    minLength: 1,
    maxLength,
    pattern: '^[^\\u0000-\\u001f\\u007f]+$',
    'x-pattern-message': 'must not contain control characters (line breaks, tabs)',
    description,
  });
const object = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });
const time = (description: string) => Type.String({ format: 'date-time', description });

/**
 * One message in Segment's shape. Fields Segment defines and analytics does not use (`context`,
 * `integrations`, `_metadata`, `version`, `channel`…) are accepted and ignored, as Segment does.
 */
const fields = {
  type: Type.Union(
    MESSAGE_TYPES.map((t) => Type.Literal(t)),
    { description: 'Implied by the endpoint; required in a batch' },
  ),
  messageId: plain('Unique per message: a message seen again is stored and counted once'),
  userId: plain(
    "The user; a server write key may name any (a browser key's are claims: docs/analytics.md)",
  ),
  anonymousId: plain('The device or browser before sign-in'),
  timestamp: time('When it happened; default: when it was received'),
  originalTimestamp: time('The client clock when it happened; corrected by sentAt'),
  sentAt: time('The client clock when it was sent'),
  event: Type.String({
    pattern: SEGMENT_EVENT_NAME,
    'x-pattern-message': SEGMENT_EVENT_NAME_WORDS,
    description:
      'track: the event name (names under user., post. are reserved to services; a name not ' +
      'used before is refused once the key’s budget of the registry is spent: a server key’s ' +
      'is EVENT_NAMES_MAX names, a browser key’s the public share, EVENT_NAMES_PUBLIC_MAX)',
  }),
  name: plain('page and screen: its name'),
  category: plain('page: its category'),
  properties: object('track, page, screen'),
  traits: object('identify, group'),
  groupId: plain('group: the group'),
  previousId: plain('alias: the id (usually an anonymousId) that becomes userId'),
  context: object('Ignored'),
  integrations: Type.Record(Type.String(), Type.Unknown(), { description: 'Ignored' }),
  writeKey: Type.String({
    maxLength: 200,
    description:
      'The write key, read only when the request has no Authorization header (Segment takes it here too); ignored on a message in a batch',
  }),
};

type Field = keyof typeof fields;
const optional = (names: Field[]) =>
  Object.fromEntries(names.map((n) => [n, Type.Optional(fields[n])])) as {
    [K in Field]: ReturnType<typeof Type.Optional<(typeof fields)[K]>>;
  };

/**
 * The shapes the Segment routes share, named (`components.schemas.SegmentMessage`…): fourteen
 * routes take them (each type's route and the batch, for server and browser keys, the browser's
 * as JSON and text/plain), and inline the document repeated the message 21 times.
 * routes.ts registers them; the routes write `.ref`.
 */
export const Message = namedSchema(
  'SegmentMessage',
  Type.Object(optional(Object.keys(fields) as Field[]), {
    description:
      'A Segment message; a field sent as null counts as absent (analytics-python sends them), an id (userId, anonymousId, groupId, previousId) sent as an integer as its decimal text (analytics-ruby sends them); what each type needs is checked after the schema',
  }),
);

/** A batch's fields besides its messages. */
const envelope = {
  sentAt: Type.Optional(fields.sentAt),
  context: Type.Optional(object('Merged into each message (ignored)')),
  integrations: Type.Optional(fields.integrations),
  writeKey: Type.Optional(
    Type.String({
      maxLength: 200,
      description: 'The write key, read only when the request has no Authorization header',
    }),
  ),
};

export const BatchBody = namedSchema(
  'SegmentBatch',
  Type.Object({
    batch: Type.Array(Message.ref, { minItems: 1, maxItems: MAX_BATCH_MESSAGES }),
    ...envelope,
  }),
);

/**
 * What a batch's messages are judged by one at a time (routes.ts, setAside): its envelope alone,
 * and one message where a batch holds it, so a message is checked as the whole body would check
 * it (the same schema, strictness and depth), and its errors name `batch.0.…`.
 */
export const BatchEnvelope = Type.Object(envelope);
export const OneMessage = Type.Object({ batch: Type.Array(Message.ref, { minItems: 1 }) });

export const Success = namedSchema('SegmentSuccess', Type.Object({ success: Type.Literal(true) }));

/** In the order they are registered: a schema before those that refer to it. */
export const SEGMENT_SCHEMAS = [Message, BatchBody, Success];
