/** `--import`ed by each compiled test process (scripts/test.ts): stack traces name .ts lines. */
import { mapStackTraces } from './test-source-maps.ts';

if (process.env.TEST_COMPILED_DIR) mapStackTraces(process.env.TEST_COMPILED_DIR);
