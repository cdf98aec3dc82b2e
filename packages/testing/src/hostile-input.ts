import assert from 'node:assert/strict';
import {
  containersOf,
  deref,
  exampleOf,
  fieldsOf,
  multipartOf,
  type Schema,
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

/**
 * Hostile requests generated from a service's OpenAPI 3.1 document, for a per-service sweep run
 * in process (`app.inject`): every operation gets, at each place a client controls (path, query,
 * headers, body, content type), what a careless or hostile client sends: bad escapes, NUL and
 * lone surrogates (also in JSON keys), prototype keys, arrays for scalars, overflowing and
 * non-finite numbers, 10 000-deep JSON, odd content types, bodies over the limit and bad
 * Authorization headers. The answer must never be a 5xx or a hang, and every 4xx is a
 * problem+json with a code. The values are in hostile-values.ts, the schema walking in
 * hostile-schema.ts; `thorough` adds 1 MB values, 50 000-deep JSON and every nested field (the
 * gateway's sweep through the whole stack uses it, the services' in-process sweeps do not).
 */

export interface HostileOperation {
  method: string;
  /** The path template, e.g. `/main/v1/posts/{id}`. */
  path: string;
  /** Anyone may call it (no security requirement, or an empty alternative). */
  open: boolean;
  pathParams: string[];
  query: { name: string; required: boolean; schema: Schema }[];
  body?: { type: 'json' | 'multipart'; schema: Schema };
  /** The problem codes its OpenAPI responses document (none given: not checked). */
  codes?: Set<string>;
}

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

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export function hostileOperations(doc: Schema): HostileOperation[] {
  const resolve = (schema: Schema): Schema => {
    let current = schema;
    for (let i = 0; i < 10 && typeof current?.$ref === 'string'; i++) {
      const parts = (current.$ref as string).replace(/^#\//, '').split('/');
      current = parts.reduce<Schema>((node, key) => node?.[key], doc) ?? {};
    }
    return current ?? {};
  };
  const operations: HostileOperation[] = [];
  for (const [path, item] of Object.entries<Schema>(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const security: Schema[] | undefined = op.security ?? doc.security;
      const params: Schema[] = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(resolve);
      const content = op.requestBody?.content ?? {};
      const json = content['application/json']?.schema;
      const multipart = content['multipart/form-data']?.schema;
      const codes = new Set<string>();
      for (const response of Object.values<Schema>(op.responses ?? {})) {
        const problem = resolve(
          resolve(response).content?.['application/problem+json']?.schema ?? {},
        );
        for (const code of resolve(problem.properties?.code ?? {}).enum ?? []) codes.add(code);
      }
      operations.push({
        method: method.toUpperCase(),
        path,
        codes,
        open: !security || security.length === 0 || security.some((s) => !Object.keys(s).length),
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, required: !!p.required, schema: resolve(p.schema ?? {}) })),
        ...(json
          ? { body: { type: 'json' as const, schema: deref(json, resolve) } }
          : multipart
            ? { body: { type: 'multipart' as const, schema: deref(multipart, resolve) } }
            : {}),
      });
    }
  }
  return operations;
}

