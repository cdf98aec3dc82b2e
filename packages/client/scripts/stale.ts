import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** The folders `npm run generate:client` writes, one file per service, and the files' type. */
const GENERATED = [
  ['openapi', '.json'],
  ['src/generated', '.ts'],
] as const;

/**
 * Generated files (relative to the client package) that no service produces any more: a removed
 * service's document and types would otherwise stay, still compile and still be shipped.
 */
export function staleFiles(clientDir: string, wanted: Iterable<string>): string[] {
  const keep = new Set(wanted);
  return GENERATED.flatMap(([folder, extension]) => {
    const dir = path.join(clientDir, folder);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((file) => file.endsWith(extension))
      .map((file) => `${folder}/${file}`)
      .filter((file) => !keep.has(file));
  }).sort();
}
