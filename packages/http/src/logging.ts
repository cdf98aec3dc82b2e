import { type LoggerOptions, stdSerializers } from 'pino';

/**
 * Paths pino blanks before a line is written. Request logs carry no headers or bodies by default;
 * these catch the places a developer might log an object that holds a secret.
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'password',
  '*.password',
  'current_password',
  '*.current_password',
  'new_password',
  '*.new_password',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'secret',
  '*.secret',
  'mfa_token',
  '*.mfa_token',
  'recovery_code',
  '*.recovery_code',
  'recovery_codes',
  '*.recovery_codes',
  'otpauth_url',
  '*.otpauth_url',
];

export function loggerOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    base: { service },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
    serializers: {
      // The query string may carry tokens (e.g. a link from a mail); log the path alone.
      req: (req: { method: string; url: string; ip?: string }) => ({
        method: req.method,
        path: req.url.split('?')[0],
        remote_address: req.ip,
      }),
      err: errorWithoutParameters,
    },
  };
}

/**
 * A failed query's error carries its bound parameters (Drizzle puts them in `params` and in the
 * message): a password hash, a token hash, an email. Keep the SQL text and the stack (pino folds
 * any `cause` into both), drop the values. A value may hold a line break (a post's body): the
 * text Drizzle wrote of each error's `params` in the chain is cut out whole, not up to a newline.
 * An aggregate's `errors` (AggregateError, analytics' ForgettingFailures) each the same way: pino
 * wrote them out (`aggregateErrors`) with its own serializer, not this one, and copied `errors`
 * as they were, so each failed query but the first (the aggregate's cause) logged its values.
 */
function errorWithoutParameters(error: Error, depth = 0): Record<string, unknown> {
  const { params: _params, ...rest } = stdSerializers.err(error) as unknown as Record<
    string,
    unknown
  >;
  const written = writtenParameters(error);
  for (const key of ['message', 'stack'] as const) {
    if (typeof rest[key] === 'string') {
      let text = rest[key] as string;
      for (const params of written) text = text.split(params).join('\nparams: [redacted]');
      rest[key] = text.replace(/\nparams: (?!\[redacted\])[^\n]*/g, '\nparams: [redacted]');
    }
  }
  const errors = (error as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.some((e) => e instanceof Error)) {
    // A problem's `errors` (the fields of a 400) are no errors, and stay as they are.
    delete rest.errors;
    rest.aggregateErrors =
      depth < 10
        ? errors.map((e) => (e instanceof Error ? errorWithoutParameters(e, depth + 1) : e))
        : '[too deep]';
  }
  return rest;
}

/** `\nparams: …` as Drizzle's message has it, for each error in the chain with `params`. */
function writtenParameters(error: unknown): string[] {
  const written: string[] = [];
  let current = error as { params?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; current && typeof current === 'object' && depth < 10; depth++) {
    if (Array.isArray(current.params) && current.params.length > 0) {
      written.push(`\nparams: ${current.params}`);
    }
    current = current.cause as typeof current;
  }
  return written;
}
