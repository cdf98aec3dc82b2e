import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_TRAITS_BYTES } from '../src/identity/repository.ts';
import { bearer, buildTestAnalytics, sql } from './helper.ts';

const t = await buildTestAnalytics();
const base = '/analytics/v1';

test("a sender naming one user cannot grow that user's profile without bound", async () => {
  const created = await t.app.inject({
    method: 'POST',
    url: `${base}/write-keys`,
    headers: bearer(t.adminToken),
    payload: { name: 'web' },
  });
  const headers = {
    authorization: `Basic ${Buffer.from(`${created.json().key}:`).toString('base64')}`,
  };
  // Each identify carries ~28 KB of traits under keys never used before.
  const traits = (round: number, message: number) =>
    Object.fromEntries(
      Array.from({ length: 300 }, (_, k) => [`k${round}_${message}_${k}`, 'v'.repeat(80)]),
    );
  const minute = 60_000;
  const start = Date.now() - 60 * minute;
  for (let round = 0; round < 8; round += 1) {
    const batch = [0, 1].map((message) => ({
      type: 'identify',
      userId: 'target',
      traits: traits(round, message),
      timestamp: new Date(start + (round * 2 + message) * minute).toISOString(),
    }));
    const res = await t.app.inject({
      method: 'POST',
      url: `${base}/batch`,
      headers,
      payload: { batch },
    });
    assert.equal(res.statusCode, 200, res.body);
  }
  const [row] = await sql(
    t.databaseUrl,
    "select octet_length(traits::text) as bytes from profiles where user_id = 'target'",
  );
  assert.ok(row.bytes <= MAX_TRAITS_BYTES, `traits grew to ${row.bytes} bytes`);

  // Small traits merge as before; the newest identify's values are kept.
  const small = await t.app.inject({
    method: 'POST',
    url: `${base}/identify`,
    headers,
    payload: { userId: 'target', traits: { plan: 'pro' } },
  });
  assert.equal(small.statusCode, 200, small.body);
  const profile = await t.app.inject({
    url: `${base}/profiles/target`,
    headers: bearer(t.adminToken),
  });
  assert.equal(profile.statusCode, 200, profile.body);
  const kept = profile.json().traits as Record<string, string>;
  assert.equal(kept.plan, 'pro');
  assert.equal(kept.k7_1_0, 'v'.repeat(80));
  assert.ok(profile.body.length < 2 * MAX_TRAITS_BYTES);
});
