import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type SourceWatcher,
  servicesByWorkspace,
  watchSources,
  workspaceOf,
} from '../src/watch.ts';
import { root, until } from './launch.ts';

describe('which services a changed file restarts', () => {
  test('code of a workspace counts; tests, dependencies and hidden files do not', () => {
    assert.equal(workspaceOf('services/main/src/posts/routes.ts'), 'services/main');
    assert.equal(workspaceOf('services/main/drizzle/0001_init.sql'), 'services/main');
    assert.equal(workspaceOf('packages/http/src/app.ts'), 'packages/http');
    for (const ignored of [
      'services/main/test/helper.ts',
      'services/main/src/slug.test.ts',
      'packages/auth/node_modules/fastify-plugin/index.js',
      'services/main/src/.slug.ts.swp',
      'services/main/src/slug.ts~',
      'services/main',
      'scripts/test.ts',
    ])
      assert.equal(workspaceOf(ignored), undefined, ignored);
  });

  test('a package restarts the services that depend on it, directly or through another', () => {
    const users = servicesByWorkspace(root, ['auth', 'main', 'analytics', 'gateway']);
    const of = (folder: string) => [...(users.get(folder) ?? [])].sort();
    assert.deepEqual(of('services/main'), ['main']);
    assert.deepEqual(of('packages/outbox'), ['auth', 'main']);
    // gateway uses http only through @platform/auth.
    assert.deepEqual(of('packages/http'), ['analytics', 'auth', 'gateway', 'main']);
    assert.deepEqual(of('packages/launcher'), []);
    assert.deepEqual(of('packages/testing'), []);
  });
});

describe('watchSources', () => {
  let dir: string;
  let watcher: SourceWatcher;
  const calls: [string, string[]][] = [];
  const unused: string[][] = [];

  const write = async (file: string, text = `// ${Date.now()}\n`) => {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  };
  const manifest = (name: string, dependencies: Record<string, string> = {}) =>
    JSON.stringify({ name, dependencies });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'watch-'));
    await write('services/a/package.json', manifest('@s/a', { '@p/lib': '*', pg: '*' }));
    await write('services/b/package.json', manifest('@s/b'));
    await write('packages/lib/package.json', manifest('@p/lib'));
    await write('packages/tool/package.json', manifest('@p/tool'));
    for (const file of ['services/a/src/x.ts', 'services/b/src/y.ts', 'packages/lib/src/z.ts'])
      await write(file);
    await write('services/b/test/y.test.ts');
    watcher = await watchSources({
      root: dir,
      services: ['a', 'b'],
      // Long enough that the writes of one step always land in one batch on a busy machine.
      debounceMs: 500,
      onChange: (service, files) => calls.push([service, files.sort()]),
      onUnused: (files) => unused.push(files),
    });
  });
  after(async () => {
    await watcher.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs `step`, then waits for the batch it causes and returns the calls it made. */
  async function changes(step: () => Promise<void>, expected: number) {
    calls.length = 0;
    await step();
    await until(() => calls.length >= expected, 10_000, `${expected} restarts`);
    await sleep(800);
    return [...calls].sort(([a], [b]) => a.localeCompare(b));
  }

  test('a burst of saves in one service restarts it once, tests not counted', async () => {
    const seen = await changes(async () => {
      await write('services/b/test/y.test.ts');
      await write('services/b/src/y.ts');
      await write('services/b/src/new.ts');
      await write('services/b/src/y.ts');
    }, 1);
    assert.deepEqual(seen, [['b', ['services/b/src/new.ts', 'services/b/src/y.ts']]]);
  });

  test('a package restarts the services that use it; an atomic save is seen every time', async () => {
    for (let i = 0; i < 3; i++) {
      const seen = await changes(async () => {
        await write('packages/lib/src/.z.ts.tmp');
        await rename(
          path.join(dir, 'packages/lib/src/.z.ts.tmp'),
          path.join(dir, 'packages/lib/src/z.ts'),
        );
      }, 1);
      assert.deepEqual(seen, [['a', ['packages/lib/src/z.ts']]]);
    }
  });

  test('a dependency added to package.json counts from the next change on', async () => {
    const seen = await changes(async () => {
      await write('services/b/package.json', manifest('@s/b', { '@p/tool': '*' }));
    }, 1);
    assert.deepEqual(seen, [['b', ['services/b/package.json']]]);
    assert.deepEqual(await changes(() => write('packages/tool/src/t.ts'), 1), [
      ['b', ['packages/tool/src/t.ts']],
    ]);
    assert.deepEqual(unused, []);
  });
});

describe('SourceWatcher.flush', () => {
  test('reports the changes seen so far at once, without waiting for the debounce', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'watch-flush-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await mkdir(path.join(dir, 'services/a/src'), { recursive: true });
    // Both folders: chokidar saw nothing in services/ when packages/ was missing.
    await mkdir(path.join(dir, 'packages'));
    await writeFile(path.join(dir, 'services/a/package.json'), JSON.stringify({ name: '@s/a' }));
    const calls: [string, string[]][] = [];
    // A debounce no test waits out: only flush() can report the save in time.
    const watcher = await watchSources({
      root: dir,
      services: ['a'],
      debounceMs: 60_000,
      onChange: (service, files) => calls.push([service, files]),
    });
    t.after(() => watcher.close());
    watcher.flush();
    assert.deepEqual(calls, [], 'nothing seen, nothing reported');
    await writeFile(path.join(dir, 'services/a/src/x.ts'), '// saved\n');
    await until(
      () => {
        watcher.flush();
        return calls.length > 0;
      },
      10_000,
      'the save reported by flush()',
    );
    assert.deepEqual(calls, [['a', ['services/a/src/x.ts']]]);
  });
});
