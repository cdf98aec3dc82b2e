import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, Type } from '@platform/config';
import { writeGenerated } from '@platform/generate';
import { loadManifests } from '@platform/manifest';
import { loadCompose } from '../src/compose.ts';
import { manifestFiles } from '../src/k8s.ts';
import {
  checkServiceConfig,
  composeConfigProblems,
  formatProblem,
  k8sConfigProblems,
  loadSchemas,
} from '../src/service-config.ts';
import { composeCopy, replaceOnce, root } from './helper.ts';

/**
 * The environments compose.yaml and deploy/k8s give each service, read by that service's own
 * configuration schema (src/config.ts) by src/service-config.ts, which `npm run check:deploy`
 * runs: every required setting is there and well-formed, and nothing is set that the service
 * does not read (a misspelt name would be silently ignored).
 */
const MANIFESTS = loadManifests(root);
const loaded = loadSchemas(root);
const schemas = async () => {
  const { schemas, problems } = await loaded;
  assert.deepEqual(problems, []);
  assert.deepEqual(Object.keys(schemas).sort(), MANIFESTS.map((s) => s.name).sort());
  return schemas;
};

test('compose gives each service an environment its configuration accepts, nothing unread', async () => {
  const found = await composeConfigProblems(root, await schemas());
  assert.deepEqual(found.map(formatProblem), []);
});

test('a setting a service would refuse, or one it never reads, is found before any container starts', async (t) => {
  const dir = composeCopy(t, {
    // Too short, given in .env: init-secrets writes it as given.
    '.env.example': (s) => replaceOnce(s, '# SERVICE_TOKEN=\n', 'SERVICE_TOKEN=change-me\n'),
    'compose.yaml': (s) =>
      replaceOnce(
        s,
        '      SERVICE_NAME: main\n',
        '      SERVICE_NAME: main\n      MAIN_URL: http://main:8080\n',
      ),
  });
  assert.deepEqual(loadCompose({ root: dir }).errors, []);
  const found = (await composeConfigProblems(dir, await schemas())).map(formatProblem);
  // Only the services whose manifests say they read it are given it.
  const readers = MANIFESTS.filter((s) => s.settings.platform.includes('SERVICE_TOKEN'));
  assert.ok(readers.length > 0);
  for (const { name: service } of readers) {
    const line = `${service}: compose.yaml: SERVICE_TOKEN is invalid`;
    assert.ok(
      found.some((e) => e.startsWith(line)),
      `${line}: ${found}`,
    );
  }
  assert.ok(
    found.includes(
      'main: compose.yaml: MAIN_URL is set but services/main/src/config.ts does not read it',
    ),
    String(found),
  );
});

test('Kubernetes gives each service exactly the settings it reads, each one its configuration accepts', async () => {
  const found = k8sConfigProblems(root, await schemas());
  assert.deepEqual(found.map(formatProblem), []);
  // What was checked: each service's Deployment, reading the shared platform-config.
  const objects = manifestFiles(path.join(root, 'deploy', 'k8s', 'base')).flatMap((f) => f.objects);
  for (const { name } of MANIFESTS) {
    assert.ok(
      objects.some((o) => o.kind === 'Deployment' && o.metadata?.name === name),
      name,
    );
  }
});

test('check:deploy names the service, file and setting a service.json gives that its config.ts does not read, or refuses', async (t) => {
  const dir = composeCopy(t, {
    'services/main/service.json': (s) =>
      replaceOnce(
        s,
        '"own": {\n',
        `"own": {
      "POSTS_PER_PAGE": {
        "description": "Posts on one page of a list.",
        "compose": "\${MAIN_POSTS_PER_PAGE:-20}",
        "kubernetes": "20"
      },
`,
      ),
    'services/auth/service.json': (s) =>
      replaceOnce(s, '"kubernetes": "7"', '"kubernetes": "seven"'),
    // A key of the shared ConfigMap that no service reads (a typo of PUBLIC_URL).
    'deploy/k8s/base/config.yaml': (s) =>
      replaceOnce(s, '  PUBLIC_URL:', '  PUBLIC_ULR: https://x.example\n  PUBLIC_URL:'),
  });
  writeGenerated(dir);
  // One that a service requires, taken out of its Deployment by hand.
  const main = path.join(dir, 'deploy/k8s/base/services/main.yaml');
  const authUrl =
    '            - name: AUTH_URL\n              valueFrom: { configMapKeyRef: { name: platform-config, key: AUTH_URL } }\n';
  writeFileSync(main, replaceOnce(readFileSync(main, 'utf8'), authUrl, ''));

  // The deploy files are the scratch copy's; the code (src/config.ts) is the repository's.
  const found = await checkServiceConfig(dir, root);
  const unread = 'is set but services/main/src/config.ts does not read it';
  // What is expected is the schema's to say.
  const lines = found.map((line) => line.replace(/ (is invalid|is not set): .*/, ' $1')).sort();
  assert.deepEqual(lines, [
    'auth: deploy/k8s/base/services/auth.yaml: OUTBOX_RETENTION_DAYS is invalid',
    'deploy/k8s/base/config.yaml: PUBLIC_ULR is set in ConfigMap platform-config but no service reads it',
    `main: compose.yaml: POSTS_PER_PAGE ${unread}`,
    'main: deploy/k8s/base/services/main.yaml: AUTH_URL is not set',
    `main: deploy/k8s/base/services/main.yaml: POSTS_PER_PAGE ${unread}`,
  ]);
  // The repository itself has none.
  assert.deepEqual(await checkServiceConfig(root), []);
});

