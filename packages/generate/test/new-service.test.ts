import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { checkGenerated } from '@platform/generate';
import { loadManifests } from '@platform/manifest';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '../../..');
/** Not `notes`: the repository may hold one made by `npm run new:service -- notes`. */
const NAME = 'scratch-items';

/** The committed repository (HEAD plus the working tree's changes) in a scratch folder. */
function scratchCopy(t: import('node:test').TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'new-service-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Tracked and new files as they are now, without node_modules or .data.
  const files = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: root, encoding: 'utf8' },
  )
    .split('\0')
    .filter((f) => f && existsSync(path.join(root, f)));
  const tar = spawnSync('tar', ['-c', '--null', '-T', '-', '-f', '-'], {
    cwd: root,
    input: files.join('\0'),
    maxBuffer: 1 << 30,
  });
  execFileSync('tar', ['-x', '-f', '-'], { cwd: dir, input: tar.stdout });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  // A workspace's own node_modules holds what npm could not hoist (packages/client's TypeScript 5).
  for (const group of ['packages', 'services']) {
    for (const name of readdirSync(path.join(root, group))) {
      const own = path.join(root, group, name, 'node_modules');
      if (existsSync(own) && existsSync(path.join(dir, group, name))) {
        symlinkSync(own, path.join(dir, group, name, 'node_modules'));
      }
    }
  }
  return dir;
}

const CLI = 'packages/generate/src/new-service-cli.ts';

/** `npm run new:service -- <args> --no-install` in `dir`, as a user runs it (under tsx). */
const newService = (dir: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args, '--no-install'], {
    cwd: dir,
    encoding: 'utf8',
  });

/**
 * The same command compiled once into one file, for a test that runs it many times: under tsx
 * each run took about a second of CPU, most of it loading modules through tsx's hooks. The
 * sources keep their own `import.meta.dirname` (the CLI finds the repository and its template
 * from it), as under tsx.
 */
/** Spelled apart: `npm test` compiles this file, replacing the whole words where they stand. */
const META = 'import.meta';

async function compiledNewService(dir: string) {
  // Self-contained (npm packages bundled too), beside the scratch copy's files.
  const outfile = path.join(dir, '.cli', 'new-service-cli.mjs');
  await build({
    entryPoints: [path.join(dir, CLI)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
    // CommonJS packages bundled into ESM call require() for Node's own modules.
    banner: {
      js: `import { createRequire } from 'node:module'; const require = createRequire(${META}.url);`,
    },
    plugins: [
      {
        name: 'own-dirname',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, async (args) => ({
            contents: (await readFile(args.path, 'utf8'))
              .replaceAll(`${META}.dirname`, JSON.stringify(path.dirname(args.path)))
              .replaceAll(`${META}.filename`, JSON.stringify(args.path)),
            loader: 'ts',
          }));
        },
      },
    ],
  });
  return (...args: string[]) =>
    spawnSync(process.execPath, [outfile, ...args, '--no-install'], { cwd: dir, encoding: 'utf8' });
}

