import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Value from 'typebox/value';
import { serviceOfUrlSetting, urlSetting } from './derive.ts';
import { IMPLICIT_SETTINGS, isPlatformSetting } from './platform.ts';
import { schemaProblems } from './problems.ts';
import {
  type EdgeRoute,
  type Manifest,
  ManifestSchema,
  type OwnSetting,
  type Permission,
} from './schema.ts';

/** A manifest with its defaults filled in. */
export interface Service extends Manifest {
  database: boolean;
  start_first: boolean;
  settings: { platform: string[]; own: Record<string, OwnSetting> };
  permissions: Permission[];
  edge: EdgeRoute[];
  subscribes: string[];
  node_options: string[];
  compose: NonNullable<Manifest['compose']>;
  kubernetes: NonNullable<Manifest['kubernetes']>;
  /** `services/<name>/service.json`, relative to the repository root. */
  file: string;
}

/** One or more manifests are malformed or contradict each other; every problem is one line. */
export class ManifestError extends Error {
  override name = 'ManifestError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/**
 * The gateway's own paths (health, metrics, docs), and /internal: the gateway forwards a path as
 * it is, so a service routed there would open every service's `/internal/*` to the public. No
 * service may be routed there.
 */
export const RESERVED_PREFIXES = ['/health', '/metrics', '/docs', '/internal'];

export const manifestPath = (name: string) => `services/${name}/service.json`;

/**
 * Every `services/<name>/service.json` under `root`, validated against the schema and against
 * each other, in port-offset order (the entry point first). A folder in services/ without one is
 * an error: a service the platform does not know about would silently not run anywhere.
 */
export function loadManifests(root: string): Service[] {
  const problems: string[] = [];
  const services: Service[] = [];
  const folders = readdirSync(path.join(root, 'services'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  for (const folder of folders) {
    const file = manifestPath(folder);
    if (!existsSync(path.join(root, file))) {
      problems.push(`services/${folder}: no service.json (every service declares itself there)`);
      continue;
    }
    const service = parseManifest(readFileSync(path.join(root, file), 'utf8'), file, problems);
    if (service && service.name !== folder) {
      problems.push(`${file}: name is ${service.name}, expected its folder name ${folder}`);
    } else if (service) services.push(service);
  }
  problems.push(...crossProblems(services));
  if (problems.length) throw new ManifestError(problems);
  return services.sort((a, b) => a.port_offset - b.port_offset);
}

/**
 * One service's own manifest, read by the service at start (`service.json` next to its src/, in
 * the repository as in the image); throws a ManifestError when it is malformed.
 */
export function readManifest(file: string): Service {
  const problems: string[] = [];
  const service = parseManifest(readFileSync(file, 'utf8'), file, problems);
  if (!service) throw new ManifestError(problems);
  return service;
}

/** One manifest's text, checked against the schema; problems are appended, named by `file`. */
export function parseManifest(text: string, file: string, problems: string[]): Service | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    problems.push(`${file}: not JSON: ${(error as Error).message}`);
    return undefined;
  }
  const found = schemaProblems(ManifestSchema, raw);
  if (found.length) {
    for (const problem of found) problems.push(`${file}: ${problem}`);
    return undefined;
  }
  const m = Value.Default(ManifestSchema, Value.Clone(raw)) as Manifest;
  return {
    ...m,
    database: m.database ?? false,
    start_first: m.start_first ?? false,
    settings: { platform: m.settings.platform, own: m.settings.own ?? {} },
    permissions: m.permissions ?? [],
    edge: m.edge ?? [],
    subscribes: m.subscribes ?? [],
    node_options: m.node_options ?? [],
    compose: m.compose ?? {},
    kubernetes: m.kubernetes ?? {},
    file,
  };
}

/** What no single manifest shows: clashes between them and references to what does not exist. */
function crossProblems(services: Service[]): string[] {
  const problems: string[] = [];
  const clash = (key: (s: Service) => unknown, what: string) => {
    const seen = new Map<unknown, string>();
    for (const s of services) {
      const value = key(s);
      if (value === undefined) continue;
      const other = seen.get(value);
      if (other) problems.push(`${s.file}: ${what} ${String(value)} is also ${other}'s`);
      seen.set(value, s.name);
    }
  };
  clash((s) => s.port_offset, 'port_offset');
  clash((s) => s.prefix, 'prefix');
  const entries = services.filter((s) => s.port_offset === 0);
  if (services.length && entries.length !== 1) {
    problems.push(
      'services/*/service.json: exactly one service needs port_offset 0 (the entry point)',
    );
  }
  const permissionOwner = new Map<string, string>();
  for (const s of services) {
    if (s.port_offset === 0 && s.prefix) {
      problems.push(`${s.file}: the entry point (port_offset 0) is not routed: drop its prefix`);
    }
    if (s.edge.length && !s.prefix) problems.push(`${s.file}: edge routes need a prefix`);
    for (const e of s.edge) {
      if (e.cache && e.method !== 'GET') {
        problems.push(
          `${s.file}: edge ${e.method} ${e.path} asks for cache; only GET answers are kept`,
        );
      }
    }
    const reserved = RESERVED_PREFIXES.find((p) => s.prefix === p || s.prefix?.startsWith(`${p}/`));
    if (reserved) problems.push(`${s.file}: prefix ${s.prefix} is the gateway's own ${reserved}`);
    for (const name of s.settings.platform) {
      if (isPlatformSetting(name)) continue;
      const target = serviceOfUrlSetting(services, name);
      if (!target) {
        problems.push(
          `${s.file}: settings.platform ${name} is neither a platform setting nor <SERVICE>_URL of a service`,
        );
      } else if (target === s) problems.push(`${s.file}: settings.platform ${name} is its own URL`);
    }
    for (const name of Object.keys(s.settings.own)) {
      const why = (IMPLICIT_SETTINGS as readonly string[]).includes(name)
        ? 'every service is given it'
        : isPlatformSetting(name)
          ? 'it is a platform setting: list it in settings.platform'
          : services.some((t) => urlSetting(t.name) === name)
            ? 'it is a service URL: list it in settings.platform'
            : undefined;
      if (why) problems.push(`${s.file}: settings.own ${name}: ${why}`);
    }
    const { replicas, autoscale } = s.kubernetes;
    if (replicas !== undefined && autoscale) {
      problems.push(`${s.file}: kubernetes has both replicas and autoscale; keep one`);
    }
    if (autoscale && autoscale.min > autoscale.max) {
      problems.push(`${s.file}: kubernetes.autoscale.min is above max`);
    }
    for (const { name } of s.permissions) {
      const owner = permissionOwner.get(name);
      if (owner) problems.push(`${s.file}: permission ${name} is also defined by ${owner}`);
      permissionOwner.set(name, s.name);
    }
  }
  return problems;
}
