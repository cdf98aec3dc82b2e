import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { isUnreachable } from '@platform/http';
import { tcpProxy } from '@platform/testing';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { connect } from '../src/index.ts';

const server = process.env.TEST_POSTGRES_URL!;

async function terminate(pid: number) {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    await client.query('select pg_terminate_backend($1)', [pid]);
  } finally {
    await client.end();
  }
}

// pg-pool listens for a client's 'error' only while it is idle: a connection that PostgreSQL
// ends while a transaction holds it (a restart, a failover, an administrator) emitted an 'error'
// nobody heard, an uncaught exception that took every request of the process down with it.
test('a connection lost inside a transaction fails that transaction, not the process', async () => {
  const database = connect(server, {});
  after(() => database.close());
  const transaction = database.db.transaction(async (tx) => {
    const { rows } = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
    await terminate(rows[0]!.pid);
    // The server's goodbye arrives on its own; give it a moment to be read.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await tx.execute(sql`select 1`);
  });
  // What Drizzle throws is its rollback's error, node-postgres' "not queryable": a 503 (the
  // database went away), not a 500.
  await assert.rejects(transaction, (error: Error) => {
    assert.ok(isUnreachable(error), String(error.cause ?? error));
    return true;
  });
  // The pool goes on with a new connection.
  await database.ping();
});

// statement_timeout is the server's: with the server gone silent nothing ended a query, and the
// connection went back to the pool with that query in flight, so the next request took it and
// waited too.
test('a query the server never answers fails after unansweredAfterMs, and its connection is not reused', async () => {
  // Every connection is marked: silence() quiets those open, later ones pass.
  const proxy = await tcpProxy(server, { marks: () => true });
  after(() => proxy.close());
  // 1 s, not less: every query that must pass here has that long on a loaded machine.
  const database = connect(proxy.url, {}, { maxConnections: 1, unansweredAfterMs: 1000 });
  after(() => database.close());
  await database.ping();

  const started = Date.now();
  const transaction = database.db.transaction(async (tx) => {
    await tx.execute(sql`select 1`);
    proxy.silence();
    await tx.execute(sql`select 2`);
  });
  await assert.rejects(transaction, (error: Error) => {
    assert.match(String(error.cause ?? error), /Query read timeout/);
    return true;
  });
  assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);

  // One connection in the pool: the next query gets a new one, not the one still waiting.
  await database.ping();
  // A query outside a transaction, on the pool itself.
  const ping = database.ping();
  proxy.silence();
  await assert.rejects(ping, /Query read timeout/);
  await database.ping();
});

// Drizzle sends `begin` before the try whose finally releases the connection
// (drizzle-team/drizzle-orm#6241): a `begin` that failed kept its connection checked out for good,
// and a pool whose connections all failed so (a server gone silent, then back) refused every
// request with a connect timeout although the server was fine again.
test('a transaction whose begin fails gives its connection back to the pool', async () => {
  // Every connection is marked: silence() and reset() act on those open, later ones pass.
  const proxy = await tcpProxy(server, { marks: () => true });
  after(() => proxy.close());
  const database = connect(proxy.url, {}, { maxConnections: 1, unansweredAfterMs: 1000 });
  after(() => database.close());
  const transaction = () => database.db.transaction(async (tx) => tx.execute(sql`select 1`));
  const failsWith = (pattern: RegExp) => (error: Error) => {
    assert.match(String(error.cause ?? error), pattern);
    return true;
  };

  // Unanswered.
  await database.ping();
  proxy.silence();
  await assert.rejects(transaction(), failsWith(/Query read timeout/));
  await transaction();

  // Closed by the other side between checkout and begin.
  proxy.reset();
  await assert.rejects(transaction(), failsWith(/Connection terminated/));
  await transaction();
  await database.ping();
});
