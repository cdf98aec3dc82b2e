import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { createTestDatabase } from '../src/index.ts';

test("a test database dropped right after its pool's end terminates none of the connections still closing", async () => {
  // pg.Pool's end() resolves once it has asked its connections to close, not once they have.
  // drop() forced them out on the process's kept connection at once: a connection still closing
  // got the server's "terminating connection due to administrator command", and a pool without
  // an error listener (a test file's own) threw it as an uncaught exception.
  const errors: Error[] = [];
  for (let round = 0; round < 10; round += 1) {
    const database = await createTestDatabase();
    const pool = new pg.Pool({ connectionString: database.url, max: 5 });
    pool.on('error', (error) => errors.push(error));
    await Promise.all(Array.from({ length: 5 }, () => pool.query('select pg_sleep(0.01)')));
    await pool.end();
    await database.drop();
  }
  // What the server sent a closing connection arrives a moment later.
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(
    errors.map((e) => e.message),
    [],
  );
});
