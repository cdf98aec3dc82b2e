import path from 'node:path';
import { manifestFiles, render, schemaErrors } from './k8s.ts';
import { policyErrors } from './policy.ts';
import { strictErrors } from './strict.ts';

/**
 * Renders each overlay under `<k8sDir>/overlays` and checks every object (schema and policy).
 * Secrets named in `<k8sDir>/base/secrets` count as existing: an overlay without them (prod)
 * expects them from a secret manager.
 */
export async function checkKustomize(k8sDir: string): Promise<Record<string, string[]>> {
  const templates = manifestFiles(path.join(k8sDir, 'base', 'secrets'))
    .flatMap((f) => f.objects)
    .filter((o) => o.kind === 'Secret')
    .map((o) => o.metadata!.name!);
  const results: Record<string, string[]> = {};
  const overlays = manifestFiles(path.join(k8sDir, 'overlays'));
  const names = [...new Set(overlays.map((f) => f.file.split(path.sep)[0]!))];
  for (const name of names) {
    try {
      const objects = render(path.join(k8sDir, 'overlays', name));
      results[name] = [
        ...(await schemaErrors(objects)),
        ...strictErrors(objects),
        ...policyErrors(objects, templates),
        ...(objects.length === 0 ? ['renders no objects'] : []),
      ];
    } catch (error) {
      results[name] = [(error as Error).message];
    }
  }
  return results;
}
