/**
 * Node's test runner tells which test is running (to attach a `test()` or `after()` to it, and to
 * fail the test an uncaught error came from) with an async hook on every resource of the process,
 * promises included, with a `destroy` callback (node:internal/test_runner/harness): V8 then tracks
 * every promise until it is collected. With that hook on, the same in-process requests (Fastify's
 * inject, pg) took 12–14 % more CPU; in a profile of analytics' hostile-input sweep its own
 * functions were a tenth of the process's time. Under this file's storage instead, that sweep's
 * process took 7 % less CPU (29.6 s against 31.9 s, both runs side by side; async hook functions
 * 1.3 s against 3.5 s).
 *
 * `lighterRunnerHook` (scripts/test-preload.ts, before the test file loads) gives the runner the
 * same answer from an AsyncLocalStorage instead, as the services' own code already runs one (no
 * destroy tracking): a test, suite or hook enters it when the runner runs its function, and the
 * runner's "which async id is this" gets an id that stands for that test. The runner is loaded
 * here, with `createHook` and `executionAsyncId` swapped for it alone while it takes them.
 */
import asyncHooks, { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';

type Callbacks = asyncHooks.HookCallbacks;

export async function lighterRunnerHook() {
  const running = new AsyncLocalStorage<object>();
  /** Ids (negative, never a real async id) of the tests the runner's map knows. */
  const ids = new WeakMap<object, number>();
  let last = 0;
  let runner: Callbacks | undefined;
  const isTest = (resource: object) =>
    typeof (resource as { createHook?: unknown }).createHook === 'function' &&
    Array.isArray((resource as { subtests?: unknown }).subtests);

  type Scope = (this: AsyncResource, fn: Fn, thisArg?: unknown, ...args: unknown[]) => unknown;
  type Fn = (this: unknown, ...args: unknown[]) => unknown;
  const prototype = AsyncResource.prototype as unknown as { runInAsyncScope: Scope };
  const runInAsyncScope = prototype.runInAsyncScope;
  prototype.runInAsyncScope = function (fn, thisArg, ...args) {
    if (!runner || !isTest(this)) return runInAsyncScope.call(this, fn, thisArg, ...args);
    const test = this as object;
    if (!ids.has(test)) {
      last -= 1;
      ids.set(test, last);
      // The runner's own init: a Test resource is put in its map under that id.
      runner.init?.(last, 'Test', 0, test);
    }
    // Inside the scope: the resource that runs is the test itself, which the store then marks.
    return runInAsyncScope.call(
      this,
      function (this: unknown, ...inner: unknown[]) {
        return running.run(test, () => fn.apply(this, inner));
      },
      thisArg,
      ...args,
    );
  };

  const { createHook, executionAsyncId } = asyncHooks;
  const mutable = asyncHooks as {
    -readonly [K in keyof typeof asyncHooks]: (typeof asyncHooks)[K];
  };
  mutable.createHook = (callbacks: Callbacks) => {
    runner = callbacks;
    // For packages/testing/test/runner-async-context.test.ts: the runner took this one.
    (globalThis as Record<symbol, unknown>)[Symbol.for('platform.test-runner-hook')] = 'light';
    const idle = { enable: () => idle, disable: () => idle };
    return idle as unknown as asyncHooks.AsyncHook;
  };
  mutable.executionAsyncId = () => {
    const test = running.getStore();
    return test ? ids.get(test)! : executionAsyncId();
  };
  try {
    await import('node:test');
  } finally {
    mutable.createHook = createHook;
    mutable.executionAsyncId = executionAsyncId;
  }
}
