import { readFileSync } from 'node:fs';
import path from 'node:path';
import { databasePasswordVariable, type Service } from '@platform/manifest';
import type { Generated, Part } from './output.ts';
import { fillRegion } from './regions.ts';

const FILE = 'deploy/postgres/init.sh';

/** deploy/postgres/init.sh: one `create` line (role and database) per service with a database. */
export function generatePostgresInit(root: string, services: readonly Service[]): Generated {
  const parts: Part[] = [];
  const content = fillRegion(readFileSync(path.join(root, FILE), 'utf8'), FILE, 'databases', () =>
    services
      .filter((s) => s.database)
      .map((s) => {
        const line = `create ${s.name} ${databasePasswordVariable(s.name)}\n`;
        parts.push({ service: s.name, what: 'its database and role', text: line });
        return line;
      })
      .join(''),
  );
  return { file: FILE, content, parts };
}
