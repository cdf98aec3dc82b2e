import assert from 'node:assert/strict';
import { test } from 'node:test';
import { onFreePorts } from '../src/process.ts';

/** A start that fails with each of `errors` in turn, then succeeds; counts its calls. */
function starts(errors: string[]) {
  let calls = 0;
  const start = async () => {
    calls += 1;
    const error = errors[calls - 1];
    if (error) throw new Error(error);
    return `started on try ${calls}`;
  };
  return { start, calls: () => calls };
}

test('a server whose port was taken before it bound it starts again on new ports', async () => {
  // What influxd, nginx and redis-server say when that happens.
  const s = starts([
    'influxd exited: listen tcp 127.0.0.1:39001: bind: address already in use',
    'nginx exited with 1: bind() to 127.0.0.1:39002 failed (98: Address already in use)',
  ]);
  assert.equal(await onFreePorts(s.start), 'started on try 3');
});

test('other failures, and a third clash, are not retried', async () => {
  const broken = starts(['cannot run redis-server: spawn redis-server ENOENT']);
  await assert.rejects(onFreePorts(broken.start), /ENOENT/);
  assert.equal(broken.calls(), 1);
  const busy = starts(Array(3).fill('bind: Address already in use'));
  await assert.rejects(onFreePorts(busy.start), /already in use/);
  assert.equal(busy.calls(), 3);
});
