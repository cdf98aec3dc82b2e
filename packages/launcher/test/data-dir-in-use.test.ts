import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadManifests } from '@platform/manifest';
import { readLauncherConfig } from '../src/config.ts';
import { startPostgres } from '../src/database.ts';
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
