import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { closeAtEnd, startGateway } from './helpers.ts';
import { operationsOf, requestsFor, type SweepRequest } from './malformed-requests.ts';
import { eventually, post, signUp, startAuthService, startService } from './services.ts';

/**
 * Every operation of the three OpenAPI documents, each parameter and body field given NUL, a
 * lone surrogate, huge and non-finite numbers, wrong types and 1 MB strings, through the real
 * gateway to the real services: never a 5xx, never a reset connection, always problem+json.
 */
const DOCUMENTS = ['accounts', 'main', 'analytics'];
const ADMIN = { email: 'sweep-admin@example.com', password: 'sweep admin password' };
const SERVICE_TOKEN = 'sweep-service-token-0123456789abcdef';
const CONCURRENCY = 4;
const CODE = /^[a-z][a-z0-9_]*$/;

describe('malformed input never makes a service fail', () => {
  const { cleanup } = closeAtEnd();
  let url: string;
  let admin: () => Promise<string>;
  const pathValues: Record<string, Record<string, string>> = {};

  before(async () => {
    const auth = await startAuthService({
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      LOGIN_MAX_FAILURES_PER_ADDRESS: '1000000',
    });
    cleanup(auth.stop);
    const env = { AUTH_URL: auth.url, SERVICE_TOKEN };
    const [main, analytics] = await Promise.all([
      startService('main', env),
      startService('analytics', env),
    ]);
    cleanup(main.stop, analytics.stop);
    const started = await startGateway(
      {
        AUTH_URLS: auth.url,
        MAIN_URLS: main.url,
        ANALYTICS_URLS: analytics.url,
        HEALTH_INTERVAL_MS: 500,
        // Limits would hide what the services answer.
        RATE_LIMIT_PER_ADDRESS: 1_000_000,
        RATE_LIMIT_PER_USER: 1_000_000,
        RATE_LIMIT_LOGIN: 1_000_000,
        RATE_LIMIT_REGISTER: 1_000_000,
        RATE_LIMIT_PASSWORD_RESET: 1_000_000,
      },
      { auth: 'real' },
    );
    cleanup(() => started.app.close());
    url = started.url;
    await eventually(async () => (await fetch(`${url}/health`)).status === 200, 30_000);

    // A session of its own for each operation: one that ends it (logout) ends no other's.
    admin = async () => {
      const login = await post(`${url}/accounts/v1/login`, ADMIN);
      assert.equal(login.status, 200, await login.clone().text());
      return ((await login.json()) as { access_token: string }).access_token;
    };
    const token = await admin();
    const create = async (path: string, body: unknown) => {
      const response = await post(`${url}${path}`, body, { authorization: `Bearer ${token}` });
      assert.equal(response.status, 201, await response.clone().text());
      return (await response.json()) as Record<string, { id: string }>;
    };
    const { category } = await create('/main/v1/categories', { name: 'Sweep' });
    const { post: existing } = await create('/main/v1/posts', { title: 'Sweep', body: 'text' });
    const user = await signUp(url);
    pathValues['/main/v1/posts/'] = { id: existing!.id };
    pathValues['/main/v1/categories/'] = { id: category!.id };
    pathValues['/accounts/v1/users/'] = { id: user.id };
  });

  for (const name of DOCUMENTS) {
    test(`every operation of /${name}/v1/openapi.json refuses malformed input cleanly`, async () => {
      const doc = (await (await fetch(`${url}/${name}/v1/openapi.json`)).json()) as object;
      const failures: string[] = [];
      let sent = 0;
      for (const op of operationsOf(doc)) {
        const prefix = Object.keys(pathValues).find((p) => op.path.startsWith(p));
        const requests = requestsFor(op, prefix ? pathValues[prefix]! : {});
        const token = await admin();
        const callers = op.open ? [token, undefined] : [token];
        const jobs = callers.flatMap((t) => requests.map((r) => () => attempt(url, r, t)));
        sent += jobs.length;
        for (const fault of await pool(jobs, CONCURRENCY)) if (fault) failures.push(fault);
      }
      assert.ok(sent > 0);
      assert.deepEqual(failures, [], `${failures.length} of ${sent} requests failed`);
    });
  }
});

/** Sends one request; a description of what was wrong with the answer, if anything. */
async function attempt(base: string, request: SweepRequest, token?: string) {
  const who = token ? 'admin' : 'anonymous';
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (typeof request.body === 'string') headers['content-type'] = 'application/json';
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${base}${request.url}`, {
      method: request.method,
      headers,
      ...(request.body !== undefined && request.method !== 'GET' ? { body: request.body } : {}),
    });
    text = await response.text();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return `${request.label} (${who}): connection failed: ${cause?.code ?? cause?.message ?? error}`;
  }
  const fault = problemFault(response, text, request);
  return fault && `${request.label} (${who}): ${fault}`;
}

function problemFault(response: Response, text: string, request: SweepRequest) {
  const { status } = response;
  if (status >= 500) return `${status} ${text.slice(0, 200)}`;
  if (request.tooLarge && status !== 413) return `${status} instead of 413`;
  if (status < 400) return undefined;
  if (!/^application\/problem\+json/.test(response.headers.get('content-type') ?? '')) {
    return `${status} without problem+json: ${text.slice(0, 200)}`;
  }
  let problem: Record<string, unknown>;
  try {
    problem = JSON.parse(text);
  } catch {
    return `${status} with a body that is not JSON`;
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

/** Runs `jobs` with at most `limit` at a time; their results in order. */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await jobs[index]!();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}
