/**
 * Static validation of the deployment files (no Docker engine or cluster needed):
 *   node --import tsx packages/deploy-check/src/cli.ts
 * the generated files against services/*\/service.json (npm run generate); compose.yaml against
 * the Compose spec's JSON schema plus references; each Kustomize overlay rendered and checked
 * against the Kubernetes OpenAPI schemas plus policy; the environment each service gets from
 * compose.yaml and deploy/k8s/base, read by its own ConfigSchema (services/*\/src/config.ts).
 * Exit 1 on any error.
 */
import path from 'node:path';
import { checkCompose } from './compose.ts';
import { generatedErrors } from './generated.ts';
import { manifestFiles, schemaErrors } from './k8s.ts';
import { checkKustomize } from './overlays.ts';
import { checkServiceConfig } from './service-config.ts';
import { strictErrors } from './strict.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const k8s = path.join(root, 'deploy', 'k8s');
// Started first: deploy/secrets/init.sh, which it runs, forks while the checks below work.
const settings = checkServiceConfig(root).catch((error: Error) => [error.message]);
const report: Record<string, string[]> = {
  'generated files (services/*/service.json)': generatedErrors(root),
  'compose.yaml': checkCompose({ root }),
};
const base = manifestFiles(path.join(k8s, 'base')).flatMap((f) => f.objects);
report['deploy/k8s/base (files)'] = [...(await schemaErrors(base)), ...strictErrors(base)];
for (const [overlay, errors] of Object.entries(await checkKustomize(k8s))) {
  report[`deploy/k8s/overlays/${overlay} (rendered)`] = errors;
}
report['service settings (services/*/src/config.ts)'] = await settings;
let failed = 0;
for (const [what, errors] of Object.entries(report)) {
  console.log(`${errors.length === 0 ? 'ok  ' : 'FAIL'} ${what}`);
  for (const error of errors) console.log(`     ${error}`);
  failed += errors.length;
}
process.exit(failed === 0 ? 0 : 1);
