import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, test } from 'node:test';
import { loadManifests } from '@platform/manifest';
import { readLauncherConfig } from '../src/config.ts';
import { startPostgres } from '../src/database.ts';
import { LaunchError } from '../src/ports.ts';
import { dataDirWithCluster, root } from './launch.ts';

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
