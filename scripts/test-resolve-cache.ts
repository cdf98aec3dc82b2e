/**
 * Where `require()` found each module, kept from one test process to the next. A service's test
 * process resolves some 1,400 `require()` calls to ~640 CommonJS files of fastify, ajv, pino,
 * pg…, and each resolution walks node_modules folders, reads package.json files (`exports`,
 * `main`) and follows symlinks: 110–220 ms of CPU per test process (a tenth of a short test file),
 * the same answers in every process of a run. Node keeps them for the life of one process
 * (`relativeResolveCache`, `Module._pathCache`); here they are kept in a file beside the code
 * cache, keyed as Node keys its own (the requiring module's folder and the request), and a
 * process asks Node only for what no process has resolved before.
 *
 * The file is named after what the answers depend on: the Node version, the repository and the
 * last `npm install` (node_modules/.package-lock.json, rewritten by every install, and
 * node_modules itself is new after `npm ci`), so a changed dependency tree starts a new one.
 * Only a package's requires of another package file are kept (both in node_modules, outside its
 * .cache): the repository's own files may move between two installs. Requests with options
 * (`require.resolve(x, { paths })`), the main module, Node's built-ins and what Node cannot
 * resolve go to Node as before.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';

interface Parent {
  filename?: string | null;
  path?: string;
}
type Resolve = (
  request: string,
  parent: Parent | undefined,
  isMain: boolean,
  options?: unknown,
) => string;

/** `dir`: the code cache's folder (node_modules/.cache/test-compile-cache). */
export function enableResolveCache(dir: string) {
  const modules = path.resolve(dir, '..', '..');
  const inside = (file: string) =>
    file.startsWith(`${modules}${path.sep}`) &&
    !file.startsWith(`${path.join(modules, '.cache')}${path.sep}`);
  let install: { mtimeMs: number; size: number };
  try {
    install = statSync(path.join(modules, '.package-lock.json'));
  } catch {
    // Not installed by npm: nothing to tell one dependency tree from the next.
    return;
  }
  // And what else changes Node's answers: export conditions, kept symlinks, NODE_PATH.
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  const settings = [
    ...[...flags.matchAll(/(?:--conditions|-C)[= ]?\S+|--preserve-symlinks\S*/g)].map((m) => m[0]),
    process.env.NODE_PATH ?? '',
  ].join('\0');
  const variant = createHash('sha1').update(settings).digest('hex').slice(0, 8);
  const fingerprint = `${process.version}-${Math.round(install.mtimeMs)}-${install.size}-${variant}`;
  const file = path.join(dir, `resolutions-${fingerprint}.json`);
  const read = (): Record<string, string> => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  };
  const known = new Map(Object.entries(read()));
  const found = new Map<string, string>();
  const internals = Module as unknown as { _resolveFilename: Resolve };
  const original = internals._resolveFilename;
  internals._resolveFilename = function resolveFilename(request, parent, isMain, options) {
    const from = parent?.path ?? (parent?.filename ? path.dirname(parent.filename) : undefined);
    if (options !== undefined || isMain || !from || !inside(from) || Module.isBuiltin(request)) {
      return original.call(this, request, parent, isMain, options);
    }
    const key = `${from}\0${request}`;
    const cached = known.get(key);
    if (cached !== undefined) return cached;
    const resolved = original.call(this, request, parent, isMain, options);
    if (inside(resolved)) {
      known.set(key, resolved);
      found.set(key, resolved);
    }
    return resolved;
  };
  process.on('exit', () => {
    if (found.size === 0) return;
    try {
      // What other processes wrote meanwhile, and this one's.
      const all = { ...read(), ...Object.fromEntries(found) };
      const partial = `${file}.${process.pid}`;
      writeFileSync(partial, JSON.stringify(all));
      renameSync(partial, file);
    } catch {
      // Only the next start's speed depends on it.
    }
  });
}
