import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@platform/launcher/postgres';
import { isRunning, type ServiceProcess, spawnService, stopAll } from '../src/processes.ts';
import { type RestartPolicy, type Supervisor, supervise } from '../src/supervisor.ts';
import { until } from './launch.ts';

const fixture = path.join(import.meta.dirname, 'fixtures', 'service.mjs');

interface Harness {
  supervisor: Supervisor;
  said: string[];
  spawned: ServiceProcess[];
  url: string;
  stopping: boolean;
}

async function harness(
  policy: RestartPolicy,
  env: Record<string, string> = {},
  readyTimeoutMs = 30_000,
): Promise<Harness> {
  const port = await freePort();
  const h: Harness = {
    said: [],
    spawned: [],
    url: `http://127.0.0.1:${port}`,
    stopping: false,
    supervisor: undefined as unknown as Supervisor,
  };
  h.supervisor = supervise({
    name: 'svc',
    url: h.url,
    spawn: () => {
      const p = spawnService('svc', fixture, {
        cwd: import.meta.dirname,
        env: { ...process.env, PORT: String(port), ...env },
        prefix: 'svc | ',
      });
      h.spawned.push(p);
      return p;
    },
    say: (line) => h.said.push(line),
    stopping: () => h.stopping,
    readyTimeoutMs,
    stopGraceMs: 5000,
    policy,
  });
  // Stopped when the test that made it ends (the tests run side by side).
  after(async () => {
    h.stopping = true;
    h.supervisor.cancel();
    await stopAll(h.supervisor.processes(), 2000);
  });
  return h;
}

/** How long the tests of a service that never gets ready give it. */
const NEVER_READY_MS = 8000;

const quick: RestartPolicy = { firstDelayMs: 100, maxDelayMs: 300, resetAfterMs: 60_000 };
const ready = async (url: string) => {
  try {
    return (await fetch(`${url}/health/ready`)).status === 200;
  } catch {
    return false;
  }
};

/** Kills the running process as a crash would and waits for its successor to be ready. */
async function crash(h: Harness): Promise<void> {
  const count = h.spawned.length;
  h.spawned.at(-1)!.child.kill('SIGKILL');
  await until(() => h.spawned.length > count, 10_000, 'started again');
  await until(() => h.said.some((l) => l.startsWith('svc is back')), 30_000, 'ready again');
  h.said.splice(
    h.said.findIndex((l) => l.startsWith('svc is back')),
    1,
  );
}

