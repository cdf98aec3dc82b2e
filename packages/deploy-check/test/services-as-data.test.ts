import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { checkGenerated, generateAll, writeGenerated } from '@platform/generate';
import { planServices, readLauncherConfig, serviceEnv } from '@platform/launcher';
import { loadManifests } from '@platform/manifest';
import { checkCompose } from '../src/compose.ts';
import { generatedErrors } from '../src/generated.ts';
import { manifestFiles, schemaErrors } from '../src/k8s.ts';
import { policyErrors } from '../src/policy.ts';
import { composeCopy, replaceOnce, root, withNotes } from './helper.ts';

const read = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8');

test('the committed generated files are what services/*/service.json generate', () => {
  assert.deepEqual(checkGenerated(root), []);
});

test('a new service is its manifest plus npm run generate: every file that lists services gets it', async (t) => {
  const dir = withNotes(t);
  // Before generating, every generated file that lists services says notes is missing from it.
  const before = checkGenerated(dir);
  for (const file of [
    'compose.yaml',
    'deploy/postgres/init.sh',
    'deploy/nginx/nginx.conf',
    'deploy/secrets/init.sh',
    '.env.example',
    'deploy/k8s/base/config.yaml',
    'deploy/k8s/base/services/kustomization.yaml',
    'deploy/k8s/base/secrets/services.yaml',
    'deploy/k8s/overlays/dev/kustomization.yaml',
    'deploy/k8s/overlays/prod/kustomization.yaml',
  ]) {
    assert.ok(
      before.some((line) => line.startsWith(`${file}: service notes: `)),
      `${file} in\n${before.join('\n')}`,
    );
  }
  for (const line of [
    'deploy/k8s/base/services/notes.yaml: missing (notes: services/notes/service.json); run npm run generate',
    // One wording for a part named in the singular or the plural ("its secrets").
    'deploy/k8s/overlays/prod/kustomization.yaml: service notes: its image: missing, or not as services/notes/service.json says; run npm run generate',
    'deploy/secrets/init.sh: service notes: its secrets: missing, or not as services/notes/service.json says; run npm run generate',
  ])
    assert.ok(before.includes(line), `${line} in\n${before.join('\n')}`);

  writeGenerated(dir);
  assert.deepEqual(checkGenerated(dir), []);

  // The launcher: its own port, its database, and the gateway routes its prefix to it.
  const services = loadManifests(dir);
  const config = readLauncherConfig(services, { GATEWAY_PORT: '9000' });
  const { planned } = planServices(config, dir, services);
  const notes = planned.find((p) => p.spec.name === 'notes')!;
  assert.equal(notes.port, 9004);
  assert.equal(notes.portVariable, 'NOTES_PORT');
  const stack = {
    config,
    dataDir: dir,
    services,
    urls: Object.fromEntries(planned.map((p) => [p.spec.name, p.url])),
  };
  const gateway = serviceEnv(planned.find((p) => p.spec.name === 'gateway')!, stack, undefined, {});
  assert.match(gateway.ROUTES!, /(^|;)notes:\/notes=http:\/\/127\.0\.0\.1:9004(;|$)/);
  assert.ok(
    JSON.parse(gateway.EDGE_ROUTES!).some(
      (r: { url: string; body_limit?: number }) =>
        r.url === '/notes/v1/attachments' && r.body_limit === 10485760,
    ),
  );
  const env = serviceEnv(notes, stack, 'postgres://x/notes', {
    NOTES_GREETING: 'hi',
    SMTP_URL: 'smtp://leak',
  });
  assert.equal(env.NOTES_GREETING, 'hi');
  assert.equal(env.AUTH_URL, 'http://127.0.0.1:9001');
  assert.equal(env.SMTP_URL, undefined, 'a setting another service declares does not leak');
  assert.equal(env.SERVICE_TOKEN, undefined, 'nor one notes does not declare');

  // Compose: its block, its database, ROUTES; its secrets are files that init-secrets makes (or
  // takes from .env); and the whole file still passes the checks.
  const compose = read(dir, 'compose.yaml');
  assert.match(compose, /^ {2}notes:\n {4}<<: \*service\n/m);
  assert.match(compose, /^ {6}DATABASE_URL_FILE: \/run\/secrets\/NOTES_DATABASE_URL$/m);
  assert.match(compose, /ROUTES: .*notes:\/notes=http:\/\/notes:8080/);
  assert.match(compose, /EDGE_ROUTES: .*"url":"\/notes\/v1\/attachments","body_limit":10485760/);
  assert.match(compose, /^ {6}NOTES_API_KEY_FILE: \/run\/secrets\/NOTES_API_KEY$/m);
  assert.match(compose, /^ {6}NOTES_DB_PASSWORD_FILE: \/run\/secrets\/NOTES_DB_PASSWORD$/m);
  for (const variable of ['NOTES_DB_PASSWORD', 'NOTES_API_KEY']) {
    assert.match(compose, new RegExp(`^ {6}${variable}: \\$\\{${variable}:-\\}$`, 'm'));
  }
  assert.match(
    compose,
    /^ {4}volumes: \[secrets-notes:\/run\/secrets:ro\]\n(?: {4}networks: .*\n)? {4}depends_on:\n {6}init-secrets: \{ condition: service_completed_successfully \}\n {6}postgres:/m,
  );
  // Its own volume, which init-secrets fills with the files it reads.
  assert.match(compose, /^ {6}- secrets-notes:\/run\/secrets-services\/notes$/m);
  assert.match(compose, /^ {2}secrets-notes: \{\}$/m);
  assert.deepEqual(checkCompose({ root: dir }), []);
  assert.match(read(dir, 'deploy/postgres/init.sh'), /^create notes NOTES_DB_PASSWORD$/m);
  // NGINX's own refusals on its any_origin route are readable from any page, as the gateway's are.
  assert.match(
    read(dir, 'deploy/nginx/nginx.conf'),
    /^ {4}~\^\/notes\/v1\/boards\/\[\^\/\]\+\/beacon\/\?\$ "\*";$/m,
  );
  const secrets = read(dir, 'deploy/secrets/init.sh');
  assert.match(secrets, /^secret NOTES_DB_PASSWORD "\$postgres"$/m);
  assert.match(
    secrets,
    /^url NOTES_DATABASE_URL "\$node" "postgres:\/\/notes:\$\(value NOTES_DB_PASSWORD\)@postgres:5432\/notes"$/m,
  );
  assert.match(secrets, /^secret NOTES_API_KEY "\$node"$/m);
  assert.match(secrets, /^give notes NOTES_DATABASE_URL .*\bNOTES_API_KEY\b/m);
  const envExample = read(dir, '.env.example');
  assert.match(envExample, /^# NOTES_DB_PASSWORD=$/m);
  assert.match(envExample, /^# NOTES_API_KEY=$/m);
  assert.match(envExample, /^# NOTES_GREETING=hello$/m);

  // Kubernetes: its objects pass the schemas and the policy with the rest of the base.
  const k8s = read(dir, 'deploy/k8s/base/services/notes.yaml');
  for (const kind of ['Deployment', 'Service', 'PodDisruptionBudget', 'ConfigMap', 'Job']) {
    assert.match(k8s, new RegExp(`^kind: ${kind}$`, 'm'), kind);
  }
  assert.match(
    read(dir, 'deploy/k8s/base/config.yaml'),
    /ROUTES: .*notes:\/notes=http:\/\/notes:8080/,
  );
  assert.match(read(dir, 'deploy/k8s/base/secrets/services.yaml'), /name: notes-secrets/);
  assert.match(
    read(dir, 'deploy/k8s/overlays/prod/kustomization.yaml'),
    /newName: registry\.example\.com\/microservice-template\/notes,/,
  );
  const base = manifestFiles(path.join(dir, 'deploy', 'k8s', 'base')).flatMap((f) => f.objects);
  assert.deepEqual(await schemaErrors(base), []);
  assert.deepEqual(policyErrors(base), []);
});

test('taking a service out of any one generated file fails the check, naming the service and the file', (t) => {
  const dir = withNotes(t);
  writeGenerated(dir);
  const generated = generateAll(dir);
  const edited = generated.filter((g) => g.parts.some((p) => p.service === 'notes'));
  assert.ok(edited.length >= 9, edited.map((g) => g.file).join(', '));
  for (const { file, content, parts } of edited) {
    const target = path.join(dir, file);
    const removed = parts
      .filter((p) => p.service === 'notes')
      .reduce((text, p) => text.replace(p.text, ''), content);
    if (removed === '') rmSync(target);
    else writeFileSync(target, removed);
    const problems = checkGenerated(dir);
    writeFileSync(target, content);
    assert.ok(
      problems.some((line) => line.startsWith(`${file}: `) && /\bnotes\b/.test(line)),
      `${file}: ${problems.join('\n')}`,
    );
  }
  assert.deepEqual(checkGenerated(dir), []);
});

test('what a removed service left in the generated files is named', (t) => {
  const dir = withNotes(t);
  writeGenerated(dir);
  rmSync(path.join(dir, 'services', 'notes'), { recursive: true });
  const problems = checkGenerated(dir);
  assert.ok(
    problems.includes(
      'deploy/k8s/base/services/notes.yaml: service notes has no services/notes/service.json (left over); run npm run generate',
    ),
  );
  assert.ok(
    problems.some((line) =>
      /^deploy\/postgres\/init\.sh: differs .* \(not generated: "create notes /.test(line),
    ),
    problems.join('\n'),
  );
  // `npm run generate` prints each change as `<action> <file>`: the deleted service's files are
  // reported removed, not "wrote", which read as if they had been made again.
  const changes = writeGenerated(dir);
  assert.deepEqual(
    changes.filter((c) => c.file === 'deploy/k8s/base/services/notes.yaml'),
    [{ file: 'deploy/k8s/base/services/notes.yaml', action: 'removed' }],
  );
  assert.ok(changes.some((c) => c.file === 'compose.yaml' && c.action === 'wrote'));
  assert.deepEqual(checkGenerated(dir), []);
});

// The deploy check called checkGenerated bare: a hand-written part generating needs (an
// x-platform anchor, the init-secrets service) missing was a GenerateError thrown at the top of
// cli.ts, a stack trace instead of the problem and exit 1.
test("what stops generating (a hand-written part missing) is one of the deploy check's problems, not a throw", (t) => {
  const dir = composeCopy(t, {
    'compose.yaml': (text) => replaceOnce(text, 'JWT_ISSUER: &JWT_ISSUER ', 'JWT_ISSUER: '),
  });
  const errors = generatedErrors(dir);
  assert.equal(errors[0], 'compose.yaml: x-platform.JWT_ISSUER needs the anchor &JWT_ISSUER');
  // One line each, as cli.ts prints them under "FAIL generated files".
  for (const line of errors) assert.match(line, /^compose\.yaml: [^\n]+$/);
});

// generatedErrors caught GenerateError and ManifestError only: compose.yaml that is no YAML (a
// hand edit) threw YAMLParseError out of generating, and cli.ts died on it with a stack trace
// before the compose check, which names the same mistake in one line, could report anything.
test('compose.yaml that does not parse is a problem line of the generated files, not a throw', (t) => {
  const dir = composeCopy(t, {
    'compose.yaml': (text) => replaceOnce(text, '\nservices:\n', '\nservices:\n  broken: [\n'),
  });
  const errors = generatedErrors(dir);
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0]!, /^cannot generate: YAML: [^\n]+ at line \d+, column \d+:$/);
});

test('a hand-written file generating reads that is missing is a problem line naming it, not a throw', (t) => {
  const dir = composeCopy(t);
  rmSync(path.join(dir, 'deploy', 'secrets', 'init.sh'));
  const errors = generatedErrors(dir);
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0]!, /^cannot generate: ENOENT: [^\n]+deploy\/secrets\/init\.sh'$/);
});

// A region's marker line deleted by hand (a merge, an editor's "remove comments") threw a plain
// Error out of generating: check:deploy and npm run generate died on a stack trace.
test("a generated region's missing marker line is one problem line naming the file and the line", (t) => {
  const noBegin = composeCopy(t, {
    'deploy/postgres/init.sh': (text) =>
      replaceOnce(text, '# generated:databases begin', '# databases begin'),
  });
  assert.deepEqual(generatedErrors(noBegin), [
    'deploy/postgres/init.sh: no "# generated:databases begin" line: put the region\'s begin and end lines back (git diff shows them), then run npm run generate',
  ]);
  const noEnd = composeCopy(t, {
    'deploy/secrets/init.sh': (text) => replaceOnce(text, '# generated:secrets end\n', ''),
  });
  assert.deepEqual(generatedErrors(noEnd), [
    'deploy/secrets/init.sh: "# generated:secrets begin" has no matching end line: put it back (git diff shows it), then run npm run generate',
  ]);
});
