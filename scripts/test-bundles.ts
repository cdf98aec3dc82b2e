/**
 * Compiles test files ahead of the run, so each test process starts without a module hook.
 *
 * Under `--import tsx` on Node 20 every module a process loads, npm packages included, takes a
 * round trip to the hooks' worker thread: about a millisecond each, and a service's test file
 * loads some 900 (typebox alone is 680 files). That was half the CPU time of a test file. Here
 * esbuild compiles each test file with the project's TypeScript it imports (workspace packages
 * included) into plain ESM, leaving npm packages to Node's own loader, unchanged and shared.
 *
 * What the tests see is kept as under tsx: `import.meta.dirname`, `filename` and `url` are those
 * of the original file, stack traces map to the .ts lines (source maps beside the outputs, read
 * only when a stack is shown: scripts/test-source-maps.ts), and a file whose
 * code imports a computed path (which may be a .ts file) runs through tsx as before.
 */
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';

const BUNDLED = ['typebox', 'drizzle-orm', 'jose'];

/**
 * An `import(` of anything but a string literal: only tsx can tell where it leads. Not `import()`
 * as a comment writes it (postgres.ts's was taken for one).
 */
const COMPUTED_IMPORT = /\bimport\(\s*[^\s'")]/;

/** The project's modules that act when imported (the rest only export). */
const IMPORTED_FOR_EFFECT = /[\\/](start-up|register)\.ts$/;

/**
 * Writes one runnable `.mjs` per test file into `outDir` (which must lie inside `root`, so npm
 * packages resolve from the outputs as from the sources) and returns their paths, in order.
 */
export async function bundleTests(root: string, files: string[], outDir: string) {
  const computedImports = new Set<string>();
  const plugin: Plugin = {
    name: 'as-under-tsx',
    setup(b) {
      // The project's modules are free of import side effects: one whose exports a test does
      // not use is left out, with the npm packages only it imports (mail parsing, the launcher's
      // PostgreSQL, ...), which would otherwise load in every test process. The filter keeps
      // the bundled npm packages' thousands of imports from a round trip to this plugin. Modules
      // imported for their effect alone (`@platform/http/start-up`, `…/register`) keep it.
      b.onResolve({ filter: /^\..*\.ts$/ }, (args) => {
        if (args.kind === 'entry-point') return;
        const file = path.resolve(args.resolveDir, args.path);
        return { path: file, sideEffects: IMPORTED_FOR_EFFECT.test(file) };
      });
      b.onResolve({ filter: /^@platform\// }, async (args) => {
        if (args.pluginData === 'resolving') return;
        const found = await b.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: 'resolving',
        });
        if (found.errors.length > 0) return;
        const sideEffects = IMPORTED_FOR_EFFECT.test(found.path);
        return { path: found.path, namespace: found.namespace, sideEffects };
      });
      b.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.path.startsWith('@platform/') || args.pluginData === 'resolving') return;
        // Pure-ESM libraries of many small modules (TypeBox alone is ~680): bundled, a test file
        // loads one file instead of them all.
        if (BUNDLED.some((p) => args.path === p || args.path.startsWith(`${p}/`))) return;
        if (args.path.startsWith('node:')) return { path: args.path, external: true };
        // An npm package stays external. Usually it resolves from the output as from the source;
        // a workspace's own copy (e.g. packages/auth/node_modules/…) is imported by its path.
        const name = args.path.split('/', args.path.startsWith('@') ? 2 : 1).join('/');
        const own = await nestedPackage(args.resolveDir, root, name);
        if (!own) return { path: args.path, external: true };
        const found = await b.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          pluginData: 'resolving',
        });
        return { path: pathToFileURL(found.path).href, external: true };
      });
      b.onLoad({ filter: /\.[cm]?tsx?$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (COMPUTED_IMPORT.test(source)) computedImports.add(args.path);
        const contents = source
          .replaceAll('import.meta.dirname', JSON.stringify(path.dirname(args.path)))
          .replaceAll('import.meta.filename', JSON.stringify(args.path))
          .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
        return { contents, loader: 'ts' };
      });
    },
  };
  const result = await build({
    entryPoints: files.map((f) => path.join(root, f)),
    outbase: root,
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // `<output>.map`, named by a comment (for `--enable-source-maps`): a test process reads and
    // decodes only the code (inline, the maps were three quarters of every bundle's bytes).
    sourcemap: 'linked',
    // Chunks shared by several test files are loaded once per process, as modules were.
    chunkNames: 'chunks/[name]-[hash]',
    absWorkingDir: root,
    metafile: true,
    logLevel: 'error',
    plugins: [plugin],
  });

  const outputs: string[] = [];
  for (const file of files) {
    const out = path.join(outDir, file.replace(/\.ts$/, '.mjs'));
    const output = path.relative(root, out);
    const sources = inputsOf(result.metafile, output);
    const computed = [...sources].find((s) => computedImports.has(path.resolve(root, s)));
    // Only where the computed import is in code the test runs: a module's function that the
    // test file does not use is left out — unless a chunk shared with a file that does use it
    // carries it (the launcher's PostgreSQL binary once sent ~70 files to tsx so: postgres.ts).
    if (computed && (await runsComputedImport(root, result.metafile, output))) {
      // Said aloud: a computed import in a shared module sends every test that loads it to tsx.
      process.stderr.write(`note: ${file} runs under tsx (a computed import in ${computed})\n`);
      // As before: tsx's hooks for this process, then the TypeScript file itself.
      const original = pathToFileURL(path.join(root, file)).href;
      await mkdir(path.dirname(out), { recursive: true });
      await writeFile(out, `import 'tsx';\nawait import(${JSON.stringify(original)});\n`);
    }
    outputs.push(out);
  }
  return outputs;
}

