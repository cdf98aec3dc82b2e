import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Type } from 'typebox';
import { createApp } from '../src/index.ts';

/**
 * Clients that set `content-type: application/json` on every request send it with no body on
 * bodiless calls (a DELETE, a POST whose body is optional): that is a request without a body.
 */
const app = await createApp({ name: 'demo', logLevel: 'silent' });
app.delete('/things/:id', async (_request, reply) => reply.code(204).send(null));
app.post(
  '/optional',
  {
    preValidation: async (request) => {
      request.body ??= {};
    },
    schema: { body: Type.Object({ note: Type.Optional(Type.String()) }) },
  },
  async (request) => ({ body: request.body }),
);
app.post(
  '/required',
  { schema: { body: Type.Object({ name: Type.String() }) } },
  async (request) => ({ body: request.body }),
);
after(() => app.close());

const json = { 'content-type': 'application/json' };
const send = (method: 'DELETE' | 'POST', url: string, payload?: string) =>
  app.inject({ method, url, headers: json, ...(payload === undefined ? {} : { payload }) });

test('an empty JSON body on a bodiless route is no body', async () => {
  const deleted = await send('DELETE', '/things/a', '');
  assert.equal(deleted.statusCode, 204, deleted.body);
  const optional = await send('POST', '/optional', '');
  assert.equal(optional.statusCode, 200, optional.body);
  assert.deepEqual(optional.json(), { body: {} });
});

test('a route that needs a body says so; malformed and poisoned JSON are still refused', async () => {
  const empty = await send('POST', '/required', '');
  assert.equal(empty.statusCode, 400);
  assert.equal(empty.json().code, 'validation_failed');
  const malformed = await send('POST', '/required', '{"name":');
  assert.equal(malformed.statusCode, 400);
  assert.equal(malformed.json().code, 'bad_request');
  const poisoned = await send('POST', '/required', '{"name":"x","__proto__":{"admin":true}}');
  assert.equal(poisoned.statusCode, 400);
  const fine = await send('POST', '/required', '{"name":"x"}');
  assert.deepEqual(fine.json(), { body: { name: 'x' } });
  const charset = await app.inject({
    method: 'POST',
    url: '/required',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    payload: '{"name":"y"}',
  });
  assert.deepEqual(charset.json(), { body: { name: 'y' } });
});

test('a JSON Merge Patch (application/merge-patch+json, RFC 7396) is read as the JSON it is', async () => {
  // Was a 415: clients that PATCH by the RFC (a PATCH here is a merge patch: the fields given
  // replace, null clears) name that type. A JSON Patch (RFC 6902, a list of operations) is not
  // what a PATCH here takes, so it stays a 415.
  const merge = (type: string, payload: string) =>
    app.inject({ method: 'POST', url: '/required', headers: { 'content-type': type }, payload });
  const read = await merge('application/merge-patch+json', '{"name":"m"}');
  assert.equal(read.statusCode, 200, read.body);
  assert.deepEqual(read.json(), { body: { name: 'm' } });
  const charset = await merge('application/merge-patch+json; charset=utf-8', '{"name":"n"}');
  assert.deepEqual(charset.json(), { body: { name: 'n' } });
  const poisoned = await merge('application/merge-patch+json', '{"name":"x","__proto__":{"a":1}}');
  assert.equal(poisoned.statusCode, 400);
  const jsonPatch = await merge('application/json-patch+json', '[]');
  assert.equal(jsonPatch.statusCode, 415);
  assert.equal(jsonPatch.json().code, 'unsupported_media_type');
});
