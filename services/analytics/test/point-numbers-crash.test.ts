import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runMigrations } from '@platform/db';
import { copyCluster, startEmbeddedPostgres } from '@platform/launcher/postgres';
import pg from 'pg';
import { openDatabase } from '../src/db/index.ts';
import { createPointNumbers, POINT_BLOCK } from '../src/ingestion/point-numbers.ts';

/**
 * A block of point numbers is the process's alone only if its reservation outlives a crash of
 * PostgreSQL: the process keeps handing out numbers from it after the server is back, so a
 * reservation lost in the crash gives the same block to the next process that asks, and two
 * events of one series and millisecond become one point (review). `nextval` alone writes its WAL
 * without flushing it (a transaction without an xid commits asynchronously), so the reservation
 * commits a transaction of its own, synchronously whatever the server's synchronous_commit.
 *
 * Its own server (the test run's is shared): crashed with SIGKILL while its WAL writer is stopped,
 * so what reached the WAL files is exactly what a commit flushed, not what the writer happened to
 * flush first.
 */
const migrations = path.resolve(import.meta.dirname, '..', 'drizzle');

async function server(dataDir: string) {
  return startEmbeddedPostgres({
    dataDir,
    // Nothing but the test's own commits writes WAL out: no autovacuum, no background writer
    // rounds, no checkpoint but the test's. synchronous_commit off, as an ingest-heavy
    // deployment may set it: the reservation must not depend on it.
    settings: [
      'fsync=off',
      'synchronous_commit=off',
      'autovacuum=off',
      'bgwriter_lru_maxpages=0',
      'checkpoint_timeout=1h',
    ],
  });
}

async function query(url: string, text: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

const inDatabase = (url: string) => url.replace(/\/postgres$/, '/points');

/** SIGKILL, to a process that may have ended already (the query's own backend). */
function kill(pid: number) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as { code?: string }).code !== 'ESRCH') throw error;
  }
}

/** Waits until none of the processes runs (exited, or a zombie left to be reaped). */
async function gone(pids: number[]) {
  const running = async (pid: number) => {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (stat !== undefined) return !/^\d+ \(.*\) [ZX]/.test(stat);
    // Without /proc (macOS), a signal 0 tells.
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 200; i += 1) {
    if (!(await Promise.all(pids.map(running))).some(Boolean)) return;
    await sleep(50);
  }
  throw new Error('the crashed server did not go');
}

test('a block reserved just before PostgreSQL crashes is not handed out again after it', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'points-crash-'));
  /** The server's processes, killed whatever happens: a stopped WAL writer would outlive it. */
  let pids: number[] = [];
  let first: Awaited<ReturnType<typeof server>> | undefined;
  try {
    const template = process.env.TEST_POSTGRES_CLUSTER;
    if (template) await copyCluster(template, dataDir);
    first = await server(dataDir);
    await query(first.url, 'create database points');
    await runMigrations(inDatabase(first.url), migrations);
    // Everything so far is on disk; from here on only a commit's own flush writes WAL out.
    await query(first.url, 'checkpoint');
    // Every process of the server (each its own process group), the postmaster's pid first.
    const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
    const postmaster = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
    const processes = await query(first.url, 'select pid, backend_type from pg_stat_activity');
    const walWriter = processes.find((p) => p.backend_type === 'walwriter');
    assert.ok(postmaster > 1 && walWriter, 'the server and its WAL writer found');
    pids = [postmaster, ...processes.map((p) => Number(p.pid))];
    process.kill(walWriter.pid, 'SIGSTOP');

    const before = await openDatabase(inDatabase(first.url));
    const taken = await createPointNumbers(before.db).take(1);
    await before.close();
    // The crash: every process at once, nothing shut down.
    for (const pid of pids) kill(pid);
    await first.stop();
    await gone(pids);
    // Gone: their pids may be another process's now, never to be signalled again.
    pids = [];
    // What a start after a machine's crash finds: a lock file whose processes are no more (here
    // they may linger as zombies until reaped, which PostgreSQL would take for a live server).
    await rm(pidFile);

    const second = await server(dataDir);
    const after = await openDatabase(inDatabase(second.url));
    try {
      const next = await createPointNumbers(after.db).take(1);
      assert.notEqual(
        Math.floor(next / POINT_BLOCK),
        Math.floor(taken / POINT_BLOCK),
        `the block of ${taken} was handed out again after the crash`,
      );
    } finally {
      await after.close();
      await second.stop();
    }
  } finally {
    for (const pid of pids) kill(pid);
    await first?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
