import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * Runs `script` (an ES module's source) in a fresh Node.js process with tracing registered the
 * way every service registers it (`--import @platform/telemetry/register`), `env` added to ours.
 * Tracing reads its settings once at start, so each configuration needs its own process.
 */
export async function runTraced(script: string, env: Record<string, string>) {
  return promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      '@platform/telemetry/register',
      '--input-type=module',
      '-e',
      script,
    ],
    {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, ...env },
      timeout: 60_000,
    },
  );
}
