import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { test } from 'node:test';

test('the young generation stays small while a service loads and grows with load once it listens', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures', 'start-up-server.ts')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    while (!output.includes('listening')) await once(child.stdout, 'data');
    const url = output.match(/listening (\S+)/)![1];

    const idle = (await (await fetch(`${url}/young`)).json()) as Record<string, unknown>;
    // V8 would have grown it to its 2 × 16 MB maximum for the same allocation.
    assert.ok(Number(idle.duringStartUp) <= 4, `young generation ${idle.duringStartUp} MB`);
    assert.ok(Number(idle.now) <= 4, `young generation ${idle.now} MB after listen`);
    assert.equal(idle.gcExposed, 'undefined', 'the start-up collection leaves no global gc');

    const loaded = (await (await fetch(`${url}/churn`, { method: 'POST' })).json()) as Record<
      string,
      unknown
    >;
    assert.ok(Number(loaded.now) >= 16, `young generation ${loaded.now} MB under load`);
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});
