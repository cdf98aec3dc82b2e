import { readFileSync } from 'node:fs';
import path from 'node:path';
import { databasePasswordVariable, type Service } from '@platform/manifest';
import { composeVariables, type Generated, type Part } from './output.ts';
import { fillRegion, outsideRegions } from './regions.ts';
import { secretFileVariable } from './secrets.ts';

const FILE = '.env.example';

/**
 * .env.example: each database's password, and every variable a manifest's Compose values refer
 * to that the hand-written part does not document yet (a required one as a placeholder, an
 * optional one commented out with its default), so `docker compose up` never meets an unknown.
 * A secret that deploy/secrets/init.sh generates when not given is commented out, empty: set, it
 * wins over the generated one.
 */
export function generateEnvExample(root: string, services: readonly Service[]): Generated {
  const text = readFileSync(path.join(root, FILE), 'utf8');
  const documented = new Set(
    [...outsideRegions(text).matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!),
  );
  const parts: Part[] = [];
  const content = fillRegion(text, FILE, 'services', () => {
    const lines: string[] = [];
    const add = (service: string, what: string, line: string) => {
      lines.push(line);
      parts.push({ service, what, text: line });
    };
    for (const s of services.filter((t) => t.database)) {
      const variable = databasePasswordVariable(s.name);
      add(s.name, 'its database password', `# ${variable}=\n`);
    }
    for (const s of services) {
      for (const [name, setting] of Object.entries(s.settings.own)) {
        const generated = secretFileVariable(setting);
        for (const v of composeVariables(setting.compose ?? '')) {
          if (documented.has(v.name)) continue;
          documented.add(v.name);
          if (v.name === generated) {
            add(
              s.name,
              `its secret ${v.name}`,
              `# ${s.name}: ${setting.description}\n# ${v.name}=\n`,
            );
            continue;
          }
          const placeholder = setting.secret
            ? `change-me-${v.name.toLowerCase().replaceAll('_', '-')}`
            : '';
          add(
            s.name,
            v.name === name ? `its variable ${name}` : `its variable ${v.name} (for ${name})`,
            `# ${s.name}: ${setting.description}\n${v.required ? `${v.name}=${placeholder}` : `# ${v.name}=${v.fallback}`}\n`,
          );
        }
      }
    }
    return lines.join('');
  });
  return { file: FILE, content, parts };
}
