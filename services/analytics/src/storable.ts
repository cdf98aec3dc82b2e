import { type FieldError, problems } from '@platform/http';
import type { FastifyRequest } from 'fastify';

// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what PostgreSQL refuses.
const UNSTORABLE_TEXT = /[\u0000\ud800-\udfff]/u;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE_TEXT.source, 'gu');
/** Text with what the stores cannot keep replaced by U+FFFD: for messages that quote input. */
export const storableText = (text: string) => text.replace(UNSTORABLE_ALL, '\ufffd');

/**
 * The first value in `value` that the stores cannot keep, as a field error: text holding NUL
 * (PostgreSQL's text and jsonb refuse it) or a lone UTF-16 surrogate (jsonb refuses it; as
 * UTF-8, for InfluxDB or a text column, it would silently become U+FFFD), in a value or a key,
 * and numbers that are not finite (JSON.parse makes Infinity of 1e400, which JSON.stringify
 * would quietly turn into null). `field` is the path so far, e.g. `events.3.properties`.
 */
export function unstorable(value: unknown, field: string): FieldError | undefined {
  if (typeof value === 'string') {
    return UNSTORABLE_TEXT.test(value)
      ? { field, message: 'must not contain NUL characters or unpaired surrogates' }
      : undefined;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : { field, message: 'must be a finite number' };
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const at = field ? `${field}.${storableText(key)}` : storableText(key);
    if (UNSTORABLE_TEXT.test(key)) {
      return { field: at, message: 'keys must not contain NUL characters or unpaired surrogates' };
    }
    const found = unstorable(inner, at);
    if (found) return found;
  }
  return undefined;
}

/**
 * preHandler for every analytics route: query and path parameters reach SQL and InfluxQL as
 * they are, so one the stores cannot take is the caller's 400, never their 500. (Bodies are
 * checked where they are read: see ingestion and internal.)
 */
export async function refuseUnstorableParameters(request: FastifyRequest) {
  // Only the parts a route declares: the rest (`?a%00=1` on a route without a query) is never
  // read, and refusing it would be a 400 its operation does not document.
  const schema = request.routeOptions.schema;
  const found =
    (schema?.querystring ? unstorable(request.query, '') : undefined) ??
    (schema?.params ? unstorable(request.params, '') : undefined);
  if (found) throw problems.badRequest('A parameter holds a value analytics cannot use.', [found]);
}

/** What both stores can keep: InfluxDB's nanosecond times end in April 2262, ours start in 1970. */
export const EARLIEST = 0;
export const LATEST = Date.UTC(2262, 0, 1);
