import type { HostileOperation } from './hostile-operations.ts';
import {
  containersOf,
  exampleOf,
  fieldsOf,
  multipartOf,
  topLevelFields,
  withAt,
} from './hostile-schema.ts';
import {
  AUTHORIZATIONS,
  CONTENT_TYPES,
  FIELD_VALUES,
  LARGE_FIELD_VALUES,
  LARGE_URL_VALUES,
  ODD_HEADERS,
  ODD_QUERIES,
  PATH_VALUES,
  QUERY_VALUES,
  RAW_BODIES,
} from './hostile-values.ts';

/** One request of the hostile-input sweep (hostile-input.ts): made here, sent there. */
export interface HostileProbe {
  /** What is tried, for the failure list: `POST /main/v1/posts body = invalid JSON`. */
  label: string;
  method: string;
  /** Path and query, percent-encoded as sent. */
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** The only right status (413 for a body over the limit). */
  expect?: number;
  /** Send the caller's Authorization header unless the probe sets its own. */
  authorized: boolean;
}

/**
 * Every hostile probe for `op`. `pathValues` names real ids (an existing post) so that what
 * comes after the path is read and used, not turned away because its resource does not exist.
 */
export function hostileProbes(
  op: HostileOperation,
  options: {
    pathValues?: Record<string, string>;
    bodyLimit: number;
    body?: unknown;
    /** Query parameters every probe starts from, e.g. `type=funnel&steps=a,b`. */
    baseQuery?: string;
    /**
     * Also 1 MB values, 50 000-deep JSON, and the body itself and every field the schema declares
     * to depth 3 given each value (slow in process; the gateway's sweep sends them).
     */
    thorough?: boolean;
    /** Also every field the schema declares below the top level, to depth 3 (not the body itself). */
    nested?: boolean;
    /**
     * Each value once per operation and place, the fields taking turns (value i in the i-th field,
     * round and round), instead of every value in every field: for a sweep through a proxy, which
     * carries a query string and a body as they are, whatever field a value is in (the services'
     * own sweeps send every value to every field). Path parameters still get every value each.
     */
    spread?: boolean;
  },
): HostileProbe[] {
  const name = `${op.method} ${op.path}`;
  const path = (override?: [string, string]) =>
    op.path.replace(/\{([^}]+)\}/g, (_, key: string) =>
      override?.[0] === key ? override[1] : encodeURIComponent(options.pathValues?.[key] ?? 'x'),
    );
  const nameOf = (pair: string) => pair.split('=')[0]!;
  const given = options.baseQuery ? options.baseQuery.split('&') : [];
  const required = [
    ...given,
    ...op.query
      .filter((p) => p.required && !given.some((g) => nameOf(g) === p.name))
      .map((p) => `${p.name}=${encodeURIComponent(String(exampleOf(p.schema)))}`),
  ];
  const query = (...pairs: string[]) => {
    const named = new Set(pairs.map((p) => nameOf(p).replace(/%5B.*$/, '')));
    const all = [...required.filter((r) => !named.has(nameOf(r))), ...pairs];
    return all.length ? `?${all.join('&')}` : '';
  };
  const readsBody = op.method !== 'GET';
  const baseBody = options.body ?? (op.body ? exampleOf(op.body.schema) : undefined);
  const jsonBody = op.body?.type === 'json' ? JSON.stringify(baseBody) : undefined;
  const base = (): Omit<HostileProbe, 'label'> => ({
    method: op.method,
    url: path() + query(),
    headers: jsonBody ? { 'content-type': 'application/json' } : {},
    ...(jsonBody ? { body: jsonBody } : {}),
    authorized: true,
  });
  const probes: HostileProbe[] = [];
  const labels = new Set<string>();
  const add = (label: string, probe: Partial<HostileProbe>) => {
    if (labels.has(label)) return;
    labels.add(label);
    const sent = { ...base(), ...probe, label: `${name} ${label}` };
    // A string longer than the limit is over it in any encoding: no need to measure its bytes.
    const over =
      sent.body !== undefined &&
      ((typeof sent.body === 'string' && sent.body.length > options.bodyLimit) ||
        Buffer.byteLength(sent.body) > options.bodyLimit);
    probes.push(over ? { ...sent, expect: 413 } : sent);
  };
  const large = options.thorough ? LARGE_URL_VALUES : [];
  const fieldValues = options.thorough ? [...FIELD_VALUES, ...LARGE_FIELD_VALUES] : FIELD_VALUES;
  /** Whether the `index`-th value goes to the `slot`-th of `count` fields. */
  const sends = (index: number, slot: number, count: number) =>
    !options.spread || index % count === slot;

  for (const param of op.pathParams) {
    for (const [label, value] of [...PATH_VALUES, ...large]) {
      add(`path ${param} = ${label}`, { url: path([param, value]) + query() });
    }
  }
  for (const [slot, param] of op.query.entries()) {
    const n = op.query.length;
    for (const [index, [label, value]] of [...QUERY_VALUES, ...large].entries()) {
      if (!sends(index, slot, n)) continue;
      add(`query ${param.name} = ${label}`, { url: path() + query(`${param.name}=${value}`) });
    }
    const shapes: [string, string[]][] = [
      ['repeated', [`${param.name}=1`, `${param.name}=2`]],
      ['[]', [`${param.name}%5B%5D=1`]],
      ['[a]', [`${param.name}%5Ba%5D=1`]],
      ['without =', [param.name]],
    ];
    for (const [index, [label, pairs]] of shapes.entries()) {
      if (!sends(index, slot, n)) continue;
      add(`query ${param.name}${label.startsWith('[') ? '' : ' '}${label}`, {
        url: path() + query(...pairs),
      });
    }
  }
  for (const [label, text] of ODD_QUERIES) {
    add(`query ${label}`, { url: `${path()}${query()}${query() ? '&' : '?'}${text}` });
  }
  for (const [label, value] of AUTHORIZATIONS) {
    add(`Authorization ${label}`, { headers: { ...base().headers, authorization: value } });
  }
  for (const [label, headers] of ODD_HEADERS) {
    add(`header ${label}`, { headers: { ...base().headers, ...headers } });
  }
  if (!readsBody) return probes;

  const body = jsonBody ?? '{}';
  for (const [label, type] of CONTENT_TYPES) {
    add(`content-type ${label}`, {
      headers: type === undefined ? {} : { 'content-type': type },
      body,
    });
  }
  const json = { 'content-type': 'application/json' };
  for (const [label, text] of RAW_BODIES) add(`body ${label}`, { headers: json, body: text });
  add('body over the limit', { headers: json, body: overLimit(options.bodyLimit) });
  add('empty body with a JSON content-length', {
    headers: { ...json, 'content-length': '0' },
    body: '',
  });
  if (op.body?.type === 'multipart') {
    const form = { 'content-type': 'multipart/form-data; boundary=b' };
    const fields = topLevelFields(op.body.schema);
    for (const [slot, field] of fields.entries()) {
      for (const [index, [label, value]] of fieldValues.entries()) {
        if (!sends(index, slot, fields.length)) continue;
        const text = value.startsWith('"') ? (JSON.parse(value) as string) : value;
        const parts = { ...(baseBody as object), [field]: text };
        add(`body ${field} = ${label}`, { headers: form, body: multipartOf(parts) });
      }
    }
    add('body JSON where multipart is expected', { headers: json, body: '{"file":"x"}' });
    add('body multipart with no parts', {
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
      body: '--b--\r\n',
    });
    add('body multipart cut short', {
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
      body: '--b\r\ncontent-disposition: form-data; name="file"; filename="a.png"\r\n\r\nabc',
    });
    add('body multipart with a NUL in the field name', {
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
      body: '--b\r\ncontent-disposition: form-data; name="fi\u0000le"\r\n\r\nabc\r\n--b--\r\n',
    });
    add('body multipart with two files', {
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
      body: `${['a', 'b'].map((n) => `--b\r\ncontent-disposition: form-data; name="file"; filename="${n}.png"\r\ncontent-type: image/png\r\n\r\n\x89PNG\r\n`).join('')}--b--\r\n`,
    });
    return probes;
  }
  if (op.body?.type !== 'json') return probes;
  const SENTINEL = JSON.stringify('\u0001hostile\u0001');
  const schema = op.body.schema;
  const at = (path: (string | number)[], value: string) =>
    JSON.stringify(withAt(baseBody, path, '\u0001hostile\u0001', schema)).replace(SENTINEL, value);
  // Every top-level field the schema declares (nested: the nested ones too; thorough: and the body).
  const fields = fieldsOf(schema).filter(
    (f) => options.thorough || f.length === 1 || (options.nested && f.length > 1),
  );
  for (const [slot, field] of fields.entries()) {
    const where = field.length ? field.join('.') : '(root)';
    for (const [index, [label, value]] of fieldValues.entries()) {
      if (!sends(index, slot, fields.length)) continue;
      add(`body ${where} = ${label}`, { headers: json, body: at(field, value) });
    }
  }
  // Inside the example's objects and arrays (a batch's messages, free-form properties).
  for (const [path, value] of containersOf(baseBody)) {
    const where = path.length ? path.join('.') : '(root)';
    if (Array.isArray(value)) {
      add(`body ${where} with a string item`, {
        headers: json,
        body: at([...path, value.length], '"x"'),
      });
      continue;
    }
    const key = [...path, 'hostile_key'];
    const named = (name: string) => at(key, '1').replace('"hostile_key"', name);
    add(`body ${where} with a key with an escaped NUL`, {
      headers: json,
      body: named('"k\\u0000"'),
    });
    add(`body ${where} with a key with a lone surrogate`, {
      headers: json,
      body: named('"k\\udfff"'),
    });
    add(`body ${where} with __proto__`, {
      headers: json,
      body: at(key, '{"hostilePolluted":1}').replace('"hostile_key"', '"__proto__"'),
    });
    add(`body ${where} with constructor`, {
      headers: json,
      body: at(key, '{"prototype":{"hostilePolluted":1}}').replace(
        '"hostile_key"',
        '"constructor"',
      ),
    });
    add(`body ${where} with 99-deep JSON`, { headers: json, body: at(key, nested(99)) });
    add(`body ${where} with 101-deep JSON`, { headers: json, body: at(key, nested(101)) });
    if (!path.length) continue;
    const names = Object.keys(value);
    for (const [slot, name] of names.entries()) {
      for (const [index, [label, text]] of fieldValues.entries()) {
        if (!sends(index, slot, names.length)) continue;
        add(`body ${where}.${name} = ${label}`, { headers: json, body: at([...path, name], text) });
      }
    }
  }
  add('body with an unknown field', {
    headers: json,
    body: JSON.stringify({ ...(baseBody as object), hostile_unknown: 'x' }),
  });
  return probes;
}

/**
 * A JSON body over `limit`, made once per limit: a 5–6 MB string made and measured again for
 * every operation was most of the CPU a service's sweep spent making its probes (1.6 s of auth's).
 */
function overLimit(limit: number): string {
  let body = overLimitBodies.get(limit);
  if (body === undefined) {
    body = JSON.stringify({ big: 'x'.repeat(limit) });
    overLimitBodies.set(limit, body);
  }
  return body;
}
const overLimitBodies = new Map<number, string>();

const nested = (depth: number) => `${'{"d":'.repeat(depth)}1${'}'.repeat(depth)}`;
