import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const requireModel = createRequire(import.meta.url);

export type K8sObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below
  spec?: any;
};

/** `kubectl kustomize <dir>` (kustomize bundled with kubectl), or `kustomize build <dir>`. */
export function render(dir: string): K8sObject[] {
  const attempts: [string, string[]][] = [
    ['kubectl', ['kustomize', dir]],
    ['kustomize', ['build', dir]],
  ];
  let lastError: unknown;
  for (const [command, args] of attempts) {
    try {
      const out = execFileSync(command, args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return parseManifests(out);
    } catch (error) {
      lastError = error;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') break;
    }
  }
  const error = lastError as { code?: string; stderr?: string; message: string };
  if (error.code === 'ENOENT') throw new Error('neither kubectl nor kustomize is installed');
  throw new Error(`kustomize failed for ${dir}: ${(error.stderr || error.message).trim()}`);
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`YAML: ${doc.errors[0]!.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/**
 * Validates each object against the Kubernetes OpenAPI schema of its apiVersion and kind: the
 * validators `kubernetes-models` generates from the upstream OpenAPI document. An unknown
 * apiVersion/kind is an error too (a typo, or an API that was removed).
 */
export async function schemaErrors(objects: K8sObject[]): Promise<string[]> {
  const errors: string[] = [];
  for (const object of objects) {
    const id = describe(object);
    if (!object.apiVersion || !object.kind) {
      errors.push(`${id}: apiVersion and kind are required`);
      continue;
    }
    let model: new (data: unknown) => { validate(): void };
    try {
      // Required, not imported: the test runner sends a module with an `import(` of a computed
      // name to tsx (scripts/test-bundles.ts), and this one is an npm package's CommonJS build.
      const module = requireModel(`kubernetes-models/${object.apiVersion}/${object.kind}`);
      model = module[object.kind];
    } catch {
      errors.push(`${id}: unknown apiVersion/kind ${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      new model(object).validate();
    } catch (error) {
      errors.push(`${id}: ${(error as Error).message}`);
    }
  }
  return errors;
}

export const describe = (o: K8sObject) => `${o.kind ?? '?'}/${o.metadata?.name ?? '?'}`;

/** Complete objects (apiVersion, kind and name) in the YAML files under `dir`; patches are skipped. */
export function manifestFiles(dir: string): { file: string; objects: K8sObject[] }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f) && path.basename(f) !== 'kustomization.yaml')
    .sort()
    .map((f) => ({
      file: f,
      objects: parseManifests(readFileSync(path.join(dir, f), 'utf8')).filter(
        (o) => o.apiVersion && o.kind && o.metadata?.name,
      ),
    }));
}
