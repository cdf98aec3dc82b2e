import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from 'typebox';
import {
  createApp,
  DomainError,
  defineCodes,
  GENERIC_CODES,
  problemFactory,
} from '../src/index.ts';

const codes = defineCodes({
  widget_taken: { status: 409, title: 'Widget taken', description: 'Another widget has it.' },
  shelf_unavailable: { status: 503, title: 'Shelf unavailable', description: 'Try later.' },
});
const problem = problemFactory(codes);

async function demo() {
  const app = await createApp({ name: 'demo', prefix: '/demo/v1', logLevel: 'silent', codes });
  app.post(
    '/demo/v1/widgets',
    {
      schema: {
        operationId: 'createWidget',
        summary: 'Create a widget',
        tags: ['widgets'],
        security: [{ bearer: [] }],
        errors: ['widget_taken'],
        body: Type.Object({ name: Type.String() }),
        querystring: Type.Object({
          sort: Type.Optional(Type.Union([Type.Literal('name'), Type.Literal('-name')])),
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
        }),
      },
    },
    async (request) => {
      if (request.body.name === 'taken') {
        throw problem('widget_taken', 'That name is taken.', {
          errors: [{ field: 'name', message: 'is taken' }],
        });
      }
      if (request.body.name === 'store') {
        // What a repository raises: a code, no status.
        throw new DomainError('shelf_unavailable', 'The shelf is down.', {
          retryAfterSeconds: 7,
        });
      }
      if (request.body.name === 'stray') throw new DomainError('no_such_code', 'Stray.');
      // A 404 this operation does not declare: sent as is, but recorded.
      if (request.body.name === 'missing') throw problem('not_found', 'Nothing here.');
      return { ok: true };
    },
  );
  await app.ready();
  return app;
}

const send = (app: Awaited<ReturnType<typeof demo>>, name: string) =>
  app.inject({ method: 'POST', url: '/demo/v1/widgets', payload: { name } });

test('a code from the table gives the problem its status and code', async () => {
  const app = await demo();
  const res = await send(app, 'taken');
  assert.equal(res.statusCode, 409);
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.deepEqual(
    { ...(res.json() as object), request_id: undefined },
    {
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      code: 'widget_taken',
      detail: 'That name is taken.',
      request_id: undefined,
      errors: [{ field: 'name', message: 'is taken' }],
    },
  );
  assert.deepEqual(app.undocumentedProblems, []);
  await app.close();
});

test("a data layer's DomainError is mapped at the edge; an unknown code is a 500", async () => {
  const app = await demo();
  const store = await send(app, 'store');
  assert.equal(store.statusCode, 503);
  assert.equal(store.headers['retry-after'], '7');
  assert.equal(store.json().code, 'shelf_unavailable');
  assert.equal(store.json().title, 'Service Unavailable');
  const stray = await send(app, 'stray');
  assert.equal(stray.statusCode, 500);
  assert.equal(stray.json().code, 'internal_error');
  await app.close();
});

test('a problem whose code the operation does not document is recorded', async () => {
  const app = await demo();
  assert.equal((await send(app, 'missing')).statusCode, 404);
  assert.deepEqual(app.undocumentedProblems, [
    { method: 'POST', url: '/demo/v1/widgets', status: 404, code: 'not_found' },
  ]);
  await app.close();
});

test('the document lists problem responses by status, enums as enums, defaults not required', async () => {
  const app = await demo();
  const document = app.swagger() as unknown as {
    servers: unknown[];
    paths: Record<string, Record<string, Record<string, never>>>;
  };
  assert.ok(document.servers.length > 0);
  const operation = document.paths['/demo/v1/widgets']!.post! as unknown as {
    parameters: { name: string; required: boolean; schema: Record<string, unknown> }[];
    responses: Record<
      string,
      { content: Record<string, { schema: { properties: { code: { enum: string[] } } } }> }
    >;
  };
  const codesAt = (status: string) =>
    resolved(document, operation.responses[status]!).content['application/problem+json']!.schema
      .properties.code.enum;
  assert.deepEqual(codesAt('400'), ['bad_request', 'validation_failed']);
  assert.deepEqual(codesAt('401'), ['unauthorized']);
  assert.deepEqual(codesAt('409'), ['widget_taken']);
  assert.deepEqual(codesAt('413'), ['payload_too_large']);
  assert.deepEqual(codesAt('429'), ['rate_limited']);
  const sort = operation.parameters.find((p) => p.name === 'sort')!;
  assert.deepEqual(sort.schema, { type: 'string', enum: ['name', '-name'] });
  const limit = operation.parameters.find((p) => p.name === 'limit')!;
  assert.equal(limit.required, false);
  assert.equal(limit.schema.default, 20);
  await app.close();
});

