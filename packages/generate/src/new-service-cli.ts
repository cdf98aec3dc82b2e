/**
 * `npm run new:service -- <name>`: writes services/<name> from packages/generate/template/service
 * (an owned `items` resource with its table, migration, tests and manifest), then wires it in:
 * `npm run generate` for the deployment files, `npm install` for the workspace link and the
 * lockfile, and `npm run generate:client` for the typed client. `--no-install` skips the last
 * two (the generator's own test).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ManifestError } from '@platform/manifest';
import { GenerateError, writeGenerated } from './index.ts';
import { nameProblem, writeNewService } from './new-service.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const USAGE = 'usage: npm run new:service -- <name> [--no-install]';
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
// A mistyped option must not pass for a name nor be ignored while a service is written.
const unknown = args.filter((a) => a.startsWith('-') && a !== '--no-install');
const names = args.filter((a) => !a.startsWith('-'));
if (unknown.length || names.length !== 1) {
  console.error(unknown.length ? `unknown option ${unknown[0]}; ${USAGE}` : USAGE);
  process.exit(1);
}
const name = names[0]!;

try {
  const problem = nameProblem(root, name);
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
  for (const file of writeNewService(root, name)) console.log(`wrote ${file}`);
  for (const { file, action } of writeGenerated(root)) console.log(`${action} ${file}`);
} catch (error) {
  if (!(error instanceof ManifestError || error instanceof GenerateError)) throw error;
  console.error(error.problems.join('\n'));
  process.exit(1);
}

if (!args.includes('--no-install')) {
  // The service adds no dependency the lockfile lacks, so the npm cache is enough.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  try {
    execFileSync(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: root,
      stdio: 'inherit',
    });
  } catch {
    console.error(`services/${name} is written; npm install failed: run it again, then npm test`);
    process.exit(1);
  }
  // The typed client gains the new service (check:generated fails until it has).
  try {
    execFileSync(npm, ['run', 'generate:client'], { cwd: root, stdio: 'inherit' });
  } catch {
    console.error(`services/${name} is written; npm run generate:client failed: run it again`);
    process.exit(1);
  }
}
console.log(
  `services/${name}: restart npm start (or npm run dev) to serve /${name}/v1/items; npm test -- services/${name}/ runs its tests`,
);
