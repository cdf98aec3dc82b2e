import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';

export const root = path.resolve(import.meta.dirname, '../../..');

/**
 * A scratch copy of what compose.yaml refers to, with `edit` applied to the named files, so a
 * test can break one thing and see the check fail. Removed after the test.
 */
export function composeCopy(t: TestContext, edits: Record<string, (text: string) => string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'deploy-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const file of ['compose.yaml', '.env.example', 'Dockerfile', 'deploy']) {
    cpSync(path.join(root, file), path.join(dir, file), { recursive: true });
  }
  for (const service of ['gateway', 'auth', 'main', 'analytics']) {
    mkdirSync(path.join(dir, 'services', service, 'src'), { recursive: true });
    writeFileSync(path.join(dir, 'services', service, 'src', 'server.ts'), '');
  }
  for (const [file, edit] of Object.entries(edits)) {
    const target = path.join(dir, file);
    writeFileSync(target, edit(readFileSync(target, 'utf8')));
  }
  return dir;
}

/** Replaces exactly one occurrence, so a test never passes because its edit missed. */
export function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`not exactly once: ${from}`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}
