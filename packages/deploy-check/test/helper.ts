import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { writeGenerated } from '@platform/generate';
import { loadManifests } from '@platform/manifest';

export const root = path.resolve(import.meta.dirname, '../../..');

const SCHEMA = 'packages/manifest/service.schema.json';

/**
 * A scratch copy of what compose.yaml refers to and what `npm run generate` reads and writes
 * (each service's manifest and an empty server.ts), with `edit` applied to the named files, so a
 * test can break one thing and see the check fail. Removed after the test.
 */
export function composeCopy(t: TestContext, edits: Record<string, (text: string) => string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'deploy-check-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const files = ['compose.yaml', '.env.example', 'Dockerfile', 'deploy', SCHEMA];
  for (const file of files) {
    cpSync(path.join(root, file), path.join(dir, file), { recursive: true });
  }
  for (const { name } of loadManifests(root)) {
    mkdirSync(path.join(dir, 'services', name, 'src'), { recursive: true });
    writeFileSync(path.join(dir, 'services', name, 'src', 'server.ts'), '');
    cpSync(
      path.join(root, 'services', name, 'service.json'),
      path.join(dir, 'services', name, 'service.json'),
    );
  }
  for (const [file, edit] of Object.entries(edits)) {
    const target = path.join(dir, file);
    writeFileSync(target, edit(readFileSync(target, 'utf8')));
  }
  return dir;
}

/**
 * composeCopy with one more service, notes (test/fixtures/notes.service.json and an empty
 * server.ts), before `npm run generate` has written it anywhere. A real services/notes (made by
 * `npm run new:service -- notes`) is taken out of the copy first, generated files included.
 */
export function withNotes(t: TestContext): string {
  const dir = composeCopy(t);
  if (existsSync(path.join(dir, 'services', 'notes'))) {
    rmSync(path.join(dir, 'services', 'notes'), { recursive: true });
    writeGenerated(dir);
  }
  mkdirSync(path.join(dir, 'services', 'notes', 'src'), { recursive: true });
  cpSync(
    path.join(import.meta.dirname, 'fixtures', 'notes.service.json'),
    path.join(dir, 'services', 'notes', 'service.json'),
  );
  writeFileSync(path.join(dir, 'services', 'notes', 'src', 'server.ts'), '');
  return dir;
}

/** Replaces exactly one occurrence, so a test never passes because its edit missed. */
export function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`not exactly once: ${from}`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}
