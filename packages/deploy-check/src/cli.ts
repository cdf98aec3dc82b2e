/**
 * Static validation of the deployment files (no Docker engine or cluster needed):
 *   node --import tsx packages/deploy-check/src/cli.ts
 * compose.yaml against the Compose spec's JSON schema plus references; each Kustomize overlay
 * rendered and checked against the Kubernetes OpenAPI schemas plus policy. Exit 1 on any error.
 */
import path from 'node:path';
import { checkCompose } from './compose.ts';
import { manifestFiles, schemaErrors } from './k8s.ts';
import { checkKustomize } from './overlays.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const k8s = path.join(root, 'deploy', 'k8s');
// Mounted by compose.yaml but delivered by another issue (the gateway's NGINX configuration):
// reported, not failed, only while it is still missing.
const pending = ['./deploy/nginx/nginx.conf'];
const isPending = (error: string) => pending.some((p) => error.endsWith(`${p} does not exist`));
const compose = checkCompose({ root });
for (const error of compose.filter(isPending)) console.log(`pending ${error}`);
const report: Record<string, string[]> = {
  'compose.yaml': compose.filter((e) => !isPending(e)),
  'deploy/k8s/base (files)': await schemaErrors(
    manifestFiles(path.join(k8s, 'base')).flatMap((f) => f.objects),
  ),
};
for (const [overlay, errors] of Object.entries(await checkKustomize(k8s))) {
  report[`deploy/k8s/overlays/${overlay} (rendered)`] = errors;
}
let failed = 0;
for (const [what, errors] of Object.entries(report)) {
  console.log(`${errors.length === 0 ? 'ok  ' : 'FAIL'} ${what}`);
  for (const error of errors) console.log(`     ${error}`);
  failed += errors.length;
}
process.exit(failed === 0 ? 0 : 1);
