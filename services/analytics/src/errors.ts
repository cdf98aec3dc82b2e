import { defineCodes, problemFactory } from '@platform/http';

/**
 * Every problem code analytics answers besides the generic ones (@platform/http GENERIC_CODES,
 * which include query_timeout). Stores raise DomainErrors with these codes; the edge maps them.
 */
export const codes = defineCodes({
  destination_removed: {
    status: 409,
    title: 'Destination removed',
    description: 'The dead letter’s destination is no longer configured; nothing can be sent.',
  },
  result_too_large: {
    status: 503,
    title: 'Result too large',
    description:
      'The answer exceeds the store’s row limit; narrow the range or widen the interval.',
  },
  store_unavailable: {
    status: 503,
    title: 'Store unavailable',
    description: 'The analytics store is down or too slow; retry after Retry-After seconds.',
  },
  invalid_write_key: {
    status: 401,
    title: 'Invalid write key',
    description:
      'The request names no live write key of the kind this route takes (missing, unknown, revoked, or a server key on a browser route and the other way round).',
  },
  origin_not_allowed: {
    status: 403,
    title: 'Origin not allowed',
    description: 'The browser write key does not allow the page’s origin (the Origin header).',
  },
});

export type AnalyticsCode = keyof typeof codes;

/** `problem('destination_removed', detail)`: status from the table. */
export const problem = problemFactory(codes);
