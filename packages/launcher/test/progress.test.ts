import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadManifests } from '@platform/manifest';
import { postgresProgress, progress } from '../src/progress.ts';
import { dataDirWithCluster, launch, ports, READY_MS, root, stop } from './launch.ts';

test('progress lines are said at LOG_LEVEL=info (and more verbose), not at warn and quieter', () => {
  for (const [level, said] of [
    ['trace', true],
    ['debug', true],
    ['info', true],
    ['warn', false],
    ['error', false],
    ['fatal', false],
    ['silent', false],
  ] as const) {
    const lines: string[] = [];
    progress(level, (line) => lines.push(line))('compiling the services…');
    assert.deepEqual(lines, said ? ['compiling the services…'] : [], level);
  }
});

test("PostgreSQL's progress line says when a first start creates the cluster", (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'launcher-progress-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  assert.equal(
    postgresProgress(undefined, dataDir),
    'starting PostgreSQL (first start: creating the cluster)…',
  );
  mkdirSync(path.join(dataDir, 'postgres'));
  writeFileSync(path.join(dataDir, 'postgres', 'PG_VERSION'), '18\n');
  assert.equal(postgresProgress(undefined, dataDir), 'starting PostgreSQL…');
  // An existing server: its host, never its password.
  assert.equal(
    postgresProgress('postgres://admin:s3cret@db.example.com:5433/postgres', dataDir),
    'connecting to PostgreSQL at db.example.com:5433 (POSTGRES_URL)…',
  );
});

// The line named what `new URL` calls the host, which is not always where pg connects: the
// socket form's host is in the query (`at  (POSTGRES_URL)`, an empty address), a `?host=` or
// `?port=` wins over the authority's, and a password with an unencoded `/`, `?` or `#` ends the
// authority early, so that the user and the start of the password were printed as the host.
test("PostgreSQL's progress line names where pg connects, and nothing of the userinfo or query", () => {
  const at = (url: string) => postgresProgress(url, tmpdir());
  const line = (address: string) => `connecting to PostgreSQL at ${address} (POSTGRES_URL)…`;
  assert.equal(at('postgres://user:pa@ss@db.example.com/app'), line('db.example.com'));
  assert.equal(at('postgres://u:p%40ss@[::1]:5433/app'), line('[::1]:5433'));
  assert.equal(at('postgres:///app?host=/run/postgresql'), line('/run/postgresql'));
  assert.equal(at('postgres://u:s3cret@%2Frun%2Fpostgresql/app'), line('/run/postgresql'));
  assert.equal(
    at('postgres://u@ignored:5432/app?password=s3cret&host=db.internal&port=6543'),
    line('db.internal:6543'),
  );
  assert.equal(at('postgresql://db.example.com/app?password=s3cret'), line('db.example.com'));
  for (const url of [
    'postgres://admin:1234/5678@db.example.com/app',
    'postgres://admin:12#34@db.example.com/app',
    'postgres://admin:12?34@db.example.com/app',
  ]) {
    const said = at(url);
    assert.equal(said, 'connecting to PostgreSQL (POSTGRES_URL)…', url);
    assert.doesNotMatch(said, /admin|12/, url);
  }
});

// After npm's header nothing was said for 20 s or so while the services compiled and PostgreSQL
// started: a newcomer took it for a hang.
test('npm start says what it is doing while the stack starts', async (t) => {
  const dataDir = await dataDirWithCluster('launcher-progress-');
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const services = loadManifests(root);
  const first = services.filter((s) => s.start_first).map((s) => s.name);
  const rest = services.filter((s) => !s.start_first).map((s) => s.name);
  const launched = await launch({ ...(await ports()), DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  t.after(() => {
    if (launched.child.exitCode === null && launched.child.signalCode === null)
      launched.child.kill('SIGKILL');
  });
  const last = `starting ${rest.join(', ')}…`;
  await launched.waitFor(new RegExp(`^${last}$`, 'm'), READY_MS);
  const said = launched
    .output()
    .split('\n')
    .filter((line) => /^(compiling|starting|connecting)\b/.test(line));
  assert.deepEqual(
    said,
    ['compiling the services…', 'starting PostgreSQL…', `starting ${first.join(', ')}…`, last],
    launched.output(),
  );
  assert.equal(await stop(launched), 0, launched.output());
});
