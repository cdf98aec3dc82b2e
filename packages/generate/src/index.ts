import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadManifests, manifestJsonSchema, manifestPath, type Service } from '@platform/manifest';
import { generateCompose } from './compose.ts';
import { generateEnvExample } from './env-example.ts';
import { generateKubernetes } from './kubernetes.ts';
import { generateMonitoring } from './monitoring.ts';
import { generateNginx } from './nginx.ts';
import type { Generated } from './output.ts';
import { generatePostgresInit } from './postgres.ts';
import { generateSecretsInit } from './secrets.ts';

export { type Generated, GenerateError, type Part } from './output.ts';

/** Folders whose every file is generated: one there without a service is left over. */
const GENERATED_FOLDERS = ['deploy/k8s/base/services'];

/** Every generated file's content, from the manifests under `root` (or the ones given). */
export function generateAll(
  root: string,
  services: readonly Service[] = loadManifests(root),
): Generated[] {
  return [
    { file: 'packages/manifest/service.schema.json', content: manifestJsonSchema(), parts: [] },
    generateCompose(root, services),
    generatePostgresInit(root, services),
    generateNginx(root, services),
    generateSecretsInit(root, services),
    generateEnvExample(root, services),
    ...generateKubernetes(root, services),
    ...generateMonitoring(root, services),
  ];
}

/** Generated files in GENERATED_FOLDERS that no manifest produces any more. */
function leftovers(root: string, generated: Generated[]): string[] {
  const expected = new Set(generated.map((g) => g.file));
  return GENERATED_FOLDERS.flatMap((folder) =>
    existsSync(path.join(root, folder))
      ? readdirSync(path.join(root, folder))
          .map((f) => `${folder}/${f}`)
          .filter((f) => !expected.has(f))
      : [],
  );
}

/** What `npm run generate` did to one file; the CLIs print `<action> <file>`. */
export interface GeneratedChange {
  file: string;
  /** `removed`: a generated file no manifest asks for any more (a deleted service's). */
  action: 'wrote' | 'removed';
}

/** `npm run generate`: writes every generated file, removes left-over ones; returns those changed. */
export function writeGenerated(root: string, services?: readonly Service[]): GeneratedChange[] {
  const generated = generateAll(root, services);
  const changed: GeneratedChange[] = [];
  for (const { file, content } of generated) {
    const target = path.join(root, file);
    if (existsSync(target) && readFileSync(target, 'utf8') === content) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
    changed.push({ file, action: 'wrote' });
  }
  for (const file of leftovers(root, generated)) {
    rmSync(path.join(root, file));
    changed.push({ file, action: 'removed' });
  }
  return changed;
}

/**
 * Where the committed files differ from what the manifests generate, one line each, naming the
 * file and, where one service's part is missing or changed, that service and its manifest.
 */
export function checkGenerated(root: string, services?: readonly Service[]): string[] {
  const generated = generateAll(root, services);
  const problems: string[] = [];
  const fix = 'run npm run generate';
  for (const { file, content, parts } of generated) {
    const target = path.join(root, file);
    const actual = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
    if (actual === content) continue;
    const owners = [...new Set(parts.map((p) => p.service))];
    if (actual === undefined) {
      const whose = owners.length === 1 ? ` (${owners[0]}: ${manifestPath(owners[0]!)})` : '';
      problems.push(`${file}: missing${whose}; ${fix}`);
      continue;
    }
    const lines = `\n${actual}`;
    const drifted = parts.filter((p) =>
      p.inline ? !actual.includes(p.text) : !lines.includes(`\n${p.text}`),
    );
    for (const p of drifted) {
      problems.push(
        `${file}: service ${p.service}: ${p.what}: missing, or not as ${manifestPath(p.service)} says; ${fix}`,
      );
    }
    if (!drifted.length) {
      // No service's part is missing: something was added or changed, say by a service whose
      // manifest is gone. The first such line usually names it.
      const expected = new Set(content.split('\n'));
      const extra = actual.split('\n').find((line) => !expected.has(line));
      const hint = extra === undefined ? '' : ` (not generated: "${extra.trim()}")`;
      problems.push(`${file}: differs from what the manifests generate${hint}; ${fix}`);
    }
  }
  for (const file of leftovers(root, generated)) {
    const name = path.basename(file, '.yaml');
    problems.push(`${file}: service ${name} has no ${manifestPath(name)} (left over); ${fix}`);
  }
  return problems;
}