test('a declared code missing from the table fails the document (and its lint test)', async () => {
  const app = await createApp({ name: 'demo', prefix: '/demo/v1', logLevel: 'silent', codes });
  app.get(
    '/demo/v1/things',
    { schema: { operationId: 'listThings', errors: ['thing_gone'] } },
    async () => ({}),
  );
  await app.ready();
  assert.throws(() => app.swagger(), /thing_gone is not in the service's code table/);
  await app.close();
});

test('codes are snake_case and never redefine a generic one', () => {
  assert.throws(() => defineCodes({ 'Bad-Code': { status: 400, title: 't', description: 'd' } }));
  assert.throws(() => defineCodes({ not_found: { status: 404, title: 't', description: 'd' } }));
});

test('an operation that takes no body documents what an unexpected body really gets', async () => {
  const app = await createApp({ name: 'demo', prefix: '/demo/v1', logLevel: 'silent', codes });
  const meta = (operationId: string) => ({
    operationId,
    summary: operationId,
    tags: ['widgets'],
    security: [],
  });
  app.delete('/demo/v1/shelf', { schema: meta('clearShelf') }, async (_r, reply) =>
    reply.code(204).send(null),
  );
  app.post('/demo/v1/shelf/dust', { schema: meta('dustShelf') }, async (_r, reply) =>
    reply.code(204).send(null),
  );
  app.get('/demo/v1/shelf', { schema: meta('getShelf') }, async () => ({ ok: true }));
  await app.ready();
  const document = app.swagger() as unknown as {
    paths: Record<string, Record<string, { responses: Record<string, ProblemResponse> }>>;
  };
  const documented = (path: string, method: string) => {
    const listed: Record<string, string[]> = {};
    for (const [status, answer] of Object.entries(document.paths[path]![method]!.responses)) {
      const schema = resolved(document, answer).content?.['application/problem+json']?.schema;
      if (schema) listed[status] = schema.properties.code.enum;
    }
    return listed;
  };
  const cases: [string, string, string, string][] = [
    ['DELETE', '/demo/v1/shelf', 'application/json', ''],
    ['DELETE', '/demo/v1/shelf', 'application/json', '{'],
    ['POST', '/demo/v1/shelf/dust', 'application/json', ''],
    ['POST', '/demo/v1/shelf/dust', 'image/png', 'x'],
    ['GET', '/demo/v1/shelf', 'application/json', ''],
    ['GET', '/demo/v1/shelf', 'application/json', '{'],
  ];
  for (const [method, url, type, payload] of cases) {
    const res = await app.inject({ method, url, headers: { 'content-type': type }, payload });
    const where = `${method} ${url} ${type} ${JSON.stringify(payload)}`;
    if (res.statusCode < 400) continue;
    const listed = documented(url, method.toLowerCase());
    assert.ok(listed[res.statusCode]?.includes(res.json().code), `${where}: ${res.body}`);
  }
  assert.deepEqual(documented('/demo/v1/shelf', 'delete')['400'], ['bad_request']);
  assert.deepEqual(documented('/demo/v1/shelf/dust', 'post')['415'], ['unsupported_media_type']);
  // A GET's body is never read: nothing about bodies is promised there.
  assert.equal(documented('/demo/v1/shelf', 'get')['400'], undefined);
  assert.deepEqual(app.undocumentedProblems, []);
  await app.close();
});

interface ProblemResponse {
  content?: Record<string, { schema: { properties: { code: { enum: string[] } } } }>;
}

/** A response, or the shared one its `$ref` names (components.responses). */
function resolved<T>(document: unknown, response: T): T {
  const ref = (response as { $ref?: string }).$ref;
  if (!ref) return response;
  const name = ref.replace('#/components/responses/', '');
  return (document as { components: { responses: Record<string, T> } }).components.responses[name]!;
}

test('a public operation documents unauthorized: a bad Bearer token is refused on every route', async () => {
  const app = await createApp({ name: 'demo', prefix: '/demo/v1', logLevel: 'silent', codes });
  app.get(
    '/demo/v1/open',
    {
      schema: { operationId: 'readOpen', summary: 'Open to anyone', tags: ['open'], security: [] },
    },
    async () => ({}),
  );
  await app.ready();
  const document = app.swagger() as unknown as {
    paths: Record<string, { get: { responses: Record<string, unknown> } }>;
  };
  assert.ok(document.paths['/demo/v1/open']!.get.responses['401']);
  await app.close();
});

test('each problem response is in the document once, under the service and its codes', async () => {
  const app = await createApp({ name: 'demo', prefix: '/demo/v1', logLevel: 'silent', codes });
  for (const name of ['one', 'two']) {
    app.post(
      `/demo/v1/${name}`,
      {
        schema: {
          operationId: `post${name}`,
          summary: name,
          tags: ['demo'],
          security: [],
          errors: name === 'two' ? ['widget_taken'] : [],
          body: Type.Object({ n: Type.Integer() }),
        },
      },
      async () => ({}),
    );
  }
  await app.ready();
  const document = app.swagger() as unknown as {
    paths: Record<string, { post: { responses: Record<string, unknown> } }>;
    components: { responses: Record<string, ProblemResponse> };
  };
  const ref = (name: string) => ({ $ref: `#/components/responses/demo.${name}` });
  const { responses } = document.paths['/demo/v1/two']!.post;
  assert.deepEqual(responses['400'], ref('bad_request.validation_failed'));
  assert.deepEqual(responses['409'], ref('widget_taken'));
  assert.deepEqual(responses['429'], ref('rate_limited'));
  assert.deepEqual(document.paths['/demo/v1/one']!.post.responses['429'], ref('rate_limited'));
  assert.equal(document.paths['/demo/v1/one']!.post.responses['409'], undefined);
  const limited = document.components.responses['demo.rate_limited']!;
  assert.deepEqual(limited.content!['application/problem+json']!.schema.properties.code.enum, [
    'rate_limited',
  ]);
  // Described once, where it was described in every operation.
  const text = JSON.stringify(document);
  assert.equal(text.split(GENERIC_CODES.rate_limited.description).length - 1, 1);
  await app.close();
});
