import type { AjvError } from './validation-errors.ts';
import { fault, segment, type Validator } from './validator.ts';

const DIGITS: Record<string, RegExp> = {
  integer: /^-?\d+$/,
  number: /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/,
};

/**
 * Numbers in a query, path or header only as decimal digits: ajv coerces with Number(), which
 * also takes `0x10` (16), `0b11`, ` 5 ` and an empty string (0), so `limit=0x10` was a page of 16.
 * Checked before ajv coerces them; a repeated parameter's every value too. Whatever the shape of
 * the parameter's schema: ajv coerces in every branch of a union (`Type.Union` with a literal or
 * `Type.Null()`), in a list of types (`['integer', 'null']`) and in a registered schema a `$ref`
 * names, which a check of plain `integer`/`number` properties let through.
 */
export function numbersAsWritten(
  schema: unknown,
  validate: Validator,
  resolve: Resolve,
): Validator {
  const root = followRefs(schema, resolve) as { properties?: Record<string, unknown> } | null;
  const properties = root?.properties ?? {};
  const numeric: [string, (text: string) => boolean][] = [];
  for (const [name, property] of Object.entries(properties)) {
    const refuses = notAsWritten(property, resolve);
    if (refuses) numeric.push([name, refuses]);
  }
  if (numeric.length === 0) return validate;
  const check: Validator = (data, context) => {
    const faults: AjvError[] = [];
    if (typeof data === 'object' && data !== null) {
      for (const [name, refuses] of numeric) {
        const value = (data as Record<string, unknown>)[name];
        for (const item of Array.isArray(value) ? value : [value]) {
          if (typeof item === 'string' && refuses(item)) {
            faults.push(fault(`/${segment(name)}`, 'must be a number in decimal digits'));
            break;
          }
        }
      }
    }
    if (faults.length === 0) {
      const valid = validate(data, context);
      check.errors = validate.errors ?? null;
      return valid;
    }
    check.errors = faults;
    return false;
  };
  if (validate.schemaEnv) check.schemaEnv = validate.schemaEnv;
  return check;
}

/** The schema a `$ref` names, if it can be found. */
export type Resolve = (ref: string) => unknown;

/**
 * Finds what a `$ref` names: a schema registered with `addSchema` by its `$id` (Fastify hands
 * them to the compiler by id), or within `root` for a `#/…` pointer, then along the pointer.
 */
export function refs(external: unknown, root: unknown): Resolve {
  const byId = new Map<string, unknown>();
  for (const [key, registered] of Object.entries((external ?? {}) as Record<string, unknown>)) {
    byId.set(key, registered);
    const id = (registered as { $id?: unknown } | null)?.$id;
    if (typeof id === 'string') byId.set(id, registered);
  }
  return (ref) => {
    const hash = ref.indexOf('#');
    const id = hash === -1 ? ref : ref.slice(0, hash);
    let target = id === '' ? root : byId.get(id);
    const pointer = hash === -1 ? '' : ref.slice(hash + 1);
    for (const part of pointer.split('/').slice(1)) {
      const key = decodeURIComponent(part).replaceAll('~1', '/').replaceAll('~0', '~');
      target = (target as Record<string, unknown> | undefined)?.[key];
    }
    return target;
  };
}

/** Refs are followed this deep at most (a ref to a ref…); a loop ends here. */
const MAX_REFS = 10;

function followRefs(schema: unknown, resolve: Resolve): unknown {
  let current = schema;
  for (let i = 0; i < MAX_REFS; i++) {
    const ref = (current as { $ref?: unknown } | null)?.$ref;
    if (typeof ref !== 'string') return current;
    current = resolve(ref);
  }
  return undefined;
}

interface Branch {
  type?: unknown;
  const?: unknown;
  enum?: unknown[];
}

/**
 * The alternatives a parameter's value is coerced against: the branches of `anyOf`/`oneOf`, each
 * type of a list of types, the items of an array (a repeated parameter), each through its refs.
 */
function branchesOf(schema: unknown, resolve: Resolve, out: Branch[] = [], depth = 0): Branch[] {
  const s = followRefs(schema, resolve) as
    | (Branch & { anyOf?: unknown[]; oneOf?: unknown[]; items?: unknown })
    | null
    | undefined;
  if (typeof s !== 'object' || s === null || depth > MAX_REFS) return out;
  const union = [...(s.anyOf ?? []), ...(s.oneOf ?? [])];
  if (union.length > 0) {
    for (const branch of union) branchesOf(branch, resolve, out, depth + 1);
  } else if (Array.isArray(s.type)) {
    for (const type of s.type) branchesOf({ ...s, type }, resolve, out, depth + 1);
  } else if (s.type === 'array') {
    branchesOf(s.items, resolve, out, depth + 1);
  } else {
    out.push(s);
  }
  return out;
}

/**
 * What refuses a parameter's text as not written as a number, when ajv could coerce it to one;
 * undefined for a parameter that is never a number. A number alone must be decimal digits; beside
 * other alternatives (a literal, null), text ajv would read as a number must be, unless it is one
 * of the literals as written: `all` and an empty value (null) pass on to ajv, `0x10` does not.
 */
function notAsWritten(schema: unknown, resolve: Resolve): ((text: string) => boolean) | undefined {
  const branches = branchesOf(schema, resolve);
  const numbers = branches.filter((b) => b.type === 'integer' || b.type === 'number');
  if (numbers.length === 0) return undefined;
  const pattern = numbers.some((b) => b.type === 'number') ? DIGITS.number! : DIGITS.integer!;
  if (numbers.length === branches.length) return (text) => !pattern.test(text);
  const literals = new Set<string>();
  for (const b of branches) {
    if (numbers.includes(b)) continue;
    if ('const' in b) literals.add(String(b.const));
    for (const value of b.enum ?? []) literals.add(String(value));
  }
  // ajv's own test of text it coerces to a number (`data && data == +data`).
  const readAsNumber = (text: string) => text !== '' && !Number.isNaN(Number(text));
  return (text) => !pattern.test(text) && readAsNumber(text) && !literals.has(text);
}
