import { statSync } from 'node:fs';
import path from 'node:path';

/**
 * The test files (paths from the repository root) that `npm test -- <argument>…` runs: those
 * whose path holds one of the arguments (all of them with none). An argument naming an existing
 * file or folder, from `cwd` (where npm was run: INIT_CWD) — `./services/notes/`, an editor's
 * absolute path — is taken as that path from the root, a folder as itself only
 * (`services/notes` runs none of `services/notes-archive`); any other is a plain part of a path
 * (`posts-`, `services/auth/test/login`).
 */
export function selectTestFiles(
  files: readonly string[],
  filters: readonly string[],
  where: { root: string; cwd: string },
): string[] {
  const parts = filters.map((filter) => fromRoot(filter, where) ?? filter);
  return files.filter((f) => parts.length === 0 || parts.some((p) => f.includes(p))).sort();
}

function fromRoot(filter: string, { root, cwd }: { root: string; cwd: string }) {
  const absolute = path.resolve(cwd, filter);
  const relative = path.relative(root, absolute);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  const stat = statSync(absolute, { throwIfNoEntry: false });
  if (!stat) return undefined;
  return stat.isDirectory() && relative !== '' ? relative + path.sep : relative;
}
