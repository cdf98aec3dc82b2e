import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertSweepClean, internal, sweepHostileInput } from '@platform/testing';
import { bearer, buildTestAnalytics, serviceHeaders } from './helper.ts';

/**
 * Every operation of analytics' OpenAPI document, with hostile paths, queries, headers, content
 * types and bodies (packages/testing/src/hostile-input.ts), in process: no 5xx, no hang, every
 * 4xx a problem+json with a code, nothing polluted, and the service still healthy and ingesting.
 */
const t = await buildTestAnalytics();
const base = '/analytics/v1';

test('no hostile request to any analytics operation fails the service', async () => {
  const created = await t.app.inject({
    method: 'POST',
    url: `${base}/write-keys`,
    headers: bearer(t.adminToken),
    payload: { name: 'hostile' },
  });
  assert.equal(created.statusCode, 201, created.body);
  const key = created.json() as { id: string; key: string };
  const basic = `Basic ${Buffer.from(`${key.key}:`).toString('base64')}`;
  // analytics.js's routes take browser keys; this one from any origin (the probes send none).
  const page = await t.app.inject({
    method: 'POST',
    url: `${base}/write-keys`,
    headers: bearer(t.adminToken),
    payload: { name: 'hostile page', kind: 'browser', origins: ['*'] },
  });
  assert.equal(page.statusCode, 201, page.body);
  const browserBasic = `Basic ${Buffer.from(`${page.json().key}:`).toString('base64')}`;
  const doc = (await t.app.inject({ url: `${base}/openapi.json` })).json();

  const { sent, faults } = await sweepHostileInput(t.app, doc, {
    bodyLimit: 5 * 1024 * 1024,
    // Nested fields too (the gateway's sweep sent them through the whole stack).
    nested: true,
    only: (probe, op) => {
      const own = OWN_FIELDS.get(op.path.slice(base.length + 1));
      return !own || own.includes(/ body ([^ .]+)[ .]/.exec(probe.label)?.[1] ?? '');
    },
    // Write keys are revoked by one probe: the key in the path is one that does not exist.
    pathValues: (op) => ({
      id: op.path.includes('dead-letters') ? '1' : '00000000-0000-4000-8000-000000000000',
      user_id: 'someone',
    }),
    variants: {
      [`GET ${base}/reports`]: [
        'type=top-events&format=csv',
        'type=funnel&steps=a,b,c&window=P1D',
        'type=retention&start_event=a&return_event=b&period=week',
      ],
      [`GET ${base}/user-activity`]: ['user_id=someone'],
    },
    bodies: {
      [`POST ${base}/track-event`]: { event: 'hostile', properties: { a: 1 } },
      [`POST ${base}/batch`]: { batch: [{ ...message, type: 'track' }] },
      [`POST ${base}/track`]: message,
      [`POST ${base}/identify`]: message,
      [`POST ${base}/page`]: message,
      [`POST ${base}/screen`]: message,
      [`POST ${base}/group`]: { ...message, groupId: 'g' },
      [`POST ${base}/alias`]: { ...message, previousId: 'p' },
      [`POST ${base}/b`]: { batch: [{ ...message, type: 'track' }] },
      [`POST ${base}/t`]: message,
      [`POST ${base}/i`]: message,
      [`POST ${base}/p`]: message,
      [`POST ${base}/s`]: message,
      [`POST ${base}/g`]: { ...message, groupId: 'g' },
      [`POST ${base}/a`]: { ...message, previousId: 'p' },
    },
    authorization: async (op) =>
      op.path.startsWith(`${base}/write-keys`) || !isSegment(op.path)
        ? isBrowser(op.path)
          ? browserBasic
          : `Bearer ${t.adminToken}`
        : basic,
  });
  // Still answering, and what it accepted is still written: nothing queued is stuck behind.
  await assertSweepClean(t.app, { sent, faults }, 1000);
  const after = await t.app.inject({
    method: 'POST',
    url: `${base}/track-event`,
    headers: bearer(t.adminToken),
    payload: { event: 'after_the_sweep' },
  });
  assert.equal(after.statusCode, 202, after.body);
  await t.drained();
});

const message = { userId: 'u', event: 'hostile', properties: { a: 1 }, traits: { t: 1 } };
const SEGMENT = ['batch', 'track', 'identify', 'page', 'screen', 'group', 'alias', 'import'];
const isSegment = (path: string) => SEGMENT.some((s) => path === `${base}/${s}`);
/** analytics.js's paths: the same routes as Segment's (one function, segment/routes.ts). */
const BROWSER = ['b', 't', 'i', 'p', 's', 'g', 'a'];
const isBrowser = (path: string) => BROWSER.some((s) => path === `${base}/${s}`);

/**
 * identify, page, screen, group and alias are track's route definition with another type (one
 * loop in segment/routes.ts: the same Message schema, body limit, hooks and handler, which hands
 * the type to `convert`). Track gets every probe; these get every value in the fields their type
 * reads in its own way (segment/convert.ts), nested ones included. Each accepted message is an
 * ingestion, a few ms of the service's and PostgreSQL's CPU: their 590 probes each, the same
 * requests as track's but for the type, were two fifths of this sweep.
 */
const OWN_FIELDS = new Map(
  Object.entries({
    identify: ['userId', 'traits'],
    page: ['name', 'category', 'properties'],
    screen: ['name', 'category', 'properties'],
    group: ['groupId', 'traits'],
    alias: ['previousId', 'userId'],
    // The same definitions again (segmentApi's second call): the message's own fields only.
    b: ['batch'],
    t: ['event', 'userId', 'properties'],
    i: ['userId', 'traits'],
    p: ['name', 'properties'],
    s: ['name'],
    g: ['groupId'],
    a: ['previousId'],
  }),
);

test('no hostile request to analytics internal routes fails them: a relay is never stuck', async () => {
  const now = new Date().toISOString();
  const event = {
    id: 'main:1',
    type: 'post.created',
    occurred_at: now,
    user_id: 'someone',
    payload: { post_id: 'p', tags: ['a'] },
  };
  const sample = {
    service: 'main',
    route: '/main/v1/posts',
    method: 'GET',
    status: 200,
    duration_ms: 1.5,
    timestamp: now,
  };
  const object = (properties: Record<string, object>) => ({ type: 'object', properties });
  const text = { type: 'string' };
  const { sent, faults } = await sweepHostileInput(
    t.app,
    {},
    {
      bodyLimit: 5 * 1024 * 1024,
      headers: serviceHeaders,
      authorization: async () => undefined,
      operations: [
        internal('POST', '/internal/events', {
          events: {
            type: 'array',
            items: object({ id: text, type: text, occurred_at: text, user_id: text, payload: {} }),
          },
        }),
        internal('POST', '/internal/samples', {
          samples: {
            type: 'array',
            items: object({
              service: text,
              route: text,
              method: text,
              status: {},
              duration_ms: {},
            }),
          },
        }),
      ],
      bodies: {
        'POST /internal/events': { events: [event] },
        'POST /internal/samples': { samples: [sample] },
      },
    },
  );
  assert.ok(sent > 100, `only ${sent} probes`);
  assert.equal(
    faults.length,
    0,
    `${faults.length} of ${sent} failed:\n${faults.slice(0, 80).join('\n')}`,
  );
  // What was accepted is written: no item stuck at the head of the queue.
  await t.drained();
});
