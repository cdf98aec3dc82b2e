import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestAnalytics } from './helper.ts';

const t = await buildTestAnalytics();
const base = '/analytics/v1';

test('event names a spreadsheet would run as formulas come out of CSV reports as text', async () => {
  const created = await t.app.inject({
    method: 'POST',
    url: `${base}/write-keys`,
    headers: bearer(t.adminToken),
    payload: { name: 'web' },
  });
  const key = created.json().key as string;
  const names = ["=cmd|' /C calc'!A0", '+1+1', '-2+3', '@SUM(1)', 'Signed Up'];
  for (const event of names) {
    const res = await t.app.inject({
      method: 'POST',
      url: `${base}/track`,
      headers: { authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
      payload: { userId: 'u1', event },
    });
    assert.equal(res.statusCode, 200, res.body);
  }
  await t.drained();

  const top = await t.app.inject({
    url: `${base}/reports?type=top-events&format=csv`,
    headers: bearer(t.adminToken),
  });
  assert.equal(top.statusCode, 200, top.body);
  const cells = top.body
    .trim()
    .split('\r\n')
    .slice(1)
    .map((line) => line.slice(0, line.lastIndexOf(',')));
  assert.deepEqual(cells.sort(), [
    "'+1+1",
    "'-2+3",
    "'=cmd|' /C calc'!A0",
    "'@SUM(1)",
    'Signed Up',
  ]);

  const funnel = await t.app.inject({
    url: `${base}/reports?type=funnel&format=csv&steps=${encodeURIComponent('=1+1,Signed Up')}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(funnel.statusCode, 200, funnel.body);
  assert.match(funnel.body, /\r\n1,'=1\+1,0,0\r\n2,Signed Up,0,0\r\n$/);
  // JSON is data, not a spreadsheet: names come back as sent.
  const json = await t.app.inject({
    url: `${base}/reports?type=top-events`,
    headers: bearer(t.adminToken),
  });
  assert.ok(json.json().rows.some((r: { event: string }) => r.event === "=cmd|' /C calc'!A0"));
});
