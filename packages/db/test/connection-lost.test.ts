import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, test } from 'node:test';
import { isUnreachable } from '@platform/http';
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

/**
 * A TCP proxy to the test server that can go silent: its connections stay open and swallow what
 * is sent, as a server's vanished host does (no FIN, no RST); connections made after `heal` pass.
 * `reset` closes a connection when its client next sends something.
 */
async function silentProxy() {
  const target = new URL(server);
  let silent = false;
  let resetting = false;
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let cut = false;
    const cutOff = () => {
      cut = true;
    };
    client.on('data', (chunk) => {
      if (resetting) {
        client.destroy();
        upstream.destroy();
      } else if (!cut) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => cut || client.write(chunk));
    for (const socket of [client, upstream]) socket.on('error', () => {});
    client.on('close', () => upstream.destroy());
    proxy.on('silence', cutOff);
    if (silent) cutOff();
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const { port } = proxy.address() as net.AddressInfo;
  const url = new URL(server);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.href,
    silence() {
      silent = true;
      proxy.emit('silence');
    },
    heal() {
      silent = false;
      resetting = false;
      proxy.removeAllListeners('silence');
    },
    /** What a client sends next closes its connection (the server went away meanwhile). */
    reset() {
      resetting = true;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      proxy.close();
    },
  };
}

// statement_timeout is the server's: with the server gone silent nothing ended a query, and the
// connection went back to the pool with that query in flight, so the next request took it and
// waited too.
test('a query the server never answers fails after unansweredAfterMs, and its connection is not reused', async () => {
  const proxy = await silentProxy();
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
  proxy.heal();
  await database.ping();
  // A query outside a transaction, on the pool itself.
  proxy.silence();
  await assert.rejects(database.ping(), /Query read timeout/);
  proxy.heal();
  await database.ping();
});

// Drizzle sends `begin` before the try whose finally releases the connection
// (drizzle-team/drizzle-orm#6241): a `begin` that failed kept its connection checked out for good,
// and a pool whose connections all failed so (a server gone silent, then back) refused every
// request with a connect timeout although the server was fine again.
test('a transaction whose begin fails gives its connection back to the pool', async () => {
  const proxy = await silentProxy();
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
  proxy.heal();
  await transaction();

  // Closed by the other side between checkout and begin.
  proxy.reset();
  await assert.rejects(transaction(), failsWith(/Connection terminated/));
  proxy.heal();
  await transaction();
  await database.ping();
});