/** An operation no document lists (an internal route), with its JSON body's top-level fields. */
export function internal(
  method: string,
  path: string,
  fields?: Record<string, Schema>,
  query: string[] = [],
): HostileOperation {
  return {
    method,
    path,
    open: false,
    pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
    query: query.map((name) => ({ name, required: false, schema: {} })),
    ...(fields
      ? { body: { type: 'json' as const, schema: { type: 'object', properties: fields } } }
      : {}),
  };
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
    const over = sent.body !== undefined && Buffer.byteLength(sent.body) > options.bodyLimit;
    probes.push(over ? { ...sent, expect: 413 } : sent);
  };
  const large = options.thorough ? LARGE_URL_VALUES : [];
  const fieldValues = options.thorough ? [...FIELD_VALUES, ...LARGE_FIELD_VALUES] : FIELD_VALUES;

  for (const param of op.pathParams) {
    for (const [label, value] of [...PATH_VALUES, ...large]) {
      add(`path ${param} = ${label}`, { url: path([param, value]) + query() });
    }
  }
  for (const param of op.query) {
    for (const [label, value] of [...QUERY_VALUES, ...large]) {
      add(`query ${param.name} = ${label}`, { url: path() + query(`${param.name}=${value}`) });
    }
    add(`query ${param.name} repeated`, {
      url: path() + query(`${param.name}=1`, `${param.name}=2`),
    });
    add(`query ${param.name}[]`, { url: path() + query(`${param.name}%5B%5D=1`) });
    add(`query ${param.name}[a]`, { url: path() + query(`${param.name}%5Ba%5D=1`) });
    add(`query ${param.name} without =`, { url: path() + query(param.name) });
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
  add('body over the limit', {
    headers: json,
    body: JSON.stringify({ big: 'x'.repeat(options.bodyLimit) }),
  });
  add('empty body with a JSON content-length', {
    headers: { ...json, 'content-length': '0' },
    body: '',
  });
  if (op.body?.type === 'multipart') {
    const form = { 'content-type': 'multipart/form-data; boundary=b' };
    for (const field of topLevelFields(op.body.schema)) {
      for (const [label, value] of fieldValues) {
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
  // Every top-level field the schema declares (thorough: the body and nested fields too).
  for (const field of fieldsOf(schema).filter((f) => options.thorough || f.length === 1)) {
    const where = field.length ? field.join('.') : '(root)';
    for (const [label, value] of fieldValues) {
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
    for (const name of Object.keys(value)) {
      for (const [label, text] of fieldValues) {
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

const nested = (depth: number) => `${'{"d":'.repeat(depth)}1${'}'.repeat(depth)}`;

const CODE = /^[a-z][a-z0-9_]*$/;

/** What is wrong with an answer to `probe`, if anything. */
export function answerFault(
  probe: Pick<HostileProbe, 'expect'>,
  status: number,
  contentType: string | undefined,
  text: string,
): string | undefined {
  if (status >= 500) return `${status} ${text.slice(0, 200)}`;
  if (probe.expect !== undefined && status !== probe.expect) {
    return `${status} instead of ${probe.expect}: ${text.slice(0, 200)}`;
  }
  if (status < 400) return undefined;
  if (!/^application\/problem\+json/.test(contentType ?? '')) {
    return `${status} without problem+json (${contentType}): ${text.slice(0, 200)}`;
  }
  let problem: Record<string, unknown>;
  try {
    problem = JSON.parse(text);
  } catch {
    return `${status} with a body that is not JSON: ${text.slice(0, 200)}`;
  }
  const errors = problem.errors;
  const wellFormed =
    typeof problem.type === 'string' &&
    typeof problem.title === 'string' &&
    problem.status === status &&
    typeof problem.code === 'string' &&
    CODE.test(problem.code) &&
    typeof problem.detail === 'string' &&
    typeof problem.request_id === 'string' &&
    (errors === undefined ||
      (Array.isArray(errors) &&
        errors.every((e) => typeof e?.field === 'string' && typeof e?.message === 'string')));
  return wellFormed ? undefined : `${status} with a malformed problem: ${text.slice(0, 300)}`;
}

interface Injectable {
  inject(options: {
    method: string;
    url: string;
    headers: Record<string, string>;
    payload?: string | Buffer;
  }): PromiseLike<{ statusCode: number; headers: Record<string, unknown>; body: string }>;
}

/** The longest a probe may take before it counts as a hang. */
const HANG_MS = 20_000;

/**
 * Sends every probe of every operation of `doc` to `app` in process, a few at a time; the list
 * of what went wrong (empty when every answer was sane). `authorization(op)` is the header a
 * signed-in caller sends (an admin's), asked again after a 401 in case a probe (a logout) ended it.
 */
export async function sweepHostileInput(
  app: Injectable,
  doc: Schema,
  options: {
    pathValues?: (op: HostileOperation) => Record<string, string>;
    /** A valid body for operations whose schema alone does not give one (`POST /a/v1/b`). */
    bodies?: Record<string, unknown>;
    /** Further query strings to start the query probes of an operation from (`GET /a/v1/b`). */
    variants?: Record<string, string[]>;
    authorization: (op: HostileOperation, stale?: string) => Promise<string | undefined>;
    /** The largest body an operation takes (a probe over it must be answered 413). */
    bodyLimit: number | ((op: HostileOperation) => number);
    /** The probes of an operation anyone may call that are sent without Authorization too. */
    anonymous?: (probe: HostileProbe, op: HostileOperation) => boolean;
    /** 1 MB values, 50 000-deep JSON, nested fields (see `hostileProbes`). */
    thorough?: boolean;
    /** Probes left out (a quick subset for most operations, all of a few). */
    only?: (probe: HostileProbe, op: HostileOperation) => boolean;
    /** Operations left out (a logout would end the caller's session in the middle). */
    skip?: (op: HostileOperation) => boolean;
    concurrency?: number;
    /** Headers every probe carries unless it sets them (`x-service-token` for internal routes). */
    headers?: Record<string, string>;
    /** Operations no document lists (internal routes), probed instead of the document's. */
    operations?: HostileOperation[];
  },
): Promise<{ sent: number; faults: string[]; answers: Map<string, string> }> {
  const answers = new Map<string, string>();
  const jobs: (() => Promise<string | undefined>)[] = [];
  // Deletions last, so that the resources in `pathValues` are there for every other probe.
  const operations = options.operations ?? hostileOperations(doc);
  const ordered = [
    ...operations.filter((op) => op.method !== 'DELETE'),
    ...operations.filter((op) => op.method === 'DELETE'),
  ];
  const firstDeletion = new Map<number, boolean>();
  for (const op of ordered) {
    if (op.method === 'DELETE' && !firstDeletion.size) firstDeletion.set(jobs.length, true);
    if (options.skip?.(op)) continue;
    const pathValues = options.pathValues?.(op) ?? {};
    const key = `${op.method} ${op.path}`;
    const body = options.bodies?.[key];
    const bodyLimit =
      typeof options.bodyLimit === 'number' ? options.bodyLimit : options.bodyLimit(op);
    const given = {
      pathValues,
      bodyLimit,
      thorough: !!options.thorough,
      ...(body ? { body } : {}),
    };
    const probes = hostileProbes(op, given);
    // The query probes again from each further starting point (each report type).
    for (const baseQuery of options.variants?.[key] ?? []) {
      for (const probe of hostileProbes(op, { ...given, baseQuery })) {
        if (probe.label.includes(' query '))
          probes.push({ ...probe, label: `${probe.label} (${baseQuery})` });
      }
    }
    const chosen = probes.filter((probe) => options.only?.(probe, op) ?? true);
    const anonymous = chosen.filter((probe) => op.open && options.anonymous?.(probe, op));
    const sends = [
      ...chosen.map((p) => [p, true] as const),
      ...anonymous.map((p) => [p, false] as const),
    ];
    for (const [probe, signedIn] of sends) {
      const label = signedIn ? probe.label : `${probe.label} (anonymous)`;
      jobs.push(async () => {
        const send = async (authorization?: string) => {
          const headers = { ...options.headers, ...probe.headers };
          if (probe.authorized && authorization && headers.authorization === undefined) {
            headers.authorization = authorization;
          }
          let timer: NodeJS.Timeout | undefined;
          const hang = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer in ${HANG_MS} ms`)), HANG_MS);
          });
          try {
            return await Promise.race([
              app.inject({
                method: probe.method,
                url: probe.url,
                headers,
                ...(probe.body !== undefined ? { payload: probe.body } : {}),
              }),
              hang,
            ]);
          } finally {
            clearTimeout(timer);
          }
        };
        try {
          const authorization = signedIn ? await options.authorization(op) : undefined;
          const started = performance.now();
          let answer = await send(authorization);
          if (
            answer.statusCode === 401 &&
            authorization &&
            probe.headers.authorization === undefined
          ) {
            const renewed = await options.authorization(op, authorization);
            if (renewed !== authorization) answer = await send(renewed);
          }
          const ms = Math.round(performance.now() - started);
          answers.set(label, `${answer.statusCode} in ${ms} ms: ${answer.body.slice(0, 160)}`);
          const fault =
            answerFault(
              probe,
              answer.statusCode,
              String(answer.headers['content-type'] ?? ''),
              answer.body,
            ) ?? undocumented(op, answer);
          return fault && `${label}: ${fault}`;
        } catch (error) {
          return `${label}: ${(error as Error).message}`;
        }
      });
    }
  }
  const faults: string[] = [];
  const run = async (phase: (() => Promise<string | undefined>)[]) => {
    let next = 0;
    const worker = async () => {
      while (next < phase.length) {
        const fault = await phase[next++]!();
        if (fault) faults.push(fault);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  };
  const split = [...firstDeletion.keys()][0] ?? jobs.length;
  await run(jobs.slice(0, split));
  await run(jobs.slice(split));
  // HOSTILE_ANSWERS=1 lists every probe with its answer, to see how deep the probes reach.
  if (process.env.HOSTILE_ANSWERS) {
    for (const [label, answer] of answers) console.log(`${label} => ${answer}`);
  }
  return { sent: jobs.length, faults, answers };
}

/** The answer's problem code, when the operation answered it and its document does not list it. */
function undocumented(
  op: HostileOperation,
  answer: { statusCode: number; headers: Record<string, unknown>; body: string },
): string | undefined {
  if (answer.statusCode < 400) return undefined;
  // Only the operation's own answers: a probe may have reached another route, or none.
  const route = answer.headers['x-internal-route'];
  if (route !== op.path.replace(/\{([^}]+)\}/g, ':$1')) return undefined;
  const { code } = JSON.parse(answer.body) as { code: string };
  return !op.codes || op.codes.has(code)
    ? undefined
    : `${answer.statusCode} ${code}, which the operation does not document: ${answer.body.slice(0, 200)}`;
}

/**
 * What every sweep asserts at its end: at least `atLeast` probes went out and none failed, none
 * polluted Object.prototype (the probes name `hostilePolluted`), and the app still answers its
 * health checks.
 */
export async function assertSweepClean(
  app: Injectable,
  result: { sent: number; faults: string[] },
  atLeast: number,
): Promise<void> {
  const { sent, faults } = result;
  assert.ok(sent > atLeast, `only ${sent} probes`);
  assert.equal(
    faults.length,
    0,
    `${faults.length} of ${sent} failed:\n${faults.slice(0, 80).join('\n')}`,
  );
  assert.equal(({} as Record<string, unknown>).hostilePolluted, undefined);
  for (const url of ['/health/live', '/health/ready']) {
    assert.equal((await app.inject({ method: 'GET', url, headers: {} })).statusCode, 200, url);
  }
}
