/**
 * `npm start` and `npm run dev` run each service compiled to JavaScript, as its image does
 * (deploy/docker/build.mjs; `npm run dev` compiles a service again for each restart, main.ts):
 * under `--import tsx` the TypeScript hooks run in a second V8 instance, a loader thread that stays
 * for the life of the process (about 30 MB each). esbuild bundles the workspace's TypeScript
 * (services/*, packages/*) into a cache folder in well under a second; npm packages stay external,
 * loaded by Node itself, so OpenTelemetry's hooks still instrument pg and pino.
 *
 * Each service's entry is what the image's main.js is: @platform/http/start-up, then
 * @platform/telemetry/register, then the server, imported dynamically so that the instrumentations
 * are in place before its dependencies load. Paths read relative to a source file
 * (`import.meta.dirname`: service.json, drizzle/, templates/, public/) are those of the source.
 */
import { access, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Message, type Plugin } from 'esbuild';
import { LaunchError } from './ports.ts';

const cacheOf = (root: string) => path.join(root, 'node_modules', '.cache', 'platform-launcher');

/**
 * Where this launcher compiles to: inside the repository, so npm packages resolve as from source,
 * and its own folder, so two stacks started from one checkout (or a test beside a user's) never
 * rewrite the files the other's services load or restart from.
 */
export const compiledDir = (root: string) => path.join(cacheOf(root), String(process.pid));

/** Removes the folders of launchers no longer running (one stopped by SIGKILL leaves its own). */
export async function removeStaleBuilds(root: string): Promise<void> {
  const entries = await readdir(cacheOf(root)).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || isRunning(Number(entry))) continue;
    await rm(path.join(cacheOf(root), entry), { recursive: true, force: true });
  }
}

/** Whether a process with this id runs (EPERM: it does, as another user's). */
export function isRunning(pid: number): boolean {
  // 0 and negative ids name process groups, which kill(…, 0) would find.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The compiled entry of a service, as `compileServices` writes it. */
export const compiledEntry = (outDir: string, service: string) =>
  path.join(outDir, 'services', service, 'main.mjs');

const ENTRY = 'platform-entry:';

/**
 * An esbuild loader for TypeScript that keeps each file's `import.meta.*` its own, as under tsx
 * (a bundle would give every module the output's). Patterns, not strings: a compiler that
 * rewrites `import.meta.*` in this file's own text (the tests', scripts/test-bundles.ts) would
 * turn strings into other paths.
 */
export async function loadWithOwnImportMeta(args: { path: string }) {
  const source = await readFile(args.path, 'utf8');
  const contents = source
    .replace(/import\.meta\.dirname/g, JSON.stringify(path.dirname(args.path)))
    .replace(/import\.meta\.filename/g, JSON.stringify(args.path))
    .replace(/import\.meta\.url/g, JSON.stringify(pathToFileURL(args.path).href));
  return { contents, loader: 'ts' as const };
}

/** This process's compiles under way: removeBuilds waits for them. */
const compiling = new Set<Promise<unknown>>();

/**
 * Removes a folder of builds once no compile of this process is writing: a stop during `npm run
 * dev`'s rebuild (a SIGTERM reaches the launcher alone, and its esbuild goes on) removed the
 * folder while the build was written into it, which then held that build, or failed half-way
 * (ENOTEMPTY), until the next launch removed it as stale.
 */
export async function removeBuilds(dir: string): Promise<void> {
  await Promise.allSettled([...compiling]);
  await rm(dir, { recursive: true, force: true });
}

/**
 * Compiles `services/<name>/src/server.ts` of each of `services` into `outDir` (emptied first);
 * returns the entry to run for each. A compile error is a LaunchError of one line.
 */
export function compileServices(
  root: string,
  services: string[],
  outDir = compiledDir(root),
): Promise<Map<string, string>> {
  const compiled = compileInto(root, services, outDir);
  compiling.add(compiled);
  compiled.then(
    () => compiling.delete(compiled),
    () => compiling.delete(compiled),
  );
  return compiled;
}

async function compileInto(
  root: string,
  services: string[],
  outDir: string,
): Promise<Map<string, string>> {
  await rm(outDir, { recursive: true, force: true });
  const plugin: Plugin = {
    name: 'as-from-source',
    setup(b) {
      // The image's main.js, per service.
      b.onResolve({ filter: /^platform-entry:/ }, (args) => ({
        path: args.path.slice(ENTRY.length),
        namespace: 'entry',
      }));
      b.onLoad({ filter: /.*/, namespace: 'entry' }, (args) => ({
        contents: [
          "import '@platform/http/start-up';",
          "import '@platform/telemetry/register';",
          // Stack traces in the logs name the TypeScript lines (linked maps, loaded from here on).
          'process.setSourceMapsEnabled(true);',
          // Joined, not a template: the test compiler (scripts/test-bundles.ts) runs any source
          // that seems to import a computed name under tsx, and every test loading the launcher
          // would pay for it.
          [
            'await import(',
            JSON.stringify(path.join(root, 'services', args.path, 'src', 'server.ts')),
            ');',
          ].join(''),
        ].join('\n'),
        resolveDir: root,
        loader: 'js',
      }));
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.path.startsWith('@platform/') || args.pluginData === 'resolving') return;
        if (args.path.startsWith('node:')) return { path: args.path, external: true };
        // An npm package stays external. Usually it resolves from the output as from the source;
        // a workspace's own copy (e.g. packages/auth/node_modules/…) is imported by its path.
        const name = args.path.split('/', args.path.startsWith('@') ? 2 : 1).join('/');
        if (!(await nestedPackage(args.resolveDir, root, name)))
          return { path: args.path, external: true };
        const found = await b.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          pluginData: 'resolving',
        });
        return { path: pathToFileURL(found.path).href, external: true };
      });
      b.onLoad({ filter: /\.[cm]?ts$/ }, loadWithOwnImportMeta);
    },
  };
  try {
    await build({
      entryPoints: services.map((s) => ({ in: `${ENTRY}${s}`, out: `services/${s}/main` })),
      outdir: outDir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      // The server a dynamic import, in its own chunk: loaded after telemetry has hooked.
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      sourcesContent: false,
      // Class and function names as in the source: errors are logged by their constructor's name.
      keepNames: true,
      chunkNames: 'chunks/[name]-[hash]',
      absWorkingDir: root,
      logLevel: 'silent',
      plugins: [plugin],
    });
  } catch (error) {
    const first = (error as { errors?: Message[] }).errors?.[0];
    if (!first) throw error;
    const where = first.location
      ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: `
      : '';
    throw new LaunchError(`compiling the services failed: ${where}${first.text}`);
  }
  return new Map(services.map((s) => [s, compiledEntry(outDir, s)]));
}

/** `node_modules/<name>` found from `dir` before the root's own, if any. */
async function nestedPackage(dir: string, root: string, name: string) {
  for (let d = dir; d.startsWith(root) && d !== root; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', name, 'package.json');
    if (
      await access(candidate).then(
        () => true,
        () => false,
      )
    )
      return path.dirname(candidate);
  }
  return undefined;
}
