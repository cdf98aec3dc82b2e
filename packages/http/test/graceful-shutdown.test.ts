import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { test } from 'node:test';

test('SIGTERM lets an in-flight request finish, refuses new ones and exits 0', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures', 'slow-server.ts')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  while (!output.includes('listening')) await once(child.stdout, 'data');
  const url = output.match(/listening (\S+)/)![1];

  const inFlight = fetch(`${url}/slow`).then((r) => r.json());
  await new Promise((resolve) => setTimeout(resolve, 150));
  const started = Date.now();
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');

  assert.deepEqual(await inFlight, { finished: true });
  assert.equal(code, 0);
  assert.ok(output.includes('closed'), 'onClose hooks ran');
  assert.ok(Date.now() - started < 10_000);
  await assert.rejects(fetch(`${url}/slow`));
});
