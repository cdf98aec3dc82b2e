import type { FieldError } from './problem.ts';

export interface AjvError {
  instancePath: string;
  schemaPath?: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
  /** With ajv's `verbose`: the schema holding the failed keyword, and the value (never kept). */
  parentSchema?: unknown;
  schema?: unknown;
  data?: unknown;
}

/**
 * The keyword a string schema with a `pattern` says in words what its values look like with,
 * as the whole message ("must be lower-case letters, digits, _ and -"): a client reads that in
 * a 400 instead of the regular expression. ajv knows it as an annotation (input-strictness.ts);
 * OpenAPI takes `x-` keywords as extensions, so the documents show it too.
 */
export const PATTERN_MESSAGE = 'x-pattern-message';

/** Said of a pattern failure whose schema has no words of its own: never the regex. */
export const UNEXPECTED_FORMAT = 'is not in the expected format';

/** ajv-formats' names, in words (ajv says `must match format "uuid"`). */
const FORMATS: Record<string, string> = {
  'date-time': 'must be a date and time in ISO 8601 with a time zone (2024-01-31T12:00:00Z)',
  date: 'must be a date written YYYY-MM-DD',
  time: 'must be a time written HH:MM:SS with a time zone',
  uuid: 'must be a UUID (8-4-4-4-12 hexadecimal digits)',
  email: 'must be an email address',
  uri: 'must be an absolute URI',
  'uri-reference': 'must be a URI',
  url: 'must be a URL',
  hostname: 'must be a host name',
  ipv4: 'must be an IPv4 address',
  ipv6: 'must be an IPv6 address',
  duration: 'must be an ISO 8601 duration (P7D, PT1H)',
  int32: 'must be a 32-bit integer',
  int64: 'must be a 64-bit integer',
};

const display = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** What a client can act on for one of ajv's keywords, where ajv's own message is not that. */
function messageOf(error: AjvError): string | undefined {
  switch (error.keyword) {
    case 'pattern': {
      const words = (error.parentSchema as Record<string, unknown> | undefined)?.[PATTERN_MESSAGE];
      return typeof words === 'string' ? words : UNEXPECTED_FORMAT;
    }
    case 'format': {
      const format = error.params.format;
      return (typeof format === 'string' && FORMATS[format]) || UNEXPECTED_FORMAT;
    }
    case 'const':
      return `must be ${display(error.params.allowedValue)}`;
    case 'not':
      return 'is not allowed';
    case 'oneOf':
    case 'anyOf':
      return 'does not match any of the accepted shapes';
    default:
      return undefined;
  }
}

/**
 * ajv's verbose errors with messages a client can act on (a pattern's words, a format's name in
 * words), and without the schema and value verbose adds: an error may be logged, and the value
 * can be a password.
 */
export function readable(errors: AjvError[]): AjvError[] {
  return errors.map(({ parentSchema, schema: _schema, data: _data, ...error }) => {
    const message = messageOf({ ...error, parentSchema });
    return message ? { ...error, message } : error;
  });
}

function fieldOf(error: AjvError): string {
  const path = error.instancePath
    .split('/')
    .filter(Boolean)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  const missing = error.params.missingProperty ?? error.params.additionalProperty;
  if (typeof missing === 'string') path.push(missing);
  return path.join('.') || '(root)';
}

const CHOICE_KEYWORDS = new Set(['const', 'enum', 'type']);

/** Keywords about a value itself, not about a field inside it (`required` names a field). */
const VALUE_KEYWORDS = new Set([
  ...CHOICE_KEYWORDS,
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
]);

const oneOf = (values: unknown[]) =>
  `must be one of ${values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}`;

/**
 * ajv's errors as `{field, message}`, one per field and message. A choice among constants (a
 * TypeBox union of literals is `anyOf` of `const`) is one "must be one of a, b, c" instead of a
 * "must be equal to constant" per branch and a "must match a schema in anyOf"; any other choice
 * among shapes of one value (a date-time or a date) is one message naming each, joined by "or".
 */
export function fieldErrors(errors: AjvError[]): FieldError[] {
  const absorbed = new Set<AjvError>();
  const replaced = new Map<AjvError, string>();
  // Each anyOf looks for its branches among the errors of its own value, not all of them: a
  // Segment batch of 38 000 messages with a bad `type` (one anyOf and six branches each) took
  // minutes of CPU to describe, each anyOf scanning every error.
  const atPath = new Map<string, AjvError[]>();
  for (const e of errors) {
    const list = atPath.get(e.instancePath);
    if (list) list.push(e);
    else atPath.set(e.instancePath, [e]);
  }
  for (const anyOf of errors) {
    if (anyOf.keyword !== 'anyOf' || !anyOf.schemaPath) continue;
    const branches = (atPath.get(anyOf.instancePath) ?? []).filter((e) =>
      e.schemaPath?.startsWith(`${anyOf.schemaPath}/`),
    );
    const allowed = branches.flatMap((e) =>
      e.keyword === 'const'
        ? [e.params.allowedValue]
        : e.keyword === 'enum'
          ? (e.params.allowedValues as unknown[])
          : [],
    );
    if (!branches.length) continue;
    if (allowed.length && branches.every((e) => CHOICE_KEYWORDS.has(e.keyword))) {
      for (const branch of branches) absorbed.add(branch);
      replaced.set(anyOf, oneOf(allowed));
    } else if (branches.every((e) => VALUE_KEYWORDS.has(e.keyword))) {
      for (const branch of branches) absorbed.add(branch);
      const messages = new Set(branches.map((e) => e.message ?? 'is invalid'));
      replaced.set(anyOf, [...messages].join(' or '));
    }
  }
  const seen = new Set<string>();
  const result: FieldError[] = [];
  for (const error of errors) {
    if (absorbed.has(error)) continue;
    const message =
      replaced.get(error) ??
      (error.keyword === 'enum' && Array.isArray(error.params.allowedValues)
        ? oneOf(error.params.allowedValues)
        : error.keyword === 'pattern' && error.message?.startsWith('must match pattern')
          ? // Not through readable(): never the regular expression all the same.
            UNEXPECTED_FORMAT
          : (error.message ?? 'is invalid'));
    const field = fieldOf(error);
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    result.push({ field, message });
  }
  return result;
}
