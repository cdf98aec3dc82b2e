import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { compileServices, removeBuilds } from '../src/compile.ts';
import { root, SERVICE_NAMES } from './launch.ts';

test('npm start compiles every service to an entry that hooks telemetry before the server', async () => {
  const out = await mkdtemp(path.join(root, 'node_modules', '.cache', 'compile-test-'));
  try {
    const entries = await compileServices(root, SERVICE_NAMES, out);
    assert.deepEqual([...entries.keys()], SERVICE_NAMES);
    for (const [name, entry] of entries) {
      assert.equal(entry, path.join(out, 'services', name, 'main.mjs'));
      const text = await readFile(entry, 'utf8');
      // Static imports (start-up, telemetry) run first; the server is loaded after them.
      assert.match(text, /\nawait import\("\.\.\/\.\.\/chunks\/server-[^"]+\.mjs"\);/);
    }
    // Paths read relative to a source file are those of the source (service.json, drizzle/…),
    // also when compile.ts itself runs compiled (this file, a test's launcher).
    for (const chunk of await readdir(path.join(out, 'chunks'))) {
      if (!chunk.endsWith('.mjs')) continue;
      const text = await readFile(path.join(out, 'chunks', chunk), 'utf8');
      assert.doesNotMatch(text, /import\.meta\.(dirname|filename|url)/, chunk);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('a compile error is one line naming the file', async () => {
  // Inside the repository, so @platform/* resolve as they do for the real services.
  const fake = await mkdtemp(path.join(root, 'node_modules', '.cache', 'compile-error-'));
  try {
    await mkdir(path.join(fake, 'services', 'broken', 'src'), { recursive: true });
    await writeFile(path.join(fake, 'services', 'broken', 'src', 'server.ts'), 'const x = ;\n');
    await assert.rejects(compileServices(fake, ['broken'], path.join(fake, 'out')), (error) => {
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'LaunchError');
      assert.match(
        error.message,
        /^compiling the services failed: .*services\/broken\/src\/server\.ts:1:\d+: /,
      );
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  } finally {
    await rm(fake, { recursive: true, force: true });
  }
});

test('removing a build folder waits for a compile still writing into it (a stop during `npm run dev` rebuilding)', async () => {
  // A SIGTERM reaches the launcher alone: its esbuild goes on writing the build it had begun
  // while the stop removed the folder, which then held that build (or the removal failed half-way
  // with ENOTEMPTY) until the next launch.
  const parent = await mkdtemp(path.join(root, 'node_modules', '.cache', 'compile-removal-'));
  try {
    const out = path.join(parent, 'dev', 'gateway', '1');
    const compiling = compileServices(root, ['gateway'], out);
    await removeBuilds(parent);
    await compiling;
    assert.equal(existsSync(parent), false, `${parent} left behind`);
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});
