import assert from 'node:assert/strict';
import { after, test } from 'node:test';
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
  await assert.rejects(transaction);
  // The pool goes on with a new connection.
  await database.ping();
});