/** Whether an output, or a chunk it imports, has an `import(` of anything but a string literal. */
async function runsComputedImport(
  root: string,
  metafile: Metafile,
  output: string,
  seen = new Set<string>(),
): Promise<boolean> {
  const entry = metafile.outputs[output];
  if (!entry || seen.has(output)) return false;
  seen.add(output);
  // The code alone: the source map beside it holds the sources, every function in them.
  const code = await readFile(path.join(root, output), 'utf8');
  if (COMPUTED_IMPORT.test(code)) return true;
  for (const imported of entry.imports) {
    if (imported.external) continue;
    if (await runsComputedImport(root, metafile, imported.path, seen)) return true;
  }
  return false;
}

/** The source files compiled into an output and the chunks it imports. */
function inputsOf(metafile: Metafile, output: string, seen = new Set<string>()): Set<string> {
  const sources = new Set<string>();
  const entry = metafile.outputs[output];
  if (!entry || seen.has(output)) return sources;
  seen.add(output);
  for (const input of Object.keys(entry.inputs)) sources.add(input);
  for (const imported of entry.imports) {
    if (imported.external) continue;
    for (const s of inputsOf(metafile, imported.path, seen)) sources.add(s);
  }
  return sources;
}

/** `node_modules/<name>` found from `dir` before the root's own, if any. */
async function nestedPackage(dir: string, root: string, name: string) {
  for (let d = dir; d.startsWith(root) && d !== root; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', name, 'package.json');
    const found = await access(candidate).then(
      () => true,
      () => false,
    );
    if (found) return path.dirname(candidate);
  }
  return undefined;
}

/** The test processes' preload and their parent (scripts/test-run.ts, with the reporter). */
export async function bundleRunnerHelpers(root: string, outDir: string) {
  const preload = path.join(outDir, 'preload.mjs');
  const parent = path.join(outDir, 'run.mjs');
  await build({
    entryPoints: { preload: 'scripts/test-preload.ts', run: 'scripts/test-run.ts' },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    absWorkingDir: root,
    logLevel: 'error',
  });
  return { preload, parent };
}
