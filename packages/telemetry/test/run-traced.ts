import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { compiledModules } from '@platform/testing';

/**
 * Runs `script` (an ES module's source) in a fresh Node.js process with tracing registered the
 * way every service registers it (`@platform/telemetry/register` first, the rest imported after
 * it, as a service's compiled entry does: packages/launcher's compile.ts), `env` added to ours.
 * Tracing reads its settings once at start, so each configuration needs its own process. The
 * process runs compiled (@platform/testing's compiledModules): from source under `--import tsx`
 * each one cost 1.5–4 s of CPU loading its modules.
 */
export async function runTraced(script: string, env: Record<string, string>) {
  const entry = [
    "import '@platform/telemetry/register';",
    // Its own chunk, loaded once OpenTelemetry has hooked pg, http and pino.
    "await import('./script.mjs');",
  ].join('\n');
  const args = await compiledModules({ 'entry.mjs': entry, 'script.mjs': script }, 'entry.mjs', {
    preload: false,
  });
  return promisify(execFile)(process.execPath, args, {
    cwd: new URL('..', import.meta.url).pathname,
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
}
