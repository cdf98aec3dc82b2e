import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadManifests } from '@platform/manifest';
import { readLauncherConfig } from '../src/config.ts';
import { startPostgres } from '../src/database.ts';
import { LOCK_FILE, lockDataDir } from '../src/lock.ts';
import { LaunchError } from '../src/ports.ts';
import { dataDirWithCluster, launch, ports, root } from './launch.ts';

// A newcomer starting a second stack (another GATEWAY_PORT, same ./.data) got PostgreSQL's bare
// `FATAL: lock file "postmaster.pid" already exists`, which says neither why nor what to do.
test('a second start on a DATA_DIR in use says so and names the way out', async () => {
  const dataDir = await dataDirWithCluster('launcher-in-use-');
  after(() => rm(dataDir, { recursive: true, force: true }));
  const config = readLauncherConfig(loadManifests(root), { DATA_DIR: dataDir });
  const first = await startPostgres(config, dataDir);
  after(() => first.stop());

  const second = await startPostgres(config, dataDir).then(
    (server) => server.stop().then(() => assert.fail('a second server started on one DATA_DIR')),
    (error: unknown) => error,
  );
  assert.ok(second instanceof LaunchError, String(second));
  assert.match(
    second.message,
    new RegExp(
      `^DATA_DIR ${dataDir} is in use by another npm start or npm run dev .*: stop that one, ` +
        'or set DATA_DIR to another folder',
    ),
  );
});

test('a DATA_DIR that is a file, or under one, stops the launch at once with one line naming it', async () => {
  // Node's bare "EEXIST: file already exists, mkdir '…'" named neither DATA_DIR nor the problem.
  const dir = await mkdtemp(path.join(tmpdir(), 'launcher-data-file-'));
  after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'a-file');
  await writeFile(file, 'not a folder');
  for (const dataDir of [file, path.join(file, 'data')]) {
    const launched = await launch({ ...(await ports()), DATA_DIR: dataDir });
    assert.equal(await launched.exited, 1);
    assert.equal(
      launched.output(),
      `error: DATA_DIR ${dataDir} cannot hold the stack's state (it, or a folder on its path, is a file): set DATA_DIR to a folder of yours.\n`,
    );
  }
});

test('a second start on a DATA_DIR in use is refused with POSTGRES_URL set too, where no PostgreSQL lock stops it', async () => {
  // With POSTGRES_URL the embedded server's lock file is never made: a second npm start on the
  // same folder (another GATEWAY_PORT) ran beside the first.
  const dataDir = await mkdtemp(path.join(tmpdir(), 'launcher-lock-'));
  after(() => rm(dataDir, { recursive: true, force: true }));
  // A launcher that runs: a Node process, as the lock file's holder.
  const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
    stdio: 'ignore',
  });
  after(() => holder.kill('SIGKILL'));
  await writeFile(path.join(dataDir, LOCK_FILE), `${holder.pid}\n`);
  const launched = await launch({
    ...(await ports()),
    DATA_DIR: dataDir,
    POSTGRES_URL: 'postgres://postgres:unused@127.0.0.1:1/postgres',
  });
  assert.equal(await launched.exited, 1);
  assert.equal(
    launched.output(),
    `error: DATA_DIR ${dataDir} is in use by another npm start or npm run dev (process ${holder.pid}): stop that one, or set DATA_DIR to another folder to run a second stack beside it.\n`,
  );
  assert.equal(await readFile(path.join(dataDir, LOCK_FILE), 'utf8'), `${holder.pid}\n`);
});

test("a launcher's lock is taken over once its holder is gone (kill -9, a reboot), and given back on release", async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'launcher-lock-'));
  after(() => rm(dataDir, { recursive: true, force: true }));
  const file = path.join(dataDir, LOCK_FILE);
  const gone = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => gone.once('exit', resolve));
  for (const stale of [`${gone.pid}\n`, 'not a pid\n', '']) {
    await writeFile(file, stale);
    const release = await lockDataDir(dataDir);
    assert.equal(await readFile(file, 'utf8'), `${process.pid}\n`);
    await assert.rejects(lockDataDir(dataDir), /is in use by another npm start/);
    release();
    assert.equal(existsSync(file), false);
  }
});

test('a start refused before anything runs (a port in use) leaves no DATA_DIR behind it made', async () => {
  // A second stack beside the first (another DATA_DIR, the same ports) was refused, and left the
  // new DATA_DIR empty on disk: a folder the user never asked to keep.
  const dir = await mkdtemp(path.join(tmpdir(), 'launcher-refused-'));
  after(() => rm(dir, { recursive: true, force: true }));
  const env = await ports();
  const blocker = createServer();
  await new Promise<void>((resolve) =>
    blocker.listen(Number(env.GATEWAY_PORT), '127.0.0.1', resolve),
  );
  after(() => new Promise((resolve) => blocker.close(resolve)));
  const dataDir = path.join(dir, 'second', 'data');
  const launched = await launch({ ...env, DATA_DIR: dataDir });
  assert.equal(await launched.exited, 1);
  assert.match(launched.output(), /^error: port \d+ \(GATEWAY_PORT\) is already in use/m);
  assert.equal(existsSync(path.join(dir, 'second')), false, 'the folders it made are gone');
  // One that was there before is kept, empty or not.
  await mkdir(dataDir, { recursive: true });
  const again = await launch({ ...env, DATA_DIR: dataDir });
  assert.equal(await again.exited, 1);
  assert.equal(existsSync(dataDir), true, 'an existing DATA_DIR stays');
  assert.deepEqual(await readdir(dataDir), []);
});
