import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

// The documents the client is generated from; `npm run check:generated` proves they are the
// services' live documents, so linting them is linting what the services serve.
const here = import.meta.dirname;
const require = createRequire(import.meta.url);
const cli = path.join(path.dirname(require.resolve('@redocly/cli/package.json')), 'bin/cli.js');

interface Report {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; message: string }[];
}

async function lint(document: string): Promise<Report> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [cli, 'lint', '--format', 'json', document],
    { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
  ).catch((error: { stdout: string }) => error);
  return JSON.parse(stdout) as Report;
}

for (const name of ['accounts', 'main', 'analytics']) {
  test(`Redocly's CLI lints the ${name} document with its recommended rules: no error, no warning`, async () => {
    const report = await lint(path.join(here, '..', 'openapi', `${name}.json`));
    const { errors, warnings } = report.totals;
    assert.deepEqual(
      { errors, warnings },
      { errors: 0, warnings: 0 },
      JSON.stringify(report.problems.slice(0, 10), null, 1),
    );
  });
}
