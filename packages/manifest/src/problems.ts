import type { TSchema } from 'typebox';
import Value from 'typebox/value';

/**
 * The keyword with which a string schema's `pattern` says in words what it takes, as a
 * service's HTTP schemas do (@platform/http's validation-errors.ts): a developer reads "must be
 * lower-case letters, digits and -, starting with a letter", never the regular expression.
 */
export const PATTERN_MESSAGE = 'x-pattern-message';

/** Said of a pattern without words of its own: never the regex. */
export const UNEXPECTED_FORMAT = 'is not in the expected format';

type Schema = Record<string, unknown>;
type SchemaError = ReturnType<typeof Value.Errors>[number];

const TYPES: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list ([…])',
  object: 'an object ({…})',
  null: 'null',
};

const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
const plural = (count: number, one: string) => `${count} ${one}${count === 1 ? '' : 's'}`;

/** The schema a JSON pointer (`#/properties/name`) names inside `root`. */
function schemaAt(root: TSchema, pointer: string): Schema | undefined {
  let node: unknown = root;
  for (const part of pointer.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Schema)[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return node && typeof node === 'object' ? (node as Schema) : undefined;
}

/** The value a JSON pointer (`/edge/0/method`) names inside `value`. */
function valueAt(value: unknown, pointer: string): unknown {
  let node = value;
  for (const part of pointer.split('/').filter(Boolean)) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Schema)[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return node;
}

/** One error in words, or undefined when another error of the list says it already. */
function messageOf(root: TSchema, value: unknown, error: SchemaError): string | undefined {
  const { keyword, params, schemaPath, instancePath } = error;
  const p = params as Record<string, unknown>;
  switch (keyword) {
    case 'pattern': {
      const words = schemaAt(root, schemaPath)?.[PATTERN_MESSAGE];
      const message = typeof words === 'string' ? words : UNEXPECTED_FORMAT;
      // A key of a map (settings.own) checked by `propertyNames`: its name is what is wrong.
      return schemaPath.endsWith('/propertyNames') ? `is not a valid name: ${message}` : message;
    }
    case 'const':
      return `must be ${show(p.allowedValue)}`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map(show).join(', ')}`;
    case 'type':
      return `must be ${TYPES[String(p.type)] ?? String(p.type)}`;
    case 'minimum':
      return `must be at least ${p.limit}`;
    case 'maximum':
      return `must be at most ${p.limit}`;
    case 'exclusiveMinimum':
      return `must be more than ${p.limit}`;
    case 'exclusiveMaximum':
      return `must be less than ${p.limit}`;
    case 'minLength':
      return p.limit === 1
        ? 'must not be empty'
        : `must be at least ${plural(Number(p.limit), 'character')}`;
    case 'maxLength':
      return `must be at most ${plural(Number(p.limit), 'character')}`;
    case 'minItems':
      return p.limit === 1
        ? 'must not be empty'
        : `must list at least ${plural(Number(p.limit), 'item')}`;
    case 'maxItems':
      return `must list at most ${plural(Number(p.limit), 'item')}`;
    case 'uniqueItems': {
      const list = valueAt(value, instancePath);
      const repeated = (p.duplicateItems as number[] | undefined)
        ?.map((index) => (Array.isArray(list) ? show(list[index]) : undefined))
        .filter((item) => item !== undefined);
      return repeated?.length
        ? `must not list ${[...new Set(repeated)].join(', ')} twice`
        : 'must not list an item twice';
    }
    case 'required':
      return `must have ${(p.requiredProperties as string[]).join(', ')}`;
    case 'additionalProperties': {
      // A map whose names have a pattern (settings.own): the name's own error says it.
      if (schemaAt(root, schemaPath)?.propertyNames) return undefined;
      const names = p.additionalProperties as string[];
      return `has no field${names.length > 1 ? 's' : ''} named ${names.join(', ')}`;
    }
    // The false schema of `additionalProperties: false`, and `propertyNames`' summary: each is
    // said by the error above or the names' own.
    case 'boolean':
      return schemaPath.endsWith('/additionalProperties') ? undefined : 'is not allowed';
    case 'propertyNames':
      return undefined;
    case 'not':
      return 'is not allowed';
    case 'anyOf':
    case 'oneOf':
      return 'does not match any of the accepted shapes';
    default:
      return error.message;
  }
}

/**
 * What is wrong with `value` against `schema`, one line per problem (`/edge/0/method must be
 * one of GET, POST, …`), in words: a pattern by its `x-pattern-message`, a choice among
 * constants as one list, an unknown field by its name.
 */
export function schemaProblems(schema: TSchema, value: unknown): string[] {
  const errors = [...Value.Errors(schema, value)];
  const absorbed = new Set<SchemaError>();
  const replaced = new Map<SchemaError, string>();
  for (const anyOf of errors) {
    if (anyOf.keyword !== 'anyOf') continue;
    const branches = errors.filter(
      (e) =>
        e.instancePath === anyOf.instancePath &&
        e.schemaPath.startsWith(`${anyOf.schemaPath}/anyOf/`),
    );
    if (!branches.length || !branches.every((e) => e.keyword === 'const')) continue;
    for (const branch of branches) absorbed.add(branch);
    replaced.set(
      anyOf,
      `must be one of ${branches.map((e) => show((e.params as Record<string, unknown>).allowedValue)).join(', ')}`,
    );
  }
  const lines: string[] = [];
  for (const error of errors) {
    if (absorbed.has(error)) continue;
    const message = replaced.get(error) ?? messageOf(schema, value, error);
    if (message === undefined) continue;
    const line = `${error.instancePath || '/'} ${message}`;
    if (!lines.includes(line)) lines.push(line);
  }
  return lines;
}
