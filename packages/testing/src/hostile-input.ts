import assert from 'node:assert/strict';
import { type HostileOperation, hostileOperations } from './hostile-operations.ts';
import { type HostileProbe, hostileProbes } from './hostile-probes.ts';
import type { Schema } from './hostile-schema.ts';

/**
 * Hostile requests generated from a service's OpenAPI 3.1 document, for a per-service sweep run
 * in process (`app.inject`): every operation gets, at each place a client controls (path, query,
 * headers, body, content type), what a careless or hostile client sends: bad escapes, NUL and
 * lone surrogates (also in JSON keys), prototype keys, arrays for scalars, overflowing and
 * non-finite numbers, 10 000-deep JSON, odd content types, bodies over the limit and bad
 * Authorization headers. The answer must never be a 5xx or a hang, and every 4xx is a
 * problem+json with a code. The operations are read in hostile-operations.ts, the probes
 * made in hostile-probes.ts from the values in hostile-values.ts and the schema walking in
 * hostile-schema.ts; `thorough` adds 1 MB values, 50 000-deep JSON and every nested field (the
 * gateway's sweep through the whole stack uses it, the services' in-process sweeps do not).
 */

export { type HostileOperation, hostileOperations, internal } from './hostile-operations.ts';
export { type HostileProbe, hostileProbes } from './hostile-probes.ts';

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
    /** Every nested field too, to depth 3 (see `hostileProbes`); `thorough` includes it. */
    nested?: boolean | ((op: HostileOperation) => boolean);
    /** Each value once per operation and place, the fields taking turns (see `hostileProbes`). */
    spread?: boolean;
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
      nested: typeof options.nested === 'function' ? options.nested(op) : !!options.nested,
      spread: !!options.spread,
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
