import { Type } from 'typebox';
import { SEGMENT_EVENT_NAME, SEGMENT_EVENT_NAME_WORDS } from '../segment/schema.ts';

/** A date alone, as a date picker gives it (service.ts reads it as a whole UTC day). */
export const DATE_ONLY = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';

/** A range bound: a date-time, or a date alone (`from`: that day's start; `to`: its end). */
const time = (description: string) =>
  Type.Union(
    [
      Type.String({ format: 'date-time' }),
      Type.String({ pattern: DATE_ONLY, 'x-pattern-message': 'must be a date written YYYY-MM-DD' }),
    ],
    { description: `${description}; a date alone (YYYY-MM-DD) is that whole UTC day` },
  );

/** Text compared in SQL or InfluxQL, whose string literals cannot hold line breaks. */
const PLAIN_TEXT = '^[^\\u0000-\\u001f\\u007f]+$';

export const ActivityQuery = Type.Object(
  {
    user_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: PLAIN_TEXT,
        'x-pattern-message': 'must not contain control characters (line breaks, tabs)',
        description: 'admins only: another user',
      }),
    ),
    anonymous_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: PLAIN_TEXT,
        'x-pattern-message': 'must not contain control characters (line breaks, tabs)',
        description:
          'admins only, instead of user_id: the events sent under this anonymous id (a visitor, before or without identify or alias), whatever user they name',
      }),
    ),
    from: Type.Optional(time('inclusive; default: the start of retention')),
    to: Type.Optional(time('exclusive; default: now')),
    event: Type.Optional(
      Type.String({
        pattern: SEGMENT_EVENT_NAME,
        'x-pattern-message': SEGMENT_EVENT_NAME_WORDS,
        maxLength: 200,
      }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
  },
  { additionalProperties: false },
);

const Event = Type.Object({
  id: Type.String(),
  event: Type.String(),
  source: Type.String(),
  user_id: Type.Union([Type.String(), Type.Null()]),
  anonymous_id: Type.Union([Type.String(), Type.Null()]),
  properties: Type.Record(Type.String(), Type.Unknown()),
  timestamp: Type.String({ format: 'date-time' }),
});

export const ActivityPage = Type.Object({
  items: Type.Array(Event),
  /** Pass as `cursor` (with the same filters) for the next page; null on the last one. */
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

/** `5m`, `1h`, `1d`…, or the same as an ISO 8601 duration (`PT5M`, `PT1H`, `P1D`, `PT1H30M`). */
export const INTERVAL =
  '^(?:[1-9][0-9]{0,4}(s|m|h|d)|P(?!$)(?:[0-9]{1,4}D)?(?:T(?=[0-9])(?:[0-9]{1,5}H)?(?:[0-9]{1,6}M)?(?:[0-9]{1,7}S)?)?)$';

export const PerformanceQuery = Type.Object(
  {
    from: Type.Optional(time('inclusive; default: one hour ago')),
    to: Type.Optional(time('exclusive; default: now')),
    interval: Type.Optional(
      Type.String({
        pattern: INTERVAL,
        'x-pattern-message':
          'must be a bucket size from 1m to 1d: 1m, 5m, 1h, 1d, or an ISO 8601 duration (PT5M, PT1H, P1D)',
        description:
          'bucket size from 1m to 1d in whole minutes: 1m, 5m, 1h, 1d, or as an ISO 8601 duration (PT5M, PT1H, P1D); default: the finest of 1m, 5m, 15m, 1h, 6h and 1d that keeps the range within 1440 intervals',
      }),
    ),
    service: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        pattern: PLAIN_TEXT,
        'x-pattern-message': 'must not contain control characters (line breaks, tabs)',
      }),
    ),
  },
  { additionalProperties: false },
);

const Point = Type.Object({
  time: Type.String({ format: 'date-time' }),
  requests: Type.Integer(),
  errors: Type.Integer(),
  p50: Type.Union([Type.Number(), Type.Null()]),
  p95: Type.Union([Type.Number(), Type.Null()]),
  p99: Type.Union([Type.Number(), Type.Null()]),
});

export const Performance = Type.Object({
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  interval: Type.String(),
  /** One series per service and route; intervals without requests are left out. */
  series: Type.Array(
    Type.Object({ service: Type.String(), route: Type.String(), points: Type.Array(Point) }),
  ),
});

export const REPORT_TYPES = [
  'daily-active-users',
  'top-events',
  'top-routes',
  'signups',
  'funnel',
  'retention',
] as const;

/** An ISO 8601 duration: P7D, PT1H30M, P1W, P1M, P1Y, P1Y2M10DT2H (years and months by calendar). */
export const DURATION =
  '^P(?!$)(\\d{1,4}Y)?(\\d{1,4}M)?(\\d{1,4}W)?(\\d{1,4}D)?(T(?=\\d)(\\d{1,6}H)?(\\d{1,6}M)?(\\d{1,6}S)?)?$';

const eventName = (description: string) =>
  Type.String({
    pattern: SEGMENT_EVENT_NAME,
    'x-pattern-message': SEGMENT_EVENT_NAME_WORDS,
    maxLength: 200,
    description,
  });

export const ReportQuery = Type.Object(
  {
    type: Type.Union(
      REPORT_TYPES.map((t) => Type.Literal(t)),
      { description: REPORT_TYPES.join(', ') },
    ),
    from: Type.Optional(time('inclusive; default: 30 days ago')),
    to: Type.Optional(time('exclusive; default: now')),
    format: Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'top-N reports' }),
    steps: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4100,
        description: 'funnel: its steps, 1 to 20 event names separated by commas, in order',
      }),
    ),
    window: Type.String({
      pattern: DURATION,
      'x-pattern-message': 'must be an ISO 8601 duration such as P7D, PT12H, P1W or P1M',
      default: 'P7D',
      description:
        'funnel: the conversion window from the first step, ISO 8601 (P7D, PT12H, P1M; up to a year)',
    }),
    start_event: Type.Optional(eventName('retention: the event that puts a person in a cohort')),
    return_event: Type.Optional(eventName('retention: the event that counts as returning')),
    period: Type.Union([Type.Literal('day'), Type.Literal('week')], {
      default: 'day',
      description: 'retention: cohorts per UTC day or ISO week (from Monday)',
    }),
  },
  { additionalProperties: false },
);

export const Report = Type.Object({
  type: Type.String(),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  columns: Type.Optional(
    Type.Array(Type.String(), { description: 'Tabular reports (all but funnel and retention)' }),
  ),
  rows: Type.Optional(
    Type.Array(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]))),
  ),
  window: Type.Optional(Type.String({ description: 'funnel' })),
  steps: Type.Optional(
    Type.Array(
      Type.Object({
        event: Type.String(),
        users: Type.Integer({
          description: 'People who reached this step, in order, in the window',
        }),
        conversion: Type.Number({ description: 'Their share of those who entered (step one)' }),
      }),
      { description: 'funnel' },
    ),
  ),
  period: Type.Optional(Type.String({ description: 'retention' })),
  cohorts: Type.Optional(
    Type.Array(
      Type.Object({
        start: Type.String({ format: 'date-time', description: 'The cohort period' }),
        users: Type.Integer({ description: 'People whose first start event fell in it' }),
        returned: Type.Array(Type.Integer(), {
          description: 'Of them, who did the return event in each period from this one on',
        }),
      }),
      { description: 'retention' },
    ),
  ),
});
