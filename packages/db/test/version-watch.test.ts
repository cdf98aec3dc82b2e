import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { type VersionWatchOptions, watchVersion } from '../src/index.ts';

const server = process.env.TEST_POSTGRES_URL!;
const silent = { info() {}, warn() {}, debug() {} };

/** A one-row counter, and a writer that bumps it and notifies in one transaction. */
async function counter(t: TestContext) {
  const name = `vw_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: server, max: 3 });
  t.after(async () => {
    await pool.query(`drop table ${name}`).catch(() => {});
    await pool.end();
  });
  await pool.query(`create table ${name} (v bigint not null)`);
  await pool.query(`insert into ${name} values (0)`);
  const read = async () => String((await pool.query(`select v from ${name}`)).rows[0].v);
  /** Bumps; `notify` false: a write that sent nothing; `commit` false: rolled back. */
  const bump = async (options: { notify?: boolean; commit?: boolean } = {}) => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query(`update ${name} set v = v + 1 returning v::text as v`);
      if (options.notify ?? true) await client.query('select pg_notify($1, $2)', [name, rows[0].v]);
      await client.query(options.commit === false ? 'rollback' : 'commit');
      return rows[0].v as string;
    } finally {
      client.release();
    }
  };
  return { name, read, bump };
}

async function watch(
  t: TestContext,
  options: Partial<VersionWatchOptions> & { read(): Promise<string>; channel: string },
) {
  const watched = await watchVersion({
    url: server,
    log: silent,
    isNewer: (a, b) => BigInt(a) > BigInt(b),
    listen: { retryMs: 50, maxRetryMs: 200 },
    ...options,
  });
  t.after(() => watched.close());
  return watched;
}

async function eventually(check: () => boolean, ms = 10_000) {
  const start = Date.now();
  while (!check()) {
    assert.ok(Date.now() - start < ms, `not true within ${ms} ms`);
    await sleep(10);
  }
}

test('a held wait wakes when another connection commits a bump, not for one rolled back', async (t) => {
  const { name, read, bump } = await counter(t);
  // Fallback reads far apart: only the NOTIFY can wake the hold in time.
  const watched = await watch(t, { read, channel: name, fallbackMs: 60_000 });
  await eventually(() => watched.listening);
  assert.equal(watched.current(), '0');

  let settled = false;
  const held = watched.hold('0', 30_000).finally(() => {
    settled = true;
  });
  assert.equal(watched.held, 1);
  await bump({ commit: false });
  await sleep(300);
  assert.equal(settled, false, 'a rolled-back bump notifies no one');
  const next = await bump();
  assert.equal(await held, next);
  assert.equal(watched.held, 0);
  // A version that is not the current one is not held at all.
  assert.equal(watched.canHold('0'), false);
  assert.equal(await watched.hold('0', 30_000), next);
});

test('not listening, the version is read every fallbackMs; a read never sets it back', async (t) => {
  const { name, read, bump } = await counter(t);
  const watched = await watch(t, {
    read,
    channel: name,
    // Nothing listens on port 1: LISTEN never comes up.
    url: 'postgres://nobody@127.0.0.1:1/none',
    fallbackMs: 50,
  });
  assert.equal(watched.listening, false);
  const held = watched.hold('0', 30_000);
  const next = await bump({ notify: false });
  assert.equal(await held, next);
  watched.saw('99');
  await sleep(200); // several reads of the table's older value
  assert.equal(watched.current(), '99');
});

test('held waits are capped; a caller that hangs up frees its place; drain answers every one', async (t) => {
  const { name, read } = await counter(t);
  const watched = await watch(t, { read, channel: name, maxHeld: 2 });
  const gone = new AbortController();
  const first = watched.hold('0', 30_000, gone.signal);
  const second = watched.hold('0', 30_000);
  assert.equal(watched.held, 2);
  assert.equal(watched.canHold('0'), false);
  assert.equal(await watched.hold('0', 30_000), '0', 'over the cap: answered at once');

  gone.abort();
  assert.equal(await first, '0');
  assert.equal(watched.held, 1);
  assert.equal(watched.canHold('0'), true);

  watched.drain();
  assert.equal(await second, '0');
  assert.equal(watched.held, 0);
  assert.equal(watched.canHold('0'), false, 'draining: nothing more is held');
});
