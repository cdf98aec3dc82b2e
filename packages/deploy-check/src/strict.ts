import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, type K8sObject } from './k8s.ts';

const require = createRequire(import.meta.url);

/**
 * Unknown fields, which the OpenAPI schemas allow (like `kubectl --validate=strict` or
 * kubeconform `-strict` would not): each object becomes a TypeScript object literal typed with
 * the interface `kubernetes-models` generates from the same OpenAPI document, and tsc's excess
 * property check names the first unknown or mistyped field of each object.
 */
export function strictErrors(objects: K8sObject[]): string[] {
  const known = objects.filter((o) => o.apiVersion && o.kind);
  if (known.length === 0) return [];
  const lines = known.map(
    (o, i) =>
      `import type { I${o.kind} as T${i} } from 'kubernetes-models/${o.apiVersion}/${o.kind}';`,
  );
  const first = lines.length + 1;
  known.forEach((o, i) => {
    lines.push(`export const o${i}: T${i} = ${JSON.stringify(o)};`);
  });
  // Inside node_modules so that the imports resolve from the repository's packages.
  const cache = path.resolve(
    path.dirname(require.resolve('kubernetes-models/package.json')),
    '..',
    '.cache',
  );
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(path.join(cache, 'deploy-check-'));
  try {
    writeFileSync(path.join(dir, 'objects.ts'), `${lines.join('\n')}\n`);
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['objects.ts'],
      }),
    );
    // The repository's own TypeScript (root devDependency), by path: its exports hide bin/.
    const tsc = path.join(cache, '..', 'typescript', 'bin', 'tsc');
    try {
      execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', stdio: 'pipe' });
      return [];
    } catch (error) {
      const output = String((error as { stdout?: string }).stdout ?? '');
      const errors = [...output.matchAll(/objects\.ts\((\d+),\d+\): error TS\d+: (.*)/g)].map(
        ([, line, message]) => {
          const object = known[Number(line) - first];
          return object ? `${describe(object)}: ${message}` : `${message}`;
        },
      );
      return errors.length > 0 ? errors : [`tsc failed: ${output.trim() || String(error)}`];
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