test('new:service writes a service that the manifests, the generated files and tsc accept', async (t) => {
  const dir = scratchCopy(t);
  const run = newService(dir, NAME);
  assert.equal(run.status, 0, run.stderr);

  const base = path.join(dir, 'services', NAME);
  for (const file of [
    'package.json',
    'service.json',
    'drizzle.config.ts',
    'drizzle/0000_init.sql',
    'drizzle/meta/_journal.json',
    'drizzle/meta/0000_snapshot.json',
    'src/app.ts',
    'src/server.ts',
    'src/config.ts',
    'src/db/schema.ts',
    'src/items/routes.ts',
    'src/items/service.ts',
    'src/items/schema.ts',
    'src/items/repository.ts',
    'src/internal/routes.ts',
    'src/owners/service.ts',
    'src/owners/repository.ts',
    'test/items.test.ts',
    'test/hostile-input.test.ts',
    'test/feature-structure.test.ts',
    // Its own process behind the real gateway and auth: the gateway tests' startService takes
    // any service's name (tsc below refuses it otherwise).
    'test/through-gateway.test.ts',
  ]) {
    assert.ok(existsSync(path.join(base, file)), file);
  }
  const read = (file: string) => readFileSync(path.join(base, file), 'utf8');
  const leftover = spawnSync('grep', ['-rl', '{{', base], { encoding: 'utf8' });
  assert.equal(leftover.stdout, '', 'every placeholder is filled in');
  assert.equal(JSON.parse(read('package.json')).name, `@services/${NAME}`);
  const services = loadManifests(dir);
  const notes = services.find((s) => s.name === NAME)!;
  assert.equal(notes.prefix, `/${NAME}`);
  assert.equal(notes.database, true);
  // A deleted account's items go with it: auth's outbox relays user.deleted to it.
  assert.deepEqual(notes.subscribes, ['user.deleted']);
  assert.equal(notes.port_offset, Math.max(...services.map((s) => s.port_offset)));
  assert.equal(services.filter((s) => s.port_offset === notes.port_offset).length, 1);
  assert.match(read('src/config.ts'), new RegExp(`Env\\.port\\(${8080 + notes.port_offset}\\)`));
  assert.match(read('drizzle/0000_init.sql'), /CREATE TABLE "items"/);
  // The tombstones of deleted accounts, which refuse their creates (src/owners/).
  assert.match(read('drizzle/0000_init.sql'), /CREATE TABLE "deleted_owners"/);

  assert.deepEqual(checkGenerated(dir), []);
  const compose = readFileSync(path.join(dir, 'compose.yaml'), 'utf8');
  assert.match(compose, new RegExp(`^ {2}${NAME}:$`, 'm'));
  assert.match(
    compose,
    new RegExp(`EVENT_SUBSCRIBERS: .*;${NAME}:user\\.deleted=http://${NAME}:8080`),
  );
  // Its secrets as every other service gets them: files init-secrets writes before it starts.
  const stem = NAME.toUpperCase().replaceAll('-', '_');
  const block = compose.slice(compose.indexOf(`\n  ${NAME}:\n`)).split('\n\n')[0]!;
  assert.match(block, new RegExp(`DATABASE_URL_FILE: /run/secrets/${stem}_DATABASE_URL\n`));
  assert.match(block, /SERVICE_TOKEN_FILE: \*SERVICE_TOKEN_FILE\n/);
  assert.match(block, /init-secrets: \{ condition: service_completed_successfully \}/);
  assert.match(
    readFileSync(path.join(dir, 'deploy/secrets/init.sh'), 'utf8'),
    new RegExp(`^secret ${stem}_DB_PASSWORD "\\$postgres"$`, 'm'),
  );
  assert.ok(existsSync(path.join(dir, `deploy/k8s/base/services/${NAME}.yaml`)));

  // The new service type-checks with the repository's settings. Only its own folder is checked:
  // new:service (with --no-install) writes no TypeScript outside it, which the loop proves, and
  // `npm run check` type-checks the rest; the whole repository took this test twice as long.
  for (const file of execFileSync('git', ['ls-files', '*.ts'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && existsSync(path.join(root, f)))) {
    assert.equal(
      readFileSync(path.join(dir, file), 'utf8'),
      readFileSync(path.join(root, file), 'utf8'),
      `${file} changed`,
    );
  }
  const own = ['src', 'test', '*.ts'].map((p) => `services/${NAME}/${p}`);
  writeFileSync(
    path.join(dir, 'tsconfig.new-service.json'),
    JSON.stringify({ extends: './tsconfig.json', include: own }),
  );
  // One checker thread: beside another test file on two cores, TypeScript 7's parallel checkers
  // cost a fifth more CPU (7.4–7.7 → 5.9–6.0 s for this program) and took no less time.
  const tsc = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.new-service.json',
      '--singleThreaded',
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);

  // The first migration's snapshot matches src/db/schema.ts: the user's first
  // `npx drizzle-kit generate` holds their change only, nothing of the template's.
  const drift = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules/drizzle-kit/bin.cjs'), 'generate', '--name', 'drift'],
    { cwd: base, encoding: 'utf8' },
  );
  assert.equal(drift.status, 0, drift.stdout + drift.stderr);
  assert.match(drift.stdout, /No schema changes/, drift.stdout);

  // Its own tests pass at once, as the README promises: in process, and its process behind the
  // real gateway and auth. The runner is this one's: outside it, not as its child.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const tests = spawnSync(process.execPath, ['scripts/test.mjs', `services/${NAME}/`], {
    cwd: dir,
    encoding: 'utf8',
    env,
    maxBuffer: 1 << 26,
  });
  const output = tests.stdout + tests.stderr;
  assert.equal(tests.status, 0, output.slice(-6000));
  // TAP (Node 20 and 22, output not a terminal) or spec (Node 23 and later).
  const passed = (name: string) => new RegExp(`^(?:ok \\d+ - |\\s*✔ )${name}`, 'm');
  assert.match(output, /^(?:#|ℹ) fail 0$/m, output.slice(-6000));
  assert.match(output, passed('through the real gateway and auth'), output.slice(-6000));
  assert.match(output, passed("a deleted account's items go with it"), output.slice(-6000));
  // No item outlives its owner: not one created with a still-valid token, nor one in flight.
  assert.match(output, passed('a create after user\\.deleted with a still-valid'));
  assert.match(output, passed('a create in flight when user\\.deleted is processed'));
});

