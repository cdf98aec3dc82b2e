/**
 * `npm run generate`: writes what services/*\/service.json imply into compose.yaml, deploy/k8s,
 * deploy/postgres/init.sh, deploy/secrets/init.sh and .env.example. `npm run check:generated` (`--check`) writes
 * nothing and exits 1, one line per difference, when the committed files drifted.
 */
import path from 'node:path';
import { ManifestError } from '@platform/manifest';
import { checkGenerated, GenerateError, writeGenerated } from './index.ts';

const root = path.resolve(import.meta.dirname, '../../..');
try {
  if (process.argv.includes('--check')) {
    const problems = checkGenerated(root);
    for (const line of problems) console.log(line);
    if (problems.length) process.exit(1);
    console.log('ok   generated files match services/*/service.json');
  } else {
    const changed = writeGenerated(root);
    for (const { file, action } of changed) console.log(`${action} ${file}`);
    if (!changed.length) console.log('generated files were up to date');
  }
} catch (error) {
  if (!(error instanceof ManifestError || error instanceof GenerateError)) throw error;
  console.error(error.problems.join('\n'));
  process.exit(1);
}
