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
const CONCURRENCY = 4;
const CODE = /^[a-z][a-z0-9_]*$/;

// The documents are swept at once: auth spends its time hashing passwords, the others in SQL.
describe('malformed input never makes a service fail', { concurrency: true }, () => {
  const { cleanup } = closeAtEnd();
  let url: string;
  let admin: AdminSession;
  const pathValues: Record<string, Record<string, string>> = {};

  before(async () => {
    const auth = await startAuthService({
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      // The sweep sends wrong current_password values too: throttling is not what it tests.
      LOGIN_MAX_FAILURES_PER_ADDRESS: '1000000',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000000',
      LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS: '1000000',
      EMAIL_CHANGE_MAX_PER_ACCOUNT: '1000000',
    });
    cleanup(auth.stop);
    const env = { AUTH_URL: auth.url };
    const [main, analytics] = await Promise.all([
      startService('main', env),
      startService('analytics', env),
    ]);
    cleanup(main.stop, analytics.stop);
    const gateway = await startGateway(
      {
        AUTH_URLS: auth.url,
        MAIN_URLS: main.url,
        ANALYTICS_URLS: analytics.url,
        // The services are ready before the gateway starts; a poll slowed down by a loaded
        // machine must not take one out in the middle of the sweep.
        HEALTH_INTERVAL_MS: 600_000,
        // Limits would hide what the services answer.
        RATE_LIMIT_PER_ADDRESS: 1_000_000,
        RATE_LIMIT_PER_USER: 1_000_000,
        RATE_LIMIT_LOGIN: 1_000_000,
        RATE_LIMIT_REGISTER: 1_000_000,
        RATE_LIMIT_PASSWORD_RESET: 1_000_000,
      },
      { auth: 'real' },
    );
    cleanup(() => gateway.app.close());
    url = gateway.url;
    await eventually(async () => (await fetch(`${url}/health`)).status === 200, 30_000);

    admin = adminSession(url);
    const token = await admin.token();
    const create = async (path: string, body: unknown) => {
      const response = await post(`${url}${path}`, body, bearer(token));
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
        const callers = op.open ? [admin, undefined] : [admin];
        const jobs = callers.flatMap((c) => requests.map((r) => () => attempt(url, r, c)));
        sent += jobs.length;
        for (const fault of await pool(jobs, CONCURRENCY)) if (fault) failures.push(fault);
      }
      assert.ok(sent > 0);
      const listed = failures.slice(0, 80).join('\n');
      assert.equal(failures.length, 0, `${failures.length} of ${sent} requests failed:\n${listed}`);
    });
  }

  test('NUL, lone surrogates, bad escapes and non-finite numbers are 400s naming the field', async () => {
    const cases: [string, string, string | undefined, string][] = [
      ['GET', '/main/v1/posts?limit=Infinity', undefined, 'limit'],
      ['GET', '/main/v1/posts?limit=-Infinity', undefined, 'limit'],
      ['GET', '/main/v1/posts?limit=1e400', undefined, 'limit'],
      ['GET', '/main/v1/posts?q=a%00b', undefined, 'q'],
      ['GET', '/main/v1/posts?category=a%ED%A0%80', undefined, 'category'],
      [
        'GET',
        '/main/v1/posts?published_after=%2B275760-09-13T00:00:00Z',
        undefined,
        'published_after',
      ],
      ['GET', '/main/v1/posts/a%00b', undefined, 'id'],
      // The gateway refuses a path that does not decode before it knows the service's names.
      ['GET', '/main/v1/posts/a%ED%A0%80', undefined, 'path'],
      ['POST', '/main/v1/posts', '{"title":"a\\u0000b","body":"text"}', 'title'],
      ['POST', '/main/v1/posts', '{"title":"t","body":"a\\ud800b"}', 'body'],
      ['GET', '/accounts/v1/users?q=a%00b', undefined, 'q'],
      ['GET', '/accounts/v1/users?role=a%00b', undefined, 'role'],
      ['GET', '/accounts/v1/users?limit=Infinity', undefined, 'limit'],
      ['PATCH', '/accounts/v1/user', '{"bio":"a\\u0000b"}', 'bio'],
      ['GET', '/analytics/v1/user-activity?user_id=a%00b', undefined, 'user_id'],
      ['GET', '/analytics/v1/user-activity?limit=-1e400', undefined, 'limit'],
      ['GET', '/analytics/v1/performance?service=a%00b', undefined, 'service'],
      [
        'POST',
        '/analytics/v1/track-event',
        '{"event":"e","properties":{"k":"\\u0000"}}',
        'properties.k',
      ],
    ];
    // A session of its own: a logout in the sweep running alongside ends the shared one.
    const token = await adminSession(url).token();
    for (const [method, path, body, field] of cases) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { ...bearer(token), ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body } : {}),
      });
      const problem = (await response.json()) as { code: string; errors?: { field: string }[] };
      assert.equal(response.status, 400, `${method} ${path}: ${JSON.stringify(problem)}`);
      assert.equal(problem.code, 'validation_failed');
      assert.deepEqual(
        problem.errors?.map((e) => e.field),
        [field],
        `${method} ${path}: ${JSON.stringify(problem)}`,
      );
    }
  });

  test('a value outside an enum is one message listing the allowed values', async () => {
    const response = await fetch(`${url}/main/v1/posts?sort=newest`);
    assert.equal(response.status, 400);
    assert.deepEqual(((await response.json()) as { errors: unknown }).errors, [
      { field: 'sort', message: 'must be one of -published_at, published_at, -created_at, title' },
    ]);
  });
});

type AdminSession = ReturnType<typeof adminSession>;

/** The admin's token, signed in again when a request (a logout) has ended its session. */
function adminSession(base: string) {
  let current: Promise<string> | undefined;
  const login = async () => {
    const response = await post(`${base}/accounts/v1/login`, ADMIN);
    assert.equal(response.status, 200, await response.clone().text());
    return ((await response.json()) as { access_token: string }).access_token;
  };
  return {
    token: () => {
      current ??= login();
      return current;
    },
    /** After a 401: whether `token` no longer works, so that a new one is worth a retry. */
    async ended(token: string) {
      const me = await fetch(`${base}/accounts/v1/user`, { headers: bearer(token) });
      await me.arrayBuffer();
      if (me.status !== 401) return false;
      if ((await current) === token) current = login();
      return true;
    },
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Sends one request (as the admin, or anonymously); what was wrong with the answer, if anything. */
async function attempt(base: string, request: SweepRequest, admin?: AdminSession) {
  const who = admin ? 'admin' : 'anonymous';
  let outcome = await send(base, request, admin && (await admin.token()));
  if (admin && outcome.response?.status === 401 && (await admin.ended(outcome.token!))) {
    outcome = await send(base, request, await admin.token());
  }
  const { response, text, error } = outcome;
  if (!response) return `${request.label} (${who}): connection failed: ${error}`;
  const fault = problemFault(response, text, request);
  return fault && `${request.label} (${who}): ${fault}`;
}

async function send(base: string, request: SweepRequest, token?: string) {
  const headers: Record<string, string> = token ? bearer(token) : {};
  if (typeof request.body === 'string') headers['content-type'] = 'application/json';
  try {
    const response = await fetch(`${base}${request.url}`, {
      method: request.method,
      headers,
      ...(request.body !== undefined && request.method !== 'GET' ? { body: request.body } : {}),
    });
    return { token, response, text: await response.text() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { token, text: '', error: cause?.code ?? cause?.message ?? String(error) };
  }
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
