/**
 * `--import`ed by each compiled test process (scripts/test.ts): stack traces name .ts lines, and
 * the process notes how long it ran, for the order of the next run.
 */
import { recordDuration } from './test-schedule.ts';
import { mapStackTraces } from './test-source-maps.ts';

if (process.env.TEST_COMPILED_DIR) {
  mapStackTraces(process.env.TEST_COMPILED_DIR);
  recordDuration(process.env.TEST_COMPILED_DIR);
}