// Side by side: each test supervises a process of its own on a port of its own, and most of
// their time is waiting (restart delays, readiness polls, a second in which nothing may happen).
describe('supervisor', { concurrency: true }, () => {
  test('a crash after it was ready starts it again, each crash in a row waiting twice as long up to the maximum', async () => {
    const h = await harness(quick);
    await h.supervisor.start();
    for (let i = 0; i < 4; i++) await crash(h);
    assert.deepEqual(h.said, [
      'svc exited with signal SIGKILL (crash 1 in a row); restarting in 0.1 s',
      'svc exited with signal SIGKILL (crash 2 in a row); restarting in 0.2 s',
      'svc exited with signal SIGKILL (crash 3 in a row); restarting in 0.3 s',
      'svc exited with signal SIGKILL (crash 4 in a row); restarting in 0.3 s',
    ]);
    assert.equal(h.spawned.length, 5);
    assert.ok(await ready(h.url));
  });

  test('a process that stayed up long enough starts the count again', async () => {
    const h = await harness({ ...quick, resetAfterMs: 0 });
    await h.supervisor.start();
    await crash(h);
    await crash(h);
    assert.deepEqual(h.said, [
      'svc exited with signal SIGKILL (crash 1 in a row); restarting in 0.1 s',
      'svc exited with signal SIGKILL (crash 1 in a row); restarting in 0.1 s',
    ]);
  });

  test('a first start that fails is reported, not retried', async () => {
    const h = await harness(quick, { FAIL_AT_START: '1' });
    await assert.rejects(h.supervisor.start(), {
      message: 'svc exited with code 1 before it was ready.',
    });
    await sleep(1000);
    assert.equal(h.spawned.length, 1);
    assert.deepEqual(h.said, []);
  });

  // A service waiting on another (its permissions not accepted by auth yet) says nothing at info
  // for its first minute: "see its log above" pointed at nothing. Its readiness checks say why.
  test('a start that is never ready names the readiness checks that fail', async () => {
    // Long enough for the process to start answering on a loaded machine (1 s was not, in CI).
    const h = await harness(quick, { NEVER_READY: '1' }, NEVER_READY_MS);
    await assert.rejects(h.supervisor.start(), {
      message: `svc was not ready within ${NEVER_READY_MS / 1000} s (${h.url}/health/ready: permissions: permissions not declared to auth yet); see its log above.`,
    });
  });

  // A reason is a check's error message: several lines (a validation error), escapes, empty (an
  // AggregateError's), and a service may have many checks. The launcher's line stays one line.
  test('failing checks are named on one short line, whatever they say', async () => {
    const h = await harness(quick, { NEVER_READY: 'many' }, NEVER_READY_MS);
    const error = await h.supervisor.start().then(
      () => assert.fail('ready'),
      (e: unknown) => e as Error,
    );
    assert.doesNotMatch(error.message, /\p{Cc}/u, 'a control character');
    assert.ok(error.message.length < 1000, `${error.message.length} characters`);
    assert.match(
      error.message,
      /: db: \(no reason given\); check 0\[2J: first line second line\[31m x+…; .* and 1998 more\)/,
    );
  });

  test('an exit while the launcher stops is not a crash', async () => {
    const h = await harness(quick);
    await h.supervisor.start();
    h.stopping = true;
    h.spawned[0]!.child.kill('SIGTERM');
    await h.spawned[0]!.exited;
    await sleep(1000);
    assert.equal(h.spawned.length, 1);
    assert.deepEqual(h.said, []);
  });

  test('a restart for changed code replaces the process at once and cancels a pending crash restart', async () => {
    const h = await harness({ ...quick, firstDelayMs: 60_000, maxDelayMs: 60_000 });
    await h.supervisor.start();
    await h.supervisor.restart('src/a.ts changed');
    assert.equal(h.spawned.length, 2);
    assert.equal(isRunning(h.spawned[0]!), false);
    await until(() => h.said.some((l) => l.startsWith('svc restarted')), 30_000, 'restarted');

    h.spawned[1]!.child.kill('SIGKILL');
    await until(() => h.said.some((l) => l.includes('restarting in 60 s')), 10_000, 'crash seen');
    await h.supervisor.restart('src/b.ts changed');
    await until(
      () => h.said.filter((l) => l.startsWith('svc restarted')).length === 2,
      30_000,
      'b',
    );
    assert.equal(h.spawned.length, 3);
    assert.deepEqual(
      h.said.map((l) => l.replace(/ready in [\d.]+ s/, 'ready in N s')),
      [
        'svc: src/a.ts changed; restarting',
        'svc restarted (ready in N s)',
        'svc exited with signal SIGKILL (crash 1 in a row); restarting in 60 s',
        'svc: src/b.ts changed; restarting',
        'svc restarted (ready in N s)',
      ],
    );
  });

  test("a restart's preparation (npm run dev's new build) runs while the old process stops; one that fails starts nothing until the next restart", async () => {
    const h = await harness(quick);
    await h.supervisor.start();
    let oldRunningAtPrepare: boolean | undefined;
    await h.supervisor.restart('src/a.ts changed', async () => {
      oldRunningAtPrepare = isRunning(h.spawned[0]!);
      await sleep(100);
    });
    assert.equal(oldRunningAtPrepare, true, 'prepared while the old process was still stopping');
    assert.equal(isRunning(h.spawned[0]!), false);
    assert.equal(h.spawned.length, 2);
    await until(() => h.said.some((l) => l.startsWith('svc restarted')), 30_000, 'restarted');

    await h.supervisor.restart('src/b.ts changed', async () => {
      throw new Error('compiling the services failed: src/b.ts:1:7: Unexpected ";"');
    });
    assert.equal(h.spawned.length, 2, 'nothing started');
    assert.equal(isRunning(h.spawned[1]!), false);
    assert.equal(await ready(h.url), false);

    await h.supervisor.restart('src/b.ts changed', async () => {});
    assert.equal(h.spawned.length, 3);
    await until(
      () => h.said.filter((l) => l.startsWith('svc restarted')).length === 2,
      30_000,
      'b again',
    );
    assert.deepEqual(
      h.said.map((l) => l.replace(/ready in [\d.]+ s/, 'ready in N s')),
      [
        'svc: src/a.ts changed; restarting',
        'svc restarted (ready in N s)',
        'svc: src/b.ts changed; restarting',
        'svc: not started again: compiling the services failed: src/b.ts:1:7: Unexpected ";"',
        'svc: src/b.ts changed; restarting',
        'svc restarted (ready in N s)',
      ],
    );
  });
});
