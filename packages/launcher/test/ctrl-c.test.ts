import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  dataDirWithCluster,
  descendants,
  launch,
  ports,
  READY_MS,
  readCommandLine,
  until,
  waitGone,
} from './launch.ts';

/** The processes whose command line names `dir`: PostgreSQL's postmaster, and its guard. */
const postgresOf = (dir: string) =>
  readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => readCommandLine(pid).includes(path.join(dir, 'postgres')));

/** What a service logs when PostgreSQL went away under it. */
const LOST_DATABASE =
  /terminating connection|Connection terminated|ECONNREFUSED|the database system is shutting down|57P01|connection (error|ended)/i;

test('Ctrl-C (SIGINT to the whole foreground group): services drain on a live PostgreSQL, which stops last', async () => {
  const dataDir = await dataDirWithCluster('launcher-ctrl-c-');
  after(() => rm(dataDir, { recursive: true, force: true }));
  const env = { ...(await ports()), DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  // Its own process group, as a shell runs a foreground job; this test stays outside it.
  const launched = launch(env, [], { detached: true });
  after(() => {
    // Not once it has exited or was killed (its group is gone then: ESRCH).
    const { exitCode, signalCode } = launched.child;
    if (exitCode === null && signalCode === null) process.kill(-launched.child.pid!, 'SIGKILL');
  });
  const [, url] = await launched.waitFor(/Gateway ready at (http:\/\/\S+)/, READY_MS);
  // Some work for the services, so their pools hold connections when the signal comes.
  const registered = await fetch(`${url}/accounts/v1/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: 'ctrl-c@example.com',
      username: 'ctrlc',
      password: 'correct horse battery staple',
    }),
  });
  assert.equal(registered.status, 201, await registered.text());
  const postgres = postgresOf(dataDir);
  assert.ok(postgres.length > 0, 'PostgreSQL runs with that data folder');
  const children = descendants(launched.child.pid!);
  const before = launched.output().length;

  process.kill(-launched.child.pid!, 'SIGINT');
  const code = await Promise.race([
    launched.exited,
    sleep(60_000, undefined, { ref: false }).then(() => 'timeout'),
  ]);
  assert.equal(code, 0, launched.output());
  const stopping = launched.output().slice(before);
  assert.match(stopping, /SIGINT received, stopping/);
  assert.doesNotMatch(stopping, LOST_DATABASE, stopping);
  // Nor an error of any kind on the way out (the launcher's own are `error: …` lines).
  assert.doesNotMatch(stopping, /"level":"(error|fatal)"|^error:/m, stopping);
  // A service's own last passes (analytics' writer, outbox relays) run before its pool closes.
  assert.doesNotMatch(stopping, /after calling end on the pool/, stopping);
  // The gateway stops first: its last performance samples still reach analytics.
  assert.doesNotMatch(stopping, /sending performance samples failed/, stopping);
  // Stopped, not left running on its own.
  assert.deepEqual(await waitGone([...children, ...postgres], 10_000), [], 'processes left behind');
  await until(() => postgresOf(dataDir).length === 0, 10_000, 'no postgres with the data folder');
});

test('the launcher killed outright (SIGKILL) takes its PostgreSQL down with it', async () => {
  const dataDir = await dataDirWithCluster('launcher-sigkill-');
  after(() => rm(dataDir, { recursive: true, force: true }));
  const launched = launch({ ...(await ports()), DATA_DIR: dataDir }, [], { detached: true });
  after(() => {
    // Not once it has exited or was killed (its group is gone then: ESRCH).
    const { exitCode, signalCode } = launched.child;
    if (exitCode === null && signalCode === null) process.kill(-launched.child.pid!, 'SIGKILL');
  });
  await launched.waitFor(/Gateway ready at/, READY_MS);
  assert.ok(postgresOf(dataDir).length > 0);
  launched.child.kill('SIGKILL');
  await launched.exited;
  await until(
    () => postgresOf(dataDir).length === 0,
    30_000,
    'PostgreSQL stopping after its owner died',
  );
});
