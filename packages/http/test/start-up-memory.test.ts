import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { startServer } from './helpers.ts';

test('the young generation stays small while a service loads and grows with load once it listens', async () => {
  const { child, url } = await startServer('start-up-server.ts');
  try {
    const idle = (await (await fetch(new URL('/young', url))).json()) as Record<string, unknown>;
    // V8 would have grown it to its 2 × 16 MB maximum for the same allocation.
    assert.ok(Number(idle.duringStartUp) <= 4, `young generation ${idle.duringStartUp} MB`);
    assert.ok(Number(idle.now) <= 4, `young generation ${idle.now} MB after listen`);
    assert.equal(idle.gcExposed, 'undefined', 'the start-up collection leaves no global gc');

    const loaded = (await (
      await fetch(new URL('/churn', url), { method: 'POST' })
    ).json()) as Record<string, unknown>;
    assert.ok(Number(loaded.now) >= 16, `young generation ${loaded.now} MB under load`);
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});
