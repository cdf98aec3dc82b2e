import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import {
  dataDirWithCluster,
  descendants,
  type Launched,
  launch,
  ports,
  READY_MS,
  SERVICE_NAMES,
  servicePids,
  stop,
  until,
  waitGone,
} from './launch.ts';

const answersReady = async (url: string) => {
  try {
    return (await fetch(`${url}/health/ready`)).status === 200;
  } catch {
    return false;
  }
};

describe('npm start: a crashed service', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await dataDirWithCluster('launcher-crash-');
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Kills main as a crash would; resolves with its new pid once it answers ready again. */
  async function crashMain(launched: Launched, mainUrl: string, crash: number, delay: string) {
    const before = servicePids(launched.child.pid!);
    process.kill(before.main!, 'SIGKILL');
    await launched.waitFor(
      new RegExp(
        `main exited with signal SIGKILL \\(crash ${crash} in a row\\); restarting in ${delay}\\n`,
      ),
      10_000,
    );
    const pid = await until(
      () => {
        const now = servicePids(launched.child.pid!).main;
        return now !== undefined && now !== before.main && now;
      },
      READY_MS,
      'main started again',
    );
    await until(() => answersReady(mainUrl), READY_MS, 'main ready again on its port');
    const after = servicePids(launched.child.pid!);
    for (const name of SERVICE_NAMES.filter((n) => n !== 'main'))
      assert.equal(after[name], before[name], `${name} was restarted too`);
    return pid;
  }

  test('is started again on its port with a growing delay; the others keep running; Ctrl-C still stops all', async () => {
    const given = await ports();
    const env = { ...given, DATA_DIR: dataDir };
    const mainUrl = `http://127.0.0.1:${given.MAIN_PORT}`;
    const launched = await launch(env);
    const [, url] = await launched.waitFor(/Gateway ready at (http:\/\/\S+)/, READY_MS);
    const first = servicePids(launched.child.pid!);
    assert.deepEqual(Object.keys(first).sort(), SERVICE_NAMES);

    const second = await crashMain(launched, mainUrl, 1, '0.5 s');
    const third = await crashMain(launched, mainUrl, 2, '1 s');
    assert.notEqual(second, first.main);
    assert.notEqual(third, second);
    await until(
      async () => (await fetch(`${url}/health`)).status === 200,
      READY_MS,
      'the gateway sees every service ready',
    );
    // The launcher polls readiness on its own schedule: its line may trail the port's answer.
    await launched.waitFor(/main is back \(ready in [\d.]+ s\)/, READY_MS);

    // Ctrl-C while a restart is pending: no restart, everything stops, exit 0.
    const processes = descendants(launched.child.pid!);
    process.kill(third, 'SIGKILL');
    await launched.waitFor(/\(crash 3 in a row\); restarting in 2 s/, 10_000);
    assert.equal(await stop(launched), 0, launched.output());
    assert.deepEqual(await waitGone(processes, 2000), [], 'processes left behind');
    const afterStop = launched.output().slice(launched.output().indexOf('SIGTERM received'));
    assert.doesNotMatch(afterStop, /main is back|error:/, afterStop);
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
