import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '@platform/config';
import { loadManifests } from '@platform/manifest';
import { loadCompose } from './compose.ts';
import { type K8sObject, manifestFiles } from './k8s.ts';

/**
 * The environments compose.yaml and deploy/k8s give each service, read by that service's own
 * configuration schema (services/<name>/src/config.ts): every required setting is there and
 * well-formed, and nothing is set that the service does not read (a misspelt name, or a setting
 * added to service.json and never read, would be silently ignored).
 */
export type ConfigSchema = Parameters<typeof loadConfig>[0];

/** One problem: the service (none for a shared ConfigMap), the file that sets it, and what. */
export interface ConfigProblem {
  service?: string;
  file: string;
  message: string;
}

export const formatProblem = (p: ConfigProblem) =>
  `${p.service ? `${p.service}: ` : ''}${p.file}: ${p.message}`;

// Read outside the schema: packages/db names its connections after it; Node.js reads its flags;
// OpenTelemetry (packages/telemetry) reads its standard OTEL_* variables.
const ALSO_READ = new Set(['SERVICE_NAME', 'NODE_OPTIONS']);
const alsoRead = (key: string) => ALSO_READ.has(key) || key.startsWith('OTEL_');

const execFileAsync = promisify(execFile);
const configFile = (service: string) => `services/${service}/src/config.ts`;

/**
 * Each service's `ConfigSchema`, imported from its src/config.ts (under tsx, as the CLI runs);
 * a service whose file is missing or exports none is a problem instead.
 */
export async function loadSchemas(
  root: string,
): Promise<{ schemas: Record<string, ConfigSchema>; problems: ConfigProblem[] }> {
  const names = loadManifests(root).map((s) => s.name);
  const read = await Promise.all(
    names.map(async (name): Promise<ConfigSchema | string> => {
      try {
        const module = await import(pathToFileURL(path.join(root, configFile(name))).href);
        return module.ConfigSchema?.properties ? module.ConfigSchema : 'exports no ConfigSchema';
      } catch (error) {
        return `cannot be imported: ${(error as Error).message.split('\n')[0]}`;
      }
    }),
  );
  const schemas: Record<string, ConfigSchema> = {};
  const problems: ConfigProblem[] = [];
  names.forEach((name, i) => {
    const schema = read[i]!;
    if (typeof schema === 'string') {
      problems.push({ service: name, file: configFile(name), message: schema });
    } else {
      schemas[name] = schema;
    }
  });
  return { schemas, problems };
}

/**
 * What the service would say of this environment: the first setting its schema refuses (missing
 * or malformed, as `loadConfig` reports it at boot: a message that starts with the setting's
 * name), and every key it does not read.
 */
export function configProblems(
  schema: ConfigSchema,
  env: Record<string, string>,
): { refused?: { setting: string; message: string }; unread: string[] } {
  let refused: { setting: string; message: string } | undefined;
  try {
    loadConfig(schema, env);
  } catch (error) {
    const { message } = error as Error;
    refused = { setting: message.split(' ')[0]!, message };
  }
  // X_FILE is X, read from a file (packages/config).
  const unread = Object.keys(env).filter(
    (key) => !(key.replace(/_FILE$/, '') in schema.properties) && !alsoRead(key),
  );
  return { refused, unread };
}

const unreadBy = (key: string, service: string) =>
  `${key} is set but ${configFile(service)} does not read it`;

const strings = (env: unknown) =>
  Object.fromEntries(
    Object.entries((env ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v ?? '')]),
  );

/**
 * Each service's problems with the environment compose.yaml gives it (with the documented
 * .env.example). Its secret files (`X_FILE: /run/secrets/…`) are made by deploy/secrets/init.sh
 * in a scratch folder from what compose gives init-secrets, as on a first `docker compose up`;
 * init.sh starts before `schemas` is awaited and runs while the caller goes on (it forks a few
 * dozen processes). A compose.yaml that does not load is left to checkCompose, which says why.
 */
