import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isRunning, loadWithOwnImportMeta } from '@platform/launcher';
import { build, type Plugin } from 'esbuild';

/** Pure-ESM libraries of many small modules (TypeBox alone is ~680), bundled as the tests' are. */
const BUNDLED = ['typebox', 'drizzle-orm', 'jose'];

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const compiled = new Map<string, Promise<string>>();
let outDir: Promise<string> | undefined;

/**
 * How a test starts a TypeScript file (a fixture server, a script) as a process of its own:
 * `[...nodeArgs, file]` after `process.execPath`. The file is compiled by esbuild into one ES
 * module, once per `npm test` run (compileOnce; once per test process outside one): under `--import tsx` every module the process loads takes a
 * round trip to tsx's hooks thread, 1.5–3 s of CPU for a fixture that loads Fastify and TypeBox
 * (~680 files), where the compiled file starts in a fraction of that. As under tsx,
 * `import.meta.*` are those of each source file, the project's modules run in the order they are
 * imported, and npm packages load from node_modules through Node's own loader. Under `npm test`
 * the process loads the npm packages from V8's code cache and maps stack traces to .ts lines
 * (the runner's preload, scripts/test-preload.ts). `entry`: absolute, or relative to the repository.
 */
export async function compiledScript(
  entry: string,
  options: {
    preload?: boolean;
    /** Written by this process (compiledModules): never shared with other test processes. */
    written?: boolean;
  } = {},
): Promise<string[]> {
  let file = compiled.get(entry);
  if (!file) {
    file = compileOnce(path.resolve(root, entry), options.written ?? false);
    compiled.set(entry, file);
  }
  // Not for a process that traces: with the code cache taking over CommonJS compiles,
  // OpenTelemetry's hooks do not see pg, http or pino load.
  const preload =
    process.env.TEST_COMPILED_DIR && options.preload !== false
      ? ['--import', pathToFileURL(path.join(process.env.TEST_COMPILED_DIR, 'preload.mjs')).href]
      : [];
  return [...preload, await file];
}

let sources = 0;

/**
 * `compiledScript` for modules written by the test: `files` (names to JavaScript or TypeScript
 * source, imports between them relative) are written to a folder inside the repository, so they
 * import the workspace's packages and npm's as the repository's own files do; `entry` is the one
 * to run.
 */
export async function compiledModules(
  files: Record<string, string>,
  entry: string,
  options: { preload?: boolean } = {},
): Promise<string[]> {
  sources += 1;
  const dir = path.join(await scratchDir(), `sources-${sources}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, source] of Object.entries(files)) await writeFile(path.join(dir, name), source);
  return compiledScript(path.join(dir, entry), { ...options, written: true });
}

function scratchDir(): Promise<string> {
  outDir ??= (async () => {
    // Inside the repository, so the npm packages resolve from the output as from the source.
    const parent = path.join(root, 'node_modules', '.cache', 'test-entries');
    mkdirSync(parent, { recursive: true });
    // Those of test processes that did not reach their exit handler (a timeout's SIGTERM).
    for (const name of readdirSync(parent)) {
      if (!isRunning(Number(name.split('-')[0])))
        rmSync(path.join(parent, name), { recursive: true, force: true });
    }
    const dir = await mkdtemp(path.join(parent, `${process.pid}-`));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  })();
  return outDir;
}

/**
 * Under `npm test`, a file of the repository is compiled once per run, not once per test process:
 * into the run's compiled folder (TEST_COMPILED_DIR, removed when the run ends), where the test
 * processes that start it after the first find it (the launcher's test files each start
 * packages/launcher/src/main.ts: 1.5–2 s of a busy machine per file). Two that compile it at once
 * each write a folder of their own; the first renamed into place is used, the other is removed.
 * The sources do not change during a run.
 */
async function compileOnce(entry: string, written: boolean): Promise<string> {
  const base = path.basename(entry).replace(/\.[cm]?[jt]s$/, '');
  const run = process.env.TEST_COMPILED_DIR;
  // A folder per entry: its dynamic imports are chunks of their own, loaded when the code asks
  // for them, with the npm packages only they import (a fixture that loads the rest only after
  // `@platform/http/start-up` has run, as a service does).
  if (!run || written)
    return compile(entry, await mkdtemp(path.join(await scratchDir(), `${base}-`)));
  const name = `${base}-${createHash('sha256').update(entry).digest('hex').slice(0, 12)}`;
  const shared = path.join(run, 'entries', name);
  const outfile = path.join(shared, 'main.mjs');
  if (existsSync(outfile)) return outfile;
  mkdirSync(path.dirname(shared), { recursive: true });
  const own = await mkdtemp(`${shared}-`);
  try {
    await compile(entry, own);
    await rename(own, shared).catch(() => {});
  } finally {
    await rm(own, { recursive: true, force: true });
  }
  return outfile;
}

/** Compiles `entry` into the folder `out`; its main.mjs. */
async function compile(entry: string, out: string): Promise<string> {
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
        if (found.errors.length > 0) return { path: args.path, external: true };
        const shared = found.path.startsWith(path.join(root, 'node_modules') + path.sep);
        return { path: shared ? args.path : pathToFileURL(found.path).href, external: true };
      });
      b.onLoad({ filter: /\.[cm]?ts$/ }, loadWithOwnImportMeta);
    },
  };
  const outfile = path.join(out, 'main.mjs');
  await build({
    entryPoints: { main: entry },
    outdir: out,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Beside the code, read only when a stack is shown (scripts/test-source-maps.ts): inline, every
    // process started from it (the launcher's at each launch) read and decoded it with the code.
    sourcemap: 'linked',
    absWorkingDir: root,
    logLevel: 'error',
    plugins: [plugin],
  });
  return outfile;
}
