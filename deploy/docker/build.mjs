/**
 * Turns the TypeScript monorepo into what one service's image runs with plain `node`:
 *   node deploy/docker/build.mjs <service> <out>
 * writes
 *   <out>/manifests/  the lockfile and the package.json of the service and of the workspace
 *                     packages it needs, for `npm ci --omit=dev`;
 *   <out>/app/        their src/ compiled to JavaScript in the same layout (so
 *                     `import.meta.dirname`-relative paths to drizzle/ and data/ still hold), their
 *                     other files, package.json exports pointing at .js, main.js (the image's fixed
 *                     entry point) and migrate.js (the migrations Job's).
 * tsc only strips types and rewrites `./x.ts` imports to `./x.js` (noCheck: type errors are the
 * CI's job, not the image build's), for the image's own workspaces, each file on its own: the
 * whole repository and the type declarations it imports took three times the CPU for the same
 * output.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const [service, outArg] = process.argv.slice(2);
if (!service || !/^[a-z][a-z0-9-]*$/.test(service) || !outArg) {
  process.stderr.write('usage: node deploy/docker/build.mjs <service> <out>\n');
  process.exit(2);
}
if (!existsSync(path.join(root, 'services', service, 'src', 'server.ts'))) {
  process.stderr.write(`no services/${service}/src/server.ts\n`);
  process.exit(2);
}
const out = path.resolve(outArg);
const app = path.join(out, 'app');
const manifests = path.join(out, 'manifests');
rmSync(out, { recursive: true, force: true });

const readManifest = (workspace) =>
  JSON.parse(readFileSync(path.join(root, workspace, 'package.json'), 'utf8'));
const byName = new Map(
  ['packages', 'services'].flatMap((group) =>
    readdirSync(path.join(root, group))
      .filter((name) => existsSync(path.join(root, group, name, 'package.json')))
      .map((name) => [readManifest(`${group}/${name}`).name, `${group}/${name}`]),
  ),
);
// The service and the workspace packages it needs at run time, transitively. Only these go into
// the image: the launcher's embedded PostgreSQL or another service's dependencies never do.
const runtime = [];
const pending = [`services/${service}`];
while (pending.length > 0) {
  const workspace = pending.pop();
  if (runtime.includes(workspace)) continue;
  runtime.push(workspace);
  for (const dependency of Object.keys(readManifest(workspace).dependencies ?? {})) {
    if (byName.has(dependency)) pending.push(byName.get(dependency));
  }
}

// npm ci accepts a lockfile whose other workspaces are absent and installs only what these need.
for (const file of [
  'package.json',
  'package-lock.json',
  ...runtime.map((w) => `${w}/package.json`),
]) {
  mkdirSync(path.dirname(path.join(manifests, file)), { recursive: true });
  cpSync(path.join(root, file), path.join(manifests, file));
}

const compiled = path.join(out, 'compiled');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
// Only the workspaces the image holds, each file on its own (noResolve: imports are not followed
// into the rest of the repository or node_modules' type declarations, which noCheck never reads).
const project = path.join(out, 'tsconfig.json');
writeFileSync(
  project,
  JSON.stringify({
    extends: path.join(import.meta.dirname, 'tsconfig.build.json'),
    compilerOptions: { noResolve: true, types: [] },
    include: runtime.map((w) => path.join(root, w, 'src')),
  }),
);
execFileSync(process.execPath, [tsc, '-p', project, '--outDir', compiled], {
  stdio: 'inherit',
  cwd: root,
});
rmSync(project);

const skip = new Set(['node_modules', 'test', 'scripts']);
for (const workspace of runtime) {
  copyAssets(path.join(root, workspace), path.join(app, workspace));
  cpSync(path.join(compiled, workspace, 'src'), path.join(app, workspace, 'src'), {
    recursive: true,
  });
  const manifest = readManifest(workspace);
  manifest.exports = toJs(manifest.exports);
  writeFileSync(
    path.join(app, workspace, 'package.json'),
    `${JSON.stringify(manifest, null, 2)}\n`,
  );
}
rmSync(compiled, { recursive: true, force: true });
// The young generation held small while the service loads (see @platform/http's start-up.ts),
// then telemetry, then the service: OpenTelemetry must hook pg and pino before they load,
// which a static import of the server would not allow (ES modules are loaded before any runs).
writeFileSync(
  path.join(app, 'main.js'),
  [
    "import '@platform/http/start-up';",
    "import '@platform/telemetry/register';",
    `await import('./services/${service}/src/server.js');`,
    '',
  ].join('\n'),
);
// `node migrate.js`: the Kubernetes migrations Job. The same call (and advisory lock) the service
// makes at start, without starting the service.
if (existsSync(path.join(root, 'services', service, 'drizzle'))) {
  writeFileSync(
    path.join(app, 'migrate.js'),
    [
      "import { runMigrations } from '@platform/db';",
      'const url = process.env.DATABASE_URL;',
      "if (!url) throw new Error('DATABASE_URL is not set');",
      `await runMigrations(url, new URL('./services/${service}/drizzle', import.meta.url).pathname);`,
      '',
    ].join('\n'),
  );
}

/** Everything but TypeScript, tests and dependencies: migrations, data files, templates. */
function copyAssets(from, to) {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (skip.has(entry.name)) continue;
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) copyAssets(source, path.join(to, entry.name));
    else if (!entry.name.endsWith('.ts')) {
      mkdirSync(to, { recursive: true });
      cpSync(source, path.join(to, entry.name));
    }
  }
}

function toJs(exports) {
  if (typeof exports === 'string') return exports.replace(/\.ts$/, '.js');
  if (exports && typeof exports === 'object') {
    return Object.fromEntries(Object.entries(exports).map(([k, v]) => [k, toJs(v)]));
  }
  return exports;
}