test('a malformed value a Deployment takes from a shared ConfigMap is named in the ConfigMap file', async (t) => {
  const dir = composeCopy(t, {
    'deploy/k8s/base/config.yaml': (s) =>
      replaceOnce(s, '  AUTH_URL: http://auth:8080\n', '  AUTH_URL: auth:8080\n'),
  });
  const found = k8sConfigProblems(dir, await schemas()).map(formatProblem);
  const readers = MANIFESTS.filter((s) => s.settings.platform.includes('AUTH_URL'));
  assert.ok(readers.length > 0);
  assert.deepEqual(
    found.map((line) => line.replace(/ is invalid: .*/, ' is invalid')),
    readers.map((s) => `${s.name}: deploy/k8s/base/config.yaml: AUTH_URL is invalid`),
  );
});

test('compose and Kubernetes run each service with the Node.js flags npm start gives it', () => {
  const LAUNCHED = MANIFESTS;
  const expected = Object.fromEntries(
    LAUNCHED.map((s) => [s.name, s.node_options.join(' ')] as const),
  );
  const { compose } = loadCompose({ root });
  const fromCompose = Object.fromEntries(
    LAUNCHED.map((s) => {
      const env = compose!.services![s.name]!.environment as Record<string, unknown>;
      return [s.name, String(env.NODE_OPTIONS ?? '')] as const;
    }),
  );
  assert.deepEqual(fromCompose, expected);
  const objects = manifestFiles(path.join(root, 'deploy', 'k8s', 'base')).flatMap((f) => f.objects);
  const fromK8s = Object.fromEntries(
    LAUNCHED.map((s) => {
      const deployment = objects.find(
        (o) => o.kind === 'Deployment' && o.metadata?.name === s.name,
      );
      const env: { name: string; value?: string }[] =
        deployment!.spec.template.spec.containers[0].env ?? [];
      return [s.name, env.find((e) => e.name === 'NODE_OPTIONS')?.value ?? ''] as const;
    }),
  );
  assert.deepEqual(fromK8s, expected);
});

test('every service setting in days holds at most 36500 (100 years), refused at start in one line', async () => {
  // AUDIT_RETENTION_DAYS=10000000000 was taken, and every prune failed (PostgreSQL's interval
  // days are 32-bit; now less RETENTION_DAYS as a Date was invalid), never refused at start.
  const found: string[] = [];
  for (const [service, schema] of Object.entries(await schemas())) {
    for (const [key, property] of Object.entries(schema.properties)) {
      if (!key.endsWith('_DAYS')) continue;
      found.push(`${service} ${key}`);
      const alone = Type.Object({ [key]: property });
      assert.equal(loadConfig(alone, { [key]: '36500' })[key], 36500, `${service} ${key}`);
      assert.throws(
        () => loadConfig(alone, { [key]: '36501' }),
        (error: Error) =>
          error instanceof ConfigError &&
          new RegExp(
            `^${key} is invalid: expected a number of days, [01] to 36500 \\(100 years`,
          ).test(error.message),
        `${service} ${key}`,
      );
    }
  }
  for (const expected of [
    'auth AUDIT_RETENTION_DAYS',
    'auth OUTBOX_RETENTION_DAYS',
    'main OUTBOX_RETENTION_DAYS',
    'analytics RETENTION_DAYS',
    'analytics DEDUP_DAYS',
  ]) {
    assert.ok(found.includes(expected), `${expected} among ${found}`);
  }
});

// A manifest's `secret` puts a setting in its service's Secret rather than its ConfigMap
// (Kubernetes) and gives it a placeholder in .env.example. Analytics' DESTINATIONS (webhook URLs
// that may carry a token, each with its signing secret) was not marked, unlike auth's
// OIDC_PROVIDERS: given a Kubernetes value, it would have gone into a ConfigMap.
test('an own setting whose config.ts says it holds a secret, password or token is secret in its manifest', async () => {
  const all = await schemas();
  const unmarked = MANIFESTS.flatMap((s) =>
    Object.entries(s.settings.own)
      .filter(([name, setting]) => {
        const { description = '' } = all[s.name]!.properties[name] as { description?: string };
        return !setting.secret && /\b(secret|password|token)s?\b/i.test(description);
      })
      .map(([name]) => `${s.name}: ${name}`),
  );
  assert.deepEqual(unmarked, []);
});

test("check:deploy runs init.sh with init-secrets' mounts: a service's secrets volume not mounted fails it", async (t) => {
  const dir = composeCopy(t, {
    'compose.yaml': (s) => replaceOnce(s, '      - secrets-main:/run/secrets-services/main\n', ''),
  });
  const found = (await composeConfigProblems(dir, await schemas())).map(formatProblem);
  // First (the files it did not write then fail the services that read them). The volume's place
  // is in a scratch folder, as init-secrets sees it under /run.
  assert.match(
    found[0]!,
    /^compose\.yaml: deploy\/secrets\/init\.sh failed: init\.sh: \S+\/run\/secrets-services\/main is not there: mount the volume secrets-main on it in compose\.yaml's init-secrets \(npm run generate writes it\)$/,
  );
});
