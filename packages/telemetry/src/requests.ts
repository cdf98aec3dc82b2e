/**
 * What the spans of a request may say about it: no secret query values, no probes. Shared by the
 * server spans (server.ts) and the undici instrumentation's client spans (sdk.ts); loads nothing.
 */

/**
 * Query parameters whose values are credentials: mail-link and OAuth tokens, codes, keys, and the
 * signed-URL ones OpenTelemetry redacts by default. Spans keep the rest of the query ("REDACTED"
 * stands in for these values): whoever reads traces must not be able to reset a password.
 */
export const SECRET_QUERY_PARAMS = new Set([
  'token',
  'mfa_token',
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'state',
  'password',
  'client_secret',
  'key',
  'api_key',
  'sig',
  'Signature',
  'AWSAccessKeyId',
  'X-Goog-Signature',
]);

/**
 * `?a=1&token=REDACTED`: the query (with its `?`) with the values of the secret parameters
 * replaced, everything else byte for byte. A plain scan: most requests have no query at all.
 */
export function redactedQuery(query: string): string {
  const parts = query.slice(1).split('&');
  let redacted = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (SECRET_QUERY_PARAMS.has(safeDecode(name))) {
      parts[i] = `${name}=REDACTED`;
      redacted = true;
    }
  }
  return redacted ? `?${parts.join('&')}` : query;
}

function safeDecode(name: string): string {
  if (!name.includes('%') && !name.includes('+')) return name;
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
}

/** Probes and scrapes arrive every few seconds and would drown the traces that matter. */
const UNTRACED_PATHS = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

/**
 * Not worth a trace of its own: probes, and service-to-service calls outside any trace (the
 * revocation feed polled every second); an internal call made while serving a request carries
 * that request's traceparent and is traced as part of it.
 */
export function untraced(path: string, traceparent: unknown): boolean {
  return UNTRACED_PATHS.has(path) || (path.startsWith('/internal/') && traceparent === undefined);
}
