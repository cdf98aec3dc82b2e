import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import { bearer, buildTestAuth, SERVICE_TOKEN, signUp } from './helper.ts';

// A revocation entry is forgotten by every verifier at its expires_at (packages/auth's revocation
// set): a token of the session still unexpired then is accepted again. Tokens are minted for
// ACCESS_TOKEN_TTL, but that is the setting of the replica that minted them; the one revoking may
// run a shorter one (the TTL lowered after an incident, rolled out one replica at a time).

const long = await buildTestAuth({ ACCESS_TOKEN_TTL: '3600', ACCESS_TOKEN_MAX_LIFETIME: '3600' });
const short = await buildTestAuth(
  { ACCESS_TOKEN_TTL: '300', ACCESS_TOKEN_MAX_LIFETIME: '3600' },
  { replicaOf: long },
);

const feedAfter = async (after: number) =>
  (
    await short.app.inject({
      url: `/internal/revocations?after=${after}`,
      headers: { 'x-service-token': SERVICE_TOKEN },
    })
  ).json() as { items: { session_id: string; expires_at: string }[]; last_id: number };

test('a session revoked by a replica with a shorter ACCESS_TOKEN_TTL stays revoked as long as its tokens live', async () => {
  const victim = await signUp(long.app);
  const stolen = decodeJwt(victim.accessToken);
  const start = (await feedAfter(0)).last_id;

  // The victim signs out on the other replica; a thief holds a copy of the access token.
  const out = await short.app.inject({
    method: 'POST',
    url: '/accounts/v1/logout',
    headers: bearer(victim.accessToken),
  });
  assert.equal(out.statusCode, 204, out.body);

  const entry = (await feedAfter(start)).items.find((i) => i.session_id === stolen.sid);
  assert.ok(entry, 'the revoked session is in the feed');
  assert.ok(
    Date.parse(entry.expires_at) >= (stolen.exp as number) * 1000,
    `the revocation ends at ${entry.expires_at}, before the token it revokes (${new Date(
      (stolen.exp as number) * 1000,
    ).toISOString()}): the token is accepted again in between`,
  );
});
