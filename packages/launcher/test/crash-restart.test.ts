import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { dataDirWithCluster, launch, ports } from './launch.ts';

/**
 * A crashed service started again with a growing delay, the others left running: start.test.ts,
 * in its first stack (a whole stack is ~15 s of CPU); a stop while a crash restart is pending:
 * dev.test.ts, in its.
 */
describe('npm start: a crashed service', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await dataDirWithCluster('launcher-crash-');
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  test('that cannot start at all stops the launch with its reason instead of restarting', async () => {
    // The launcher passes other variables through; auth refuses this one at start. Auth, as the
    // service the others wait for (start_first), refuses before they are started: a launch that
    // ends here costs PostgreSQL and one service instead of the whole stack (analytics refusing
    // its RETENTION_DAYS came after auth was ready and the other three had started).
    const env = { ...(await ports()), DATA_DIR: dataDir, AUDIT_RETENTION_DAYS: 'forever' };
    const launched = await launch(env);
    assert.equal(await launched.exited, 1, launched.output());
    const output = launched.output();
    assert.match(output, /auth +\| configuration error: AUDIT_RETENTION_DAYS/);
    assert.match(output, /^error: auth exited with code 1 before it was ready\.$/m);
    assert.doesNotMatch(output, /restarting|Gateway ready/);
  });
});
