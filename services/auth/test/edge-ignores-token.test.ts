import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildTestAuth, signUp } from './helper.ts';

interface Manifest {
  prefix: string;
  edge: { method: string; path: string; ignores_token?: boolean }[];
}

const manifest = JSON.parse(
  readFileSync(path.resolve(import.meta.dirname, '../service.json'), 'utf8'),
) as Manifest;

const { app } = await buildTestAuth();

/**
 * The gateway passes a bad Bearer token through on the manifest's `ignores_token` routes and
 * refuses it everywhere else; the service must agree on each (route config `ignoresToken` or
 * `tokenOptional` there, a 401 elsewhere): a route the gateway passes it on to but the service
 * checks is a 401 with no way back in, and one the service ignores but the gateway does not was
 * meant to hand out tokens and never can. Nothing else checks that the two agree.
 */
test('a bad Bearer token is ignored on exactly the edge routes the manifest says ignore it', async () => {
  const ignoring = manifest.edge.filter((route) => route.ignores_token);
  assert.ok(ignoring.length > 0);
  // POST /logout signs out with a live session's refresh token when the access token is bad.
  const { refreshToken } = await signUp(app);
  const bodies: Record<string, unknown> = { '/v1/logout': { refresh_token: refreshToken } };
  for (const route of manifest.edge) {
    const answer = await app.inject({
      method: route.method as 'POST',
      url: `${manifest.prefix}${route.path}`,
      headers: { authorization: 'Bearer not-a-token', 'content-type': 'application/json' },
      payload: JSON.stringify(bodies[route.path] ?? {}),
    });
    const where = `${route.method} ${route.path}: ${answer.statusCode} ${answer.body}`;
    if (route.ignores_token) assert.notEqual(answer.statusCode, 401, where);
    else assert.equal(answer.statusCode, 401, where);
  }
});
