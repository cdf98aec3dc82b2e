import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { isRunning, loadWithOwnImportMeta } from '../src/compile.ts';

/** Pure-ESM libraries of many small modules (TypeBox alone is ~680), bundled as the tests' are. */
const BUNDLED = ['typebox'];

let compiled: Promise<string> | undefined;

/**
 * The launcher (packages/launcher/src/main.ts) compiled to one ES module, once per test process.
 * Under `--import tsx` (what `npm start` runs) every module the launcher loads takes a round trip
 * to tsx's hooks thread: 2–4 s of CPU per launch on a busy two-core machine, for TypeBox's files
 * mostly, where the compiled file loads in ~0.5 s. The launcher's tests start it a dozen times;
 * start.test's first start still runs it as `npm start` does. As under tsx, `import.meta.*` are
 * those of each source file (main.ts finds the repository from its own folder), and npm packages
 * load from node_modules through Node's own loader.
 */
export function compiledLauncher(root: string): Promise<string> {
  compiled ??= compile(root);
  return compiled;
}

async function compile(root: string): Promise<string> {
  // Inside the repository, so the npm packages resolve from the output as from the source.
  const parent = path.join(root, 'node_modules', '.cache', 'launcher-tests');
  mkdirSync(parent, { recursive: true });
  // Those of test processes that did not reach their exit handler (a timeout's SIGTERM).
  for (const entry of readdirSync(parent)) {
    if (!isRunning(Number(entry.split('-')[0])))
      rmSync(path.join(parent, entry), { recursive: true, force: true });
  }
  const dir = await mkdtemp(path.join(parent, `${process.pid}-`));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const plugin: Plugin = {
    name: 'as-under-tsx',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.path.startsWith('@platform/') || args.pluginData === 'resolving') return;
        if (BUNDLED.some((p) => args.path === p || args.path.startsWith(`${p}/`))) return;
        if (args.path.startsWith('node:')) return { path: args.path, external: true };
        // A workspace's own copy of a package (packages/<name>/node_modules/…) by its path.
        const found = await b.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          pluginData: 'resolving',
        });
        const shared = found.path.startsWith(path.join(root, 'node_modules') + path.sep);
        return { path: shared ? args.path : pathToFileURL(found.path).href, external: true };
      });
      b.onLoad({ filter: /\.[cm]?ts$/ }, loadWithOwnImportMeta);
    },
  };
  const outfile = path.join(dir, 'main.mjs');
  await build({
    entryPoints: [path.join(root, 'packages', 'launcher', 'src', 'main.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    absWorkingDir: root,
    logLevel: 'error',
    plugins: [plugin],
  });
  return outfile;
}
