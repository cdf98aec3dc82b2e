import type { FieldError } from './problem.ts';

export interface AjvError {
  instancePath: string;
  schemaPath?: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
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
        : (error.message ?? 'is invalid'));
    const field = fieldOf(error);
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    result.push({ field, message });
  }
  return result;
}
