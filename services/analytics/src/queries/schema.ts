import { Type } from 'typebox';
import { EVENT_NAME } from '../ingestion/schema.ts';

const time = (description: string) => Type.String({ format: 'date-time', description });

/** Text compared in SQL or InfluxQL, whose string literals cannot hold line breaks. */
const PLAIN_TEXT = '^[^\\u0000-\\u001f\\u007f]+$';

export const ActivityQuery = Type.Object(
  {
    user_id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: PLAIN_TEXT,
        description: 'admins only: another user',
      }),
    ),
    from: Type.Optional(time('inclusive; default: the start of retention')),
    to: Type.Optional(time('exclusive; default: now')),
    event: Type.Optional(Type.String({ pattern: EVENT_NAME, maxLength: 100 })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
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

export const INTERVAL = '^[1-9][0-9]{0,4}(s|m|h|d)$';

export const PerformanceQuery = Type.Object(
  {
    from: Type.Optional(time('inclusive; default: one hour ago')),
    to: Type.Optional(time('exclusive; default: now')),
    interval: Type.String({
      pattern: INTERVAL,
      default: '1m',
      description: 'bucket size from 1m to 1d, e.g. 1m, 5m, 1h, 1d',
    }),
    service: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: PLAIN_TEXT })),
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

export const REPORT_TYPES = ['daily-active-users', 'top-events', 'top-routes', 'signups'] as const;

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
  },
  { additionalProperties: false },
);

export const Report = Type.Object({
  type: Type.String(),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  columns: Type.Array(Type.String()),
  rows: Type.Array(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]))),
});