test('new:service refuses a bad, reserved or taken name in one line and writes nothing; a removed one is made again', async (t) => {
  const dir = scratchCopy(t);
  const services = readdirSync(path.join(dir, 'services')).sort();
  const compose = readFileSync(path.join(dir, 'compose.yaml'), 'utf8');
  const run = await compiledNewService(dir);
  // Once as a user runs it, then compiled for the rest.
  const bad = newService(dir, 'Notes');
  assert.equal(bad.status, 1, bad.stdout);
  assert.match(bad.stderr, /^invalid service name "Notes"/);
  for (const [name, message] of [
    ['Notes', /invalid service name/],
    ['n', /invalid service name/],
    ['bad_name', /invalid service name/],
    ['docs', /reserved/],
    ['gateway', /reserved|exists/],
    ['accounts', /reserved|prefix/],
    ['main', /exists/],
    ['postgres', /compose\.yaml/],
    // Their address setting is another's: APP_URL, SMTP_URL auth's, INFLUX_URL analytics's,
    // PUBLIC_URL and DATABASE_URL the platform's. `app` was written, then refused.
    ['app', /would make APP_URL, a setting of services\/auth, its address/],
    ['influx', /would make INFLUX_URL, a setting of services\/analytics, its address/],
    ['public', /would make PUBLIC_URL, a setting every service may read/],
    ['database', /would make DATABASE_URL, a setting every service may read/],
  ] as const) {
    const refused = run(name);
    assert.equal(refused.status, 1, `${name}: ${refused.stdout}`);
    assert.match(refused.stderr, message, name);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
  }
  // An option it does not know is refused rather than ignored while a service is written.
  const mistyped = run('widgets', '--no-instal');
  assert.equal(mistyped.status, 1, mistyped.stdout);
  assert.match(mistyped.stderr, /^unknown option --no-instal; usage: /);
  const help = run('--help');
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^usage: npm run new:service -- <name>/);
  assert.deepEqual(readdirSync(path.join(dir, 'services')).sort(), services);
  assert.equal(readFileSync(path.join(dir, 'compose.yaml'), 'utf8'), compose);

  // A service folder deleted without `npm run generate` leaves its Compose block (and its
  // Kubernetes file): new:service of that name again was refused, asking for npm run generate
  // first, though it runs that itself and regenerates every one of those files. It is made.
  const leftover = compose.replace(
    /^services:\n/m,
    'services:\n  widgets:\n    build: { context: ., dockerfile: Dockerfile, args: { SERVICE: widgets } }\n',
  );
  assert.notEqual(leftover, compose);
  writeFileSync(path.join(dir, 'compose.yaml'), leftover);
  writeFileSync(path.join(dir, 'deploy/k8s/base/services/widgets.yaml'), '# left over\n');
  const again = run('widgets');
  assert.equal(again.status, 0, again.stderr);
  assert.ok(existsSync(path.join(dir, 'services', 'widgets', 'service.json')));
  assert.deepEqual(checkGenerated(dir), []);
});

test("the generated tests send an item's body only through test/helper.ts's itemBody: a new required field is one change", () => {
  const tests = path.join(root, 'packages/generate/template/service/test');
  // `{ name }`, `{ name: 'First' }`, `{ name, …`: an item body written out (a type, `{ name:
  // string }`, is not one).
  const literal = /\{ name(: '|: `| \}|,)/;
  const written: string[] = [];
  for (const file of readdirSync(tests)) {
    if (file === 'helper.ts.tmpl') continue;
    readFileSync(path.join(tests, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (literal.test(line)) written.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(written, [], 'use itemBody(name) from ./helper.ts');
  assert.match(
    readFileSync(path.join(tests, 'helper.ts.tmpl'), 'utf8'),
    /export const itemBody = \(name: string\) => \(\{ name \}\);/,
  );
});
