import assert from 'node:assert/strict';
import perfHooks from 'node:perf_hooks';
import { test } from 'node:test';
import { createApp } from '../src/index.ts';

test("apps built in one process share its process metrics' monitors, and each names its service", async () => {
  // Each app collecting them anew left an event loop delay monitor (a 10 ms timer) and a GC
  // observer running after it closed: a test file builds dozens of apps.
  const original = perfHooks.monitorEventLoopDelay;
  let monitors = 0;
  perfHooks.monitorEventLoopDelay = (options) => {
    monitors += 1;
    return original(options);
  };
  try {
    for (const name of ['first', 'second', 'third']) {
      const app = await createApp({ name, logLevel: 'silent' });
      await app.ready();
      const res = await app.inject('/metrics');
      await app.close();
      assert.match(res.body, new RegExp(`process_resident_memory_bytes\\{service="${name}"\\}`));
      assert.match(res.body, new RegExp(`nodejs_eventloop_lag_p99_seconds\\{service="${name}"\\}`));
      assert.match(res.body, /# TYPE nodejs_gc_duration_seconds histogram/);
    }
    assert.ok(monitors <= 1, `${monitors} event loop delay monitors for three apps`);
  } finally {
    perfHooks.monitorEventLoopDelay = original;
  }
});
