/**
 * `--import`ed by each compiled test process (scripts/test.ts): npm packages load from V8's code
 * cache, found where an earlier process found them (scripts/test-resolve-cache.ts), stack traces
 * name .ts lines, the process notes how long it ran, for the order of the next run, and the test
 * runner tells its tests apart without an async hook (scripts/test-async-hooks.ts).
 */
import http from 'node:http';
import { lighterRunnerHook } from './test-async-hooks.ts';
import { enableCompileCache } from './test-compile-cache.ts';
import { enableResolveCache } from './test-resolve-cache.ts';
import { recordDuration } from './test-schedule.ts';
import { mapStackTraces } from './test-source-maps.ts';

if (process.env.TEST_COMPILE_CACHE) {
  enableCompileCache(process.env.TEST_COMPILE_CACHE);
  enableResolveCache(process.env.TEST_COMPILE_CACHE);
}
if (process.env.TEST_COMPILED_DIR) {
  mapStackTraces(process.env.TEST_COMPILED_DIR);
  recordDuration(process.env.TEST_COMPILED_DIR);
}
// Test processes only: a service a test starts with this preload loads no test runner.
if (process.argv[1]?.endsWith('.test.mjs')) {
  await lighterRunnerHook();
  // fetch's connections close once idle for 250 ms instead of undici's 4 s: a closing service
  // keeps a quiet kept-alive connection open until it has been quiet for IDLE_GRACE_MS (2 s;
  // the gateway's idle race, docs/gateway.md), so closing a service right after a test's last
  // fetch waited out that grace, seconds per file. Tests that keep connections alive on purpose
  // use dispatchers of their own.
  // Loaded from node_modules, not bundled into this preload (a name in a variable is left alone).
  const name = 'undici';
  const { Agent, setGlobalDispatcher } = (await import(name)) as typeof import('undici');
  const agent = new Agent({ keepAliveTimeout: 250, keepAliveMaxTimeout: 250 });
  // Shorter than the services' own rule (OUTGOING_IDLE_MS, 1 s): createApp leaves it in place.
  setGlobalDispatcher(
    Object.assign(agent, { [Symbol.for('platform.keepsOutgoingIdleShort')]: true }),
  );
  // The same for node:http's requests (raw ones, through NGINX and the gateway: its default agent
  // keeps a connection 5 s): a closing gateway too keeps a quiet connection for the grace, and
  // serves what comes on it (serveWhileClosing). A free socket is ended after 250 ms quiet; one in
  // use only hears a 'timeout' event it may ignore.
  http.globalAgent = new http.Agent({ keepAlive: true, timeout: 250 });
}
