import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { loadConfig } from '@platform/config';
import { loadManifests } from '@platform/manifest';
import { loadCompose } from '../src/compose.ts';
import { manifestFiles } from '../src/k8s.ts';
import { composeCopy, replaceOnce, root } from './helper.ts';

/**
 * The environments compose.yaml and deploy/k8s give each service, read by that service's own
 * configuration schema (src/config.ts): every required setting is there and well-formed, and
 * nothing is set that the service does not read (a misspelt name would be silently ignored).
 */
type TObject = Parameters<typeof loadConfig>[0];

const MANIFESTS = loadManifests(root);
const SERVICES = MANIFESTS.map((s) => s.name);
const everyService = <T>(value: T) => Object.fromEntries(SERVICES.map((s) => [s, value]));
// Read outside the schema: packages/db names its connections after it; Node.js reads its flags;
// OpenTelemetry (packages/telemetry) reads its standard OTEL_* variables.
const ALSO_READ = new Set(['SERVICE_NAME', 'NODE_OPTIONS']);
const alsoRead = (key: string) => ALSO_READ.has(key) || key.startsWith('OTEL_');

async function schemaOf(service: string): Promise<TObject> {
  const module = await import(path.join(root, 'services', service, 'src', 'config.ts'));
  return module.ConfigSchema as TObject;
}

function problems(schema: TObject, env: Record<string, string>, known: Set<string>): string[] {
  const errors: string[] = [];
  try {
    loadConfig(schema, env);
  } catch (error) {
    errors.push((error as Error).message);
  }
  for (const key of Object.keys(env)) {
    // X_FILE is X, read from a file (packages/config).
    const setting = key.replace(/_FILE$/, '');
    if (!(setting in schema.properties) && !alsoRead(key) && !known.has(key)) {
      errors.push(`${key} is set but not read: add it to the service's src/config.ts`);
    }
  }
  return errors;
}

const strings = (env: unknown) =>
  Object.fromEntries(
    Object.entries((env ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v ?? '')]),
  );

/**
 * Each service's problems with the environment compose gives it, its secret files (`X_FILE:
 * /run/secrets/…`) made by deploy/secrets/init.sh in a scratch folder from what compose gives
 * init-secrets, as on a first `docker compose up`.
 */
async function composeProblems(t: TestContext, dir: string): Promise<Record<string, string[]>> {
  const { compose, errors } = loadCompose({ root: dir });
  assert.deepEqual(errors, []);
  const secrets = mkdtempSync(path.join(tmpdir(), 'service-config-secrets-'));
  t.after(() => rmSync(secrets, { recursive: true, force: true }));
  execFileSync('sh', [path.join(dir, 'deploy/secrets/init.sh')], {
    env: {
      ...strings(compose!.services!['init-secrets']!.environment),
      PATH: process.env.PATH,
      SECRETS_DIR: secrets,
    },
  });
  const found: Record<string, string[]> = {};
  for (const [name, service] of Object.entries(compose!.services!)) {
    const build = service.build;
    const target = typeof build === 'object' ? build.args?.SERVICE : undefined;
    if (!target) continue;
    const env = Object.fromEntries(
      Object.entries(strings(service.environment)).map(([k, v]) => [
        k,
        v.replace(/^\/run\/secrets\//, `${secrets}/`),
      ]),
    );
    found[name] = problems(await schemaOf(target), env, new Set());
  }
  return found;
}

test('compose gives each service an environment its configuration accepts, nothing unread', async (t) => {
  const found = await composeProblems(t, root);
  assert.deepEqual(found, everyService([]));
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
  const found = await composeProblems(t, dir);
  // Only the services whose manifests say they read it are given it.
  const readers = MANIFESTS.filter((s) => s.settings.platform.includes('SERVICE_TOKEN'));
  assert.ok(readers.length > 0);
  for (const { name: service } of readers) {
    assert.ok(
      found[service]!.some((e) => e.startsWith('SERVICE_TOKEN is invalid')),
      `${service}: ${found[service]}`,
    );
  }
  assert.ok(found.main!.some((line) => line.startsWith('MAIN_URL is set but not read')));
});

test('Kubernetes gives each service exactly the settings it reads, each one its configuration accepts', async () => {
  const objects = manifestFiles(path.join(root, 'deploy', 'k8s', 'base')).flatMap((f) => f.objects);
  const data = (kind: string, name: string): Record<string, string> => {
    const object = objects.find((o) => o.kind === kind && o.metadata?.name === name) as
      | { data?: Record<string, string>; stringData?: Record<string, string> }
      | undefined;
    assert.ok(object, `${kind}/${name}`);
    return { ...object.data, ...object.stringData };
  };
  // A platform-config key that no service reads is a typo.
  const shared = data('ConfigMap', 'platform-config');
  const schemas = Object.fromEntries(
    await Promise.all(SERVICES.map(async (s) => [s, await schemaOf(s)] as const)),
  );
  const readBySome = new Set(SERVICES.flatMap((s) => Object.keys(schemas[s]!.properties)));
  const unread = Object.keys(shared).filter((k) => !readBySome.has(k));
  assert.deepEqual(unread, [], 'platform-config keys no service reads');

  const found: Record<string, string[]> = {};
  for (const service of SERVICES) {
    const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata?.name === service);
    const container = deployment!.spec.template.spec.containers[0];
    const env: Record<string, string> = {};
    for (const from of container.envFrom ?? []) {
      if (from.configMapRef) Object.assign(env, data('ConfigMap', from.configMapRef.name));
      if (from.secretRef) Object.assign(env, data('Secret', from.secretRef.name));
    }
    for (const e of container.env ?? []) {
      const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
      const kind = e.valueFrom?.configMapKeyRef ? 'ConfigMap' : 'Secret';
      env[e.name] = ref ? data(kind, ref.name)[ref.key]! : e.value;
    }
    found[service] = problems(schemas[service]!, env, new Set());
  }
  assert.deepEqual(found, everyService([]));
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
