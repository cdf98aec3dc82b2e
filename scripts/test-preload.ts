/**
 * `--import`ed by each compiled test process (scripts/test.ts): npm packages load from V8's code
 * cache, stack traces name .ts lines, and the process notes how long it ran, for the order of the
 * next run.
 */
import { enableCompileCache } from './test-compile-cache.ts';
import { recordDuration } from './test-schedule.ts';
import { mapStackTraces } from './test-source-maps.ts';

if (process.env.TEST_COMPILE_CACHE) enableCompileCache(process.env.TEST_COMPILE_CACHE);
if (process.env.TEST_COMPILED_DIR) {
  mapStackTraces(process.env.TEST_COMPILED_DIR);
  recordDuration(process.env.TEST_COMPILED_DIR);
}
