import assert from 'node:assert/strict';
import { rm, utimes } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  dataDirWithCluster,
  descendants,
  type Launched,
  launch,
  ports,
  READY_MS,
  root,
  SERVICE_NAMES,
  servicePids,
  stop,
  until,
  waitGone,
} from './launch.ts';

/** A save that changes nothing: the modification time moves, the tree stays clean. */
const touch = (file: string) => utimes(path.join(root, file), new Date(), new Date());

/** Resolves once `name` runs as a process other than `old`, with the new pid. */
const replaced = (launched: Launched, name: string, old: number | undefined, ms: number) =>
  until(
    () => {
      const pid = servicePids(launched.child.pid!)[name];
      return pid !== undefined && pid !== old && pid;
    },
    ms,
    `${name} restarted`,
  );

/** The file the first test saves while the stack starts. */
const PAGE = 'services/analytics/src/dashboard/page.ts';

describe('npm run dev', () => {
  let dataDir: string;
  /** The stack of the first test, used by the second and stopped by the third. */
  let started: Launched | undefined;
  before(async () => {
    dataDir = await dataDirWithCluster('launcher-dev-');
  });
  after(async () => {
    // Left running only if a test failed midway.
    if (started && started.child.exitCode === null && started.child.signalCode === null) {
      started.child.kill('SIGKILL');
      await started.exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  test('a file saved while the stack starts restarts its service once, as soon as the stack is up', async () => {
    const assigned = await ports();
    const env = { ...assigned, DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    const launched = await launch(env, ['--dev']);
    started = launched;
    // auth starts first and alone (start_first): its first line comes once every service has
    // been compiled, before the others start. Before, the watch began once all were up: a save
    // here restarted nothing, and analytics served the page it was compiled with.
    await launched.waitFor(/^auth +\| .*Server listening at /m, READY_MS);
    assert.doesNotMatch(launched.output(), /^Watching /m, 'the stack is still starting');
    // Touched, not edited: a developer's unsaved work in the file, or another test reading it
    // meanwhile, is never disturbed; the new process is what shows the save was acted on.
    await touch(PAGE);
    await launched.waitFor(/Gateway ready at/, READY_MS);
    // One restart for the save, asked for as soon as the services are up (before the gateway
    // is). Its reason says "while starting": the next test counts those for its own saves.
    assert.deepEqual(launched.output().match(/^\S+: .*; restarting$/gm), [
      `analytics: ${PAGE} changed while starting; restarting`,
    ]);
    await launched.waitFor(/^analytics restarted \(ready in/m, READY_MS);
    const starts = launched.output().match(/^analytics +\| .*Server listening at /gm) ?? [];
    assert.equal(starts.length, 2, 'analytics started, then again for the save');
  });

  test('restarts only the services whose code changed, and pretty-prints their logs', async (t) => {
    assert.ok(started, 'the first test started the stack');
    const launched = started;
    await launched.waitFor(/Gateway ready at/, READY_MS);
    assert.match(launched.output(), /^Watching services\/ and packages\/ for changes\.$/m);
    assert.match(
      launched.output(),
      /^main +\| \[\d\d:\d\d:\d\d\.\d{3}\] INFO: Server listening at http:\/\/127\.0\.0\.1:/m,
    );
    const first = servicePids(launched.child.pid!);
    assert.deepEqual(Object.keys(first).sort(), SERVICE_NAMES);

    // A test file is not code the service runs: no restart. The save after it shows that the
    // watcher had seen it (changes are handled in order) and restarts main alone, within 2 s.
    await touch('services/main/test/posts-crud.test.ts');
    await sleep(1000);
    const saved = Date.now();
    await touch('services/main/src/slug.ts');
    const main = await replaced(launched, 'main', first.main, 10_000);
    const latency = Date.now() - saved;
    t.diagnostic(`main's new process ${latency} ms after the save`);
    assert.ok(latency <= 2000, `main restarted ${latency} ms after the save`);
    await launched.waitFor(/main restarted \(ready in/, READY_MS);
    const restarts = launched.output().match(/^\S+: .* changed; restarting$/gm);
    assert.deepEqual(restarts, ['main: services/main/src/slug.ts changed; restarting']);
    const second = servicePids(launched.child.pid!);
    assert.deepEqual(second, { ...first, main } as Record<string, number>);

    // A shared package restarts the services that depend on it, directly or not: outbox is
    // auth's and main's; gateway and analytics do not use it.
    await touch('packages/outbox/src/relay.ts');
    const [auth, mainAgain] = await Promise.all([
      replaced(launched, 'auth', second.auth, 10_000),
      replaced(launched, 'main', second.main, 10_000),
    ]);
    const count = (pattern: RegExp) => launched.output().match(pattern)?.length ?? 0;
    await until(
      () =>
        count(/^auth restarted \(ready in/gm) === 1 && count(/^main restarted \(ready in/gm) === 2,
      READY_MS,
      'auth and main ready again',
    );
    assert.deepEqual(servicePids(launched.child.pid!), { ...second, auth, main: mainAgain });
    const readyLines = launched.output().match(/^\S+ restarted \(ready in .*\)$/gm) ?? [];
    t.diagnostic(readyLines.join(', '));
  });

  // The supervisor's crash restarts, as under npm start (start.test.ts: main crashes twice and
  // is back on its port, the others untouched). Three crashes in a row: the next start waits 2 s.
  test('a stop (Ctrl-C) while a crash restart is pending: no restart, everything stops, exit 0', async () => {
    assert.ok(started, 'the first test started the stack');
    const stack = started;
    for (const [crash, delay] of [
      [1, '0.5 s'],
      [2, '1 s'],
      [3, '2 s'],
    ] as const) {
      const main = servicePids(stack.child.pid!).main;
      assert.ok(main, `main runs before crash ${crash}`);
      process.kill(main, 'SIGKILL');
      await stack.waitFor(
        new RegExp(
          `main exited with signal SIGKILL \\(crash ${crash} in a row\\); restarting in ${delay}\\n`,
        ),
        10_000,
      );
      if (crash < 3) await replaced(stack, 'main', main, READY_MS);
    }
    const processes = descendants(stack.child.pid!);
    assert.equal(await stop(stack), 0, stack.output());
    assert.deepEqual(await waitGone(processes, 2000), [], 'processes left behind');
    const afterStop = stack.output().slice(stack.output().indexOf('SIGTERM received'));
    assert.doesNotMatch(afterStop, /main is back|error:/, afterStop);
  });
});
