/**
 * The parent of the test processes (scripts/test.ts starts it with the flags they inherit):
 * node's test runner through `run()`, which starts the files in the order given (longest first,
 * scripts/test-schedule.ts) where `node --test` sorts them by name. Arguments: concurrency,
 * timeout in ms, then the compiled test files.
 */
import { Readable } from 'node:stream';
import { run } from 'node:test';
import reporter from './test-reporter.ts';

const [concurrency, timeout, ...files] = process.argv.slice(2);
const stream = run({ files, concurrency: Number(concurrency), timeout: Number(timeout) });
// As `node --test` exits: 1 when a test failed (or a file could not run); todo tests aside.
stream.on('test:fail', (data: { todo?: unknown; skip?: unknown }) => {
  if (!data.todo && !data.skip) process.exitCode = 1;
});
Readable.from(reporter(stream)).pipe(process.stdout);
