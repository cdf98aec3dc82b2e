import { STATUS_CODES } from 'node:http';
import { HttpProblem, type ProblemExtras } from './problem-class.ts';

/** One kind of failure a client can branch on: its status, a short title and what it means. */
export interface CodeEntry {
  status: number;
  title: string;
  description: string;
}

export type CodeTable = Record<string, CodeEntry>;

/**
 * The failures every service can answer (the framework's, the gateway's and the generic ones).
 * A service's own table (src/errors.ts) adds its domain codes to these with defineCodes.
 */
export const GENERIC_CODES = {
  bad_request: {
    status: 400,
    title: 'Bad request',
    description: 'The request cannot be read: malformed JSON, a body cut short or a bad header.',
  },
  validation_failed: {
    status: 400,
    title: 'Validation failed',
    description: 'Some fields are invalid; `errors` names each field and what is wrong with it.',
  },
  unauthorized: {
    status: 401,
    title: 'Unauthorized',
    description: 'A valid access token (or service token) is required and was missing or invalid.',
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    description: 'The caller is authenticated but lacks the permission or ownership this needs.',
  },
  not_found: {
    status: 404,
    title: 'Not found',
    description: 'No such route or resource, or it is not the caller’s to see.',
  },
  method_not_allowed: {
    status: 405,
    title: 'Method not allowed',
    description: 'The route exists but not for this method.',
  },
  request_timeout: {
    status: 408,
    title: 'Request timeout',
    description: 'The request did not arrive in time.',
  },
  conflict: {
    status: 409,
    title: 'Conflict',
    description: 'The change conflicts with the current state; read it again and retry.',
  },
  precondition_failed: {
    status: 412,
    title: 'Precondition failed',
    description: 'A precondition header does not hold.',
  },
  version_conflict: {
    status: 412,
    title: 'Version conflict',
    description: 'If-Match names a version that is no longer current; read the resource again.',
  },
  payload_too_large: {
    status: 413,
    title: 'Payload too large',
    description: 'The request body is over the limit of this route.',
  },
  uri_too_long: {
    status: 414,
    title: 'URI too long',
    description: 'The request URL (path and query) is over the limit.',
  },
  unsupported_media_type: {
    status: 415,
    title: 'Unsupported media type',
    description:
      'The body is not in a format this route accepts: its Content-Type, or a Content-Encoding ' +
      'the route does not decode (`Accept-Encoding` names those it does; `identity` for most).',
  },
  unprocessable_entity: {
    status: 422,
    title: 'Unprocessable content',
    description: 'The body is well-formed but cannot be processed.',
  },
  rate_limited: {
    status: 429,
    title: 'Too many requests',
    description: 'Over a rate limit; Retry-After says when to try again.',
  },
  request_header_fields_too_large: {
    status: 431,
    title: 'Request header fields too large',
    description: 'The request headers are over the limit.',
  },
  internal_error: {
    status: 500,
    title: 'Internal error',
    description: 'An unexpected error; the request id finds it in the logs.',
  },
  query_timeout: {
    status: 503,
    title: 'Query timeout',
    description: 'The query took too long; narrow it (filters, a shorter range) and retry.',
  },
  bad_gateway: {
    status: 502,
    title: 'Bad gateway',
    description: 'The service behind the gateway failed to answer properly.',
  },
  service_unavailable: {
    status: 503,
    title: 'Service unavailable',
    description:
      'A dependency is down or overloaded; Retry-After, when present, says when to retry.',
  },
  gateway_timeout: {
    status: 504,
    title: 'Gateway timeout',
    description: 'The service behind the gateway did not answer in time.',
  },
} as const satisfies CodeTable;

export type GenericCode = keyof typeof GENERIC_CODES;

/** A service's code table: the generic codes plus its own. A code may not change meaning. */
export function defineCodes<T extends CodeTable>(own: T): typeof GENERIC_CODES & T {
  for (const code of Object.keys(own)) {
    if (!/^[a-z][a-z0-9_]*$/.test(code)) throw new Error(`problem code ${code} is not snake_case`);
    if (code in GENERIC_CODES) throw new Error(`problem code ${code} is already a generic one`);
  }
  return { ...GENERIC_CODES, ...own };
}

/**
 * `problem('email_taken', 'That email is already taken.', { errors })`: an HttpProblem whose
 * status comes from the table, so a code can only be one the table documents. The title stays
 * the status phrase (RFC 9457 for `about:blank`); the table's title describes it in OpenAPI.
 */
export function problemFactory<T extends CodeTable>(table: T) {
  return (
    code: keyof T & string,
    detail: string,
    extras: Omit<ProblemExtras, 'code'> & { headers?: Record<string, string> } = {},
  ) => {
    const entry = table[code] as CodeEntry;
    return new HttpProblem(entry.status, detail, { ...extras, code });
  };
}

/** Generic codes that are never a status's default: a thrower names them. */
const SPECIFIC = new Set(['validation_failed', 'version_conflict', 'query_timeout']);

/** The code of a problem whose thrower named none: the generic code of its status. */
export function defaultCode(status: number, hasErrors = false): string {
  if (status === 400) return hasErrors ? 'validation_failed' : 'bad_request';
  for (const [code, entry] of Object.entries(GENERIC_CODES)) {
    if (entry.status === status && !SPECIFIC.has(code)) return code;
  }
  // A status no generic code covers (418, 451…): its reason phrase, as `i_m_a_teapot`.
  const phrase = STATUS_CODES[status];
  if (phrase)
    return phrase
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '');
  return status >= 500 ? 'internal_error' : 'bad_request';
}

/**
 * A failure raised where HTTP is unknown (repositories, stores): a code from the service's table
 * and a detail a client may read. The edge (the problem handler) gives it its status.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    detail: string,
    readonly options: {
      errors?: { field: string; message: string }[];
      /** When the client may try again (Retry-After), for transient failures. */
      retryAfterSeconds?: number;
      cause?: unknown;
    } = {},
  ) {
    super(detail, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'DomainError';
  }
}
