import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { devMode } from '../src/dev.ts';
import type { PlannedService } from '../src/services.ts';
import { until } from './launch.ts';

// A service made while npm run dev ran (npm run new:service, in another terminal) was ignored
// without a word: its folder is no code of a running service. Its database, port and the
// gateway's ROUTES are set at start, so dev says to run it again rather than leave it unserved.
test('npm run dev says to restart it when a new service appears under services/, once', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'launcher-dev-new-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const write = async (file: string, text = '{}\n') => {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  };
  await write('services/main/package.json', JSON.stringify({ name: '@services/main' }));
  await write('services/main/service.json');
  const lines: string[] = [];
  const dev = devMode({
    root: dir,
    planned: [{ spec: { name: 'main' } } as PlannedService],
    builds: () => path.join(dir, 'builds'),
    supervisors: [],
    stopping: () => false,
    say: (line) => lines.push(line),
  });
  const watcher = await dev.watch();
  t.after(() => watcher.close());
  dev.watching();
  // As new:service writes it: code first, its manifest last.
  await write('services/notes/package.json', JSON.stringify({ name: '@services/notes' }));
  await write('services/notes/src/server.ts', '// a server\n');
  await sleep(300);
  await write('services/notes/service.json');
  const said = (pattern: RegExp) => lines.filter((l) => pattern.test(l));
  await until(() => said(/^services\/notes /).length > 0, 5000, 'the new service named');
  assert.deepEqual(said(/^services\/notes /), [
    "services/notes is a new service: npm run dev starts only the services there were when it started (their databases and the gateway's routes are set then); stop it and run it again to serve notes",
  ]);
  // Further saves in it say nothing more; a running service's own saves say nothing of the kind.
  await write('services/notes/src/server.ts', '// edited\n');
  await write('services/main/service.json', '{ }\n');
  await sleep(600);
  assert.equal(said(/^services\//).length, 1, lines.join('\n'));
});
