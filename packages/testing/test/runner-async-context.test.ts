import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';

/**
 * scripts/test-async-hooks.ts answers the runner's "which test is running" from an
 * AsyncLocalStorage instead of Node's async hook: a file under it must still nest its tests, run
 * a test's `after` when that test ends, and fail the test an uncaught error or an unhandled
 * rejection came from (not only the file), as under Node's own hook.
 */
const root = path.resolve(import.meta.dirname, '../../..');
const folder = mkdtempSync(path.join(tmpdir(), 'runner-async-context-'));
after(() => rmSync(folder, { recursive: true, force: true }));

const file = path.join(folder, 'probe.test.mjs');
writeFileSync(
  file,
  `import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

const order = [];
describe('a suite', () => {
  test('first', async () => {
    await sleep(5);
    after(() => order.push('after of first'));
    order.push('first');
  });
  test('second', async (t) => {
    await sleep(5);
    await t.test('its subtest', async () => {
      await sleep(1);
      order.push('subtest');
    });
    order.push('second');
  });
});
test('the order', () => {
  assert.deepEqual(order, ['first', 'after of first', 'subtest', 'second']);
  assert.equal(globalThis[Symbol.for('platform.test-runner-hook')], 'light');
});
test('throws in a timer', async () => {
  setTimeout(() => { throw new Error('thrown in a timer'); }, 5);
  await sleep(300);
});
test('rejects unhandled', async () => {
  await sleep(1);
  Promise.reject(new Error('rejected unhandled'));
  await sleep(300);
});
test('passes', () => {});
`,
);

test('under the lighter hook, tests nest, hooks run in their test, and errors fail their test', () => {
  // The compiled run's preload, or (TEST_TSX=1) its source under tsx.
  const compiled = process.env.TEST_COMPILED_DIR;
  const preload = compiled
    ? ['--import', pathToFileURL(path.join(compiled, 'preload.mjs')).href]
    : ['--import', 'tsx', '--import', path.join(root, 'scripts/test-preload.ts')];
  // Not as a child of this runner (NODE_TEST_CONTEXT): as a file of its own, reporting in TAP.
  const env: NodeJS.ProcessEnv = { ...process.env, TEST_COMPILED_DIR: compiled ?? '' };
  delete env.NODE_TEST_CONTEXT;
  const child = spawnSync(process.execPath, [...preload, '--test-reporter=tap', file], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  const out = child.stdout;
  assert.equal(child.status, 1, out + child.stderr);
  const results = [...out.matchAll(/^( *)(not ok|ok) \d+ - (.+)$/gm)].map(
    ([, indent, result, name]) => `${indent}${result} ${name}`,
  );
  assert.deepEqual(
    results,
    [
      '    ok first',
      '        ok its subtest',
      '    ok second',
      'ok a suite',
      'ok the order',
      'not ok throws in a timer',
      'not ok rejects unhandled',
      'ok passes',
    ],
    out,
  );
  assert.match(out, /thrown in a timer/);
  assert.match(out, /rejected unhandled/);
});
