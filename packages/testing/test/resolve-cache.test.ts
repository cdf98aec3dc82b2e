import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';

/**
 * scripts/test-resolve-cache.ts (in the runner's preload) keeps where a package's `require()`s
 * led, for the next test process: a later process must take them from the file (not walk
 * node_modules again), a new install must start afresh, and what Node refuses or what is asked
 * with options must go to Node as before.
 */
const root = path.resolve(import.meta.dirname, '../../..');
const folder = mkdtempSync(path.join(tmpdir(), 'resolve-cache-'));
after(() => rmSync(folder, { recursive: true, force: true }));

const modules = path.join(folder, 'node_modules');
const cache = path.join(modules, '.cache', 'test-compile-cache');
const write = (file: string, text: string) => {
  mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
  writeFileSync(path.join(folder, file), text);
};
write('node_modules/.package-lock.json', '{"lockfileVersion":3}');
write('node_modules/a/package.json', '{"name":"a","main":"lib.js"}');
write(
  'node_modules/a/lib.js',
  `let missing;
try { require('not-installed'); } catch (error) { missing = error.code; }
const other = require.resolve('b', { paths: [${JSON.stringify(path.join(folder, 'elsewhere'))}] });
module.exports = { b: require('b'), missing, other };`,
);
write('node_modules/b/package.json', '{"name":"b","main":"index.js"}');
write('node_modules/b/index.js', `module.exports = 'index';`);
write('node_modules/b/other.js', `module.exports = 'other';`);
write('elsewhere/node_modules/b/index.js', `module.exports = 'elsewhere';`);
write('probe.cjs', `process.stdout.write(JSON.stringify(require('a')));`);

/** The probe in a process with the runner's preload, as a test process has it. */
function probe(flags: string[] = []): { b: string; missing: string; other: string } {
  const compiled = process.env.TEST_COMPILED_DIR;
  const preload = compiled
    ? ['--import', pathToFileURL(path.join(compiled, 'preload.mjs')).href]
    : ['--import', 'tsx', '--import', path.join(root, 'scripts/test-preload.ts')];
  const child = spawnSync(
    process.execPath,
    [...flags, ...preload, path.join(folder, 'probe.cjs')],
    {
      cwd: root,
      env: { ...process.env, TEST_COMPILE_CACHE: cache },
      encoding: 'utf8',
    },
  );
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout);
}

const resolutions = () => readdirSync(cache).filter((f) => f.startsWith('resolutions-'));

test('a later process finds what an earlier one resolved; a new install starts afresh', () => {
  const expected = {
    b: 'index',
    missing: 'MODULE_NOT_FOUND',
    other: path.join(folder, 'elsewhere/node_modules/b/index.js'),
  };
  assert.deepEqual(probe(), expected);
  const [file] = resolutions();
  assert.ok(file, 'no resolutions kept');
  const kept = JSON.parse(readFileSync(path.join(cache, file), 'utf8')) as Record<string, string>;
  const key = `${path.join(modules, 'a')}\0b`;
  // Only a package's require of a package: not the probe's (outside node_modules), not the
  // refused one, not the one with options.
  assert.deepEqual(kept, { [key]: path.join(modules, 'b/index.js') });

  // Taken from the file: pointed elsewhere, the next process follows it.
  writeFileSync(
    path.join(cache, file),
    JSON.stringify({ [key]: path.join(modules, 'b/other.js') }),
  );
  assert.deepEqual(probe(), { ...expected, b: 'other' });
  // Other export conditions: Node's answers may differ, so a file of their own.
  assert.deepEqual(probe(['-C', 'other']), expected);
  assert.equal(resolutions().length, 2);

  // A new install (npm rewrites .package-lock.json): resolved by Node again, in a file of its own.
  write('node_modules/.package-lock.json', '{"lockfileVersion":3, "packages":{}}');
  assert.deepEqual(probe(), expected);
  assert.equal(resolutions().length, 3);
});
