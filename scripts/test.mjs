/**
 * `npm test` starts here: compiles scripts/test.ts (and the workspace TypeScript it imports) with
 * esbuild and runs it, without tsx. Loading tsx cost each run about a quarter of a second,
 * before anything was tested. Arguments are those of scripts/test.ts.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const outfile = path.join(root, 'node_modules', '.cache', 'test-runner', `test-${process.pid}.mjs`);

// test.ts ends the process itself.
process.on('exit', () => rmSync(outfile, { force: true }));
await build({
  entryPoints: [path.join(import.meta.dirname, 'test.ts')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Where test.ts finds the repository (the compiled copy lives elsewhere).
  define: { 'import.meta.dirname': JSON.stringify(import.meta.dirname) },
  logLevel: 'error',
  plugins: [
    {
      name: 'npm-packages-external',
      setup(b) {
        // npm packages load from node_modules; the workspace's TypeScript is compiled in.
        b.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.startsWith('@platform/') ? undefined : { path: args.path, external: true },
        );
      },
    },
  ],
});
await import(pathToFileURL(outfile).href);