export async function composeConfigProblems(
  root: string,
  schemas: Record<string, ConfigSchema> | Promise<Record<string, ConfigSchema>>,
): Promise<ConfigProblem[]> {
  const file = 'compose.yaml';
  const { compose } = loadCompose({ root });
  const problems: ConfigProblem[] = [];
  // init-secrets' file system in a scratch folder: the volumes it mounts (the secrets volume,
  // Redis's, each service's own) as folders at their places under it, and every place its
  // environment names (SERVICES_SECRETS_DIR…) moved there too, so a volume compose.yaml does not
  // mount is missing here as in a container, and init.sh says so.
  const scratch = mkdtempSync(path.join(tmpdir(), 'deploy-check-secrets-'));
  const secrets = path.join(scratch, 'run', 'secrets');
  mkdirSync(secrets, { recursive: true });
  const initSecrets = compose?.services?.['init-secrets'];
  for (const volume of (initSecrets?.volumes ?? []).map(String)) {
    const [source, target] = volume.split(':');
    // A named volume; a bind mount (./deploy/secrets/init.sh) is a file of the repository.
    if (target && source && /^[a-z0-9]/i.test(source)) {
      mkdirSync(path.join(scratch, target), { recursive: true });
    }
  }
  const initEnv = Object.fromEntries(
    Object.entries(strings(initSecrets?.environment)).map(([k, v]) => [
      k,
      k.endsWith('_DIR') && v.startsWith('/') ? path.join(scratch, v) : v,
    ]),
  );
  try {
    const init = path.join(root, 'deploy/secrets/init.sh');
    const made = existsSync(init)
      ? execFileAsync('sh', [init], {
          env: { ...initEnv, PATH: process.env.PATH, SECRETS_DIR: secrets },
        }).then(
          () => undefined,
          (error: Error & { stderr?: string }) => {
            const why = error.stderr?.trim() || error.message;
            problems.push({ file, message: `deploy/secrets/init.sh failed: ${why}` });
          },
        )
      : undefined;
    const [read] = await Promise.all([schemas, made]);
    for (const [name, service] of Object.entries(compose?.services ?? {})) {
      const build = service.build;
      const target = typeof build === 'object' ? build.args?.SERVICE : undefined;
      // Not one of ours, or one whose schema loadSchemas could not read (and said why).
      if (!target || !read[target]) continue;
      const env = Object.fromEntries(
        Object.entries(strings(service.environment)).map(([k, v]) => [
          k,
          v.replace(/^\/run\/secrets\//, `${secrets}/`),
        ]),
      );
      const { refused, unread } = configProblems(read[target], env);
      if (refused) problems.push({ service: name, file, message: refused.message });
      for (const key of unread)
        problems.push({ service: name, file, message: unreadBy(key, target) });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return problems;
}

type Located = { object: K8sObject & Record<string, unknown>; file: string };

/**
 * Each service's problems with the environment its Deployment in deploy/k8s/base gives it
 * (`envFrom` ConfigMaps and Secrets, then `env`), each named by the file that sets the setting
 * (the Deployment's, for one that is missing); and any key of the shared platform-config
 * ConfigMap that no service reads. A missing Deployment is left to check:generated.
 */
export function k8sConfigProblems(
  root: string,
  schemas: Record<string, ConfigSchema>,
): ConfigProblem[] {
  const base = path.join(root, 'deploy', 'k8s', 'base');
  const objects: Located[] = manifestFiles(base).flatMap(({ file, objects }) =>
    objects.map((object) => ({
      object: object as Located['object'],
      file: path.posix.join('deploy/k8s/base', file.split(path.sep).join('/')),
    })),
  );
  const find = (kind: string, name: string) =>
    objects.find((o) => o.object.kind === kind && o.object.metadata?.name === name);
  const data = (found: Located) => {
    const { data, stringData } = found.object as {
      data?: Record<string, string>;
      stringData?: Record<string, string>;
    };
    return { ...data, ...stringData };
  };
  const problems: ConfigProblem[] = [];

  const shared = find('ConfigMap', 'platform-config');
  if (shared) {
    const readBySome = new Set(Object.values(schemas).flatMap((s) => Object.keys(s.properties)));
    for (const key of Object.keys(data(shared))) {
      if (readBySome.has(key)) continue;
      const message = `${key} is set in ConfigMap platform-config but no service reads it`;
      problems.push({ file: shared.file, message });
    }
  }

  for (const [service, schema] of Object.entries(schemas)) {
    const deployment = find('Deployment', service);
    if (!deployment) continue;
    const own = (message: string) => problems.push({ service, file: deployment.file, message });
    const spec = deployment.object.spec as DeploymentSpec | undefined;
    const container = spec?.template?.spec?.containers?.[0];
    const env: Record<string, string> = {};
    // The file that names each key, and the one that holds its value (another for a reference).
    const setIn: Record<string, string> = {};
    const valueIn: Record<string, string> = {};
    for (const source of container?.envFrom ?? []) {
      const ref = source.configMapRef ?? source.secretRef;
      const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
      if (!ref) continue;
      const found = find(kind, ref.name);
      if (!found) {
        own(`envFrom: ${kind} ${ref.name} is not in deploy/k8s/base`);
        continue;
      }
      for (const [key, value] of Object.entries(data(found))) {
        env[key] = value;
        setIn[key] = found.file;
        valueIn[key] = found.file;
      }
    }
    for (const e of container?.env ?? []) {
      const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
      setIn[e.name] = deployment.file;
      valueIn[e.name] = deployment.file;
      if (!ref) {
        env[e.name] = String(e.value ?? '');
        continue;
      }
      const kind = e.valueFrom?.configMapKeyRef ? 'ConfigMap' : 'Secret';
      const source = find(kind, ref.name);
      const value = source ? data(source)[ref.key] : undefined;
      if (!source || value === undefined) {
        own(`${e.name}: ${kind} ${ref.name} has no key ${ref.key} in deploy/k8s/base`);
      } else {
        env[e.name] = value;
        valueIn[e.name] = source.file;
      }
    }
    const { refused, unread } = configProblems(schema, env);
    if (refused) {
      // A missing setting is the Deployment's to add.
      const { setting, message } = refused;
      const file = valueIn[setting] ?? valueIn[`${setting}_FILE`] ?? deployment.file;
      problems.push({ service, file, message });
    }
    for (const key of unread) {
      problems.push({ service, file: setIn[key]!, message: unreadBy(key, service) });
    }
  }
  return problems;
}

type KeyRef = { name: string; key: string };

/** The parts of a Deployment's spec this check reads: its first container's environment. */
type DeploymentSpec = {
  template?: {
    spec?: {
      containers?: {
        envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
        env?: {
          name: string;
          value?: string;
          valueFrom?: { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef };
        }[];
      }[];
    };
  };
};

/**
 * Both environments of every service, against the schemas of services/<name>/src/config.ts
 * under `code` (the repository itself; a scratch copy of the deploy files has no code).
 */
export async function checkServiceConfig(root: string, code = root): Promise<string[]> {
  const loaded = loadSchemas(code);
  const compose = await composeConfigProblems(
    root,
    loaded.then((l) => l.schemas),
  );
  const { schemas, problems } = await loaded;
  return [...problems, ...compose, ...k8sConfigProblems(root, schemas)].map(formatProblem);
}
