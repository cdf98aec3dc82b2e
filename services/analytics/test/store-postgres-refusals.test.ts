import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, test } from 'node:test';
import { connect } from '@platform/db';
import { schema } from '../src/db/index.ts';
import { StoreRejected, StoreUnavailable } from '../src/store/errors.ts';
import { createPostgresStore } from '../src/store/postgres.ts';
import type { QueuedEvent } from '../src/store/types.ts';
import { buildTestAnalytics } from './helper.ts';

const t = await buildTestAnalytics();
const event = (seq: number, properties: string): QueuedEvent => ({
  seq,
  id: `e-${seq}`,
  event: 'x',
  source: 'client',
  userId: null,
  anonymousId: null,
  properties,
  timestamp: new Date().toISOString(),
});

test('PostgreSQL store: data the server refuses is StoreRejected, which the writer sets aside', async () => {
  const store = createPostgresStore(t.database.db);
  await assert.rejects(store.writeEvents([event(1, '{"a":"\\u0000"}')]), StoreRejected);
  await assert.rejects(store.writeEvents([event(2, '{"\\udc00":1}')]), StoreRejected);
  await assert.rejects(
    store.writeEvents([{ ...event(3, '{}'), timestamp: 'yesterday-ish' }]),
    StoreRejected,
  );
  await store.writeEvents([event(4, '{"a":"fine"}')]);
});

test('PostgreSQL store: a server that does not answer is StoreUnavailable, which the writer waits for', async () => {
  const closed = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => closed.once('listening', resolve));
  const { port } = closed.address() as { port: number };
  await new Promise((resolve) => closed.close(resolve));
  const gone = connect(`postgres://nobody@127.0.0.1:${port}/none`, schema, {
    applicationName: 'test',
    maxConnections: 1,
  });
  after(() => gone.close());
  const store = createPostgresStore(gone.db);
  await assert.rejects(store.writeEvents([event(5, '{}')]), StoreUnavailable);
});
