import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  databasePasswordVariable,
  envStem,
  type OwnSetting,
  type Service,
} from '@platform/manifest';
import { parse } from 'yaml';
import type { Generated, Part } from './output.ts';
import { fillRegion, outsideRegions } from './regions.ts';

const FILE = 'deploy/secrets/init.sh';

/** Where compose.yaml mounts the secrets volume in every container that reads a secret. */
export const SECRETS_DIR = '/run/secrets';
/** The Compose service that runs deploy/secrets/init.sh, and exits, before the others start. */
export const SECRETS_INIT = 'init-secrets';

/**
 * Where init-secrets mounts each service's own volume (`secrets-<name>`, mounted at SECRETS_DIR
 * in that service alone): init.sh copies into it the files the service reads, and only those. Our
 * services all run as one uid, so a shared volume would let any of them (the gateway, facing the
 * internet) read every other's database password and auth's KEY_ENCRYPTION_KEY.
 */
export const SERVICES_SECRETS_DIR = '/run/secrets-services';
/** A service's own secrets volume. */
export const serviceSecretsVolume = (name: string) => `secrets-${name}`;

/** The file init.sh writes a service's whole DATABASE_URL to (it holds the role's password). */
export const databaseUrlFile = (name: string) => `${envStem(name)}_DATABASE_URL`;

/**
 * The variable an own setting is a secret file of: a secret whose Compose value is one variable
 * that must be set (`${INFLUX_ANALYTICS_PASSWORD:?…}`), which init.sh generates when not given.
 * An optional one (`${ADMIN_PASSWORD:-}`) stays a plain variable: nothing to generate.
 */
export function secretFileVariable(setting: OwnSetting): string | undefined {
  if (!setting.secret || setting.compose === undefined) return undefined;
  return /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?\?[^}]*)?\}$/.exec(setting.compose)?.[1];
}

/** What init.sh's author wrote outside the generated region: its `secret` and `url` lines. */
export interface SecretsInit {
  secrets: Set<string>;
  /** Each URL file and its template, whose hosts a service reading it depends on. */
  urls: Map<string, string>;
}

export function readSecretsInit(root: string): SecretsInit {
  const text = outsideRegions(readFileSync(path.join(root, FILE), 'utf8'));
  return {
    secrets: new Set([...text.matchAll(/^secret ([A-Z][A-Z0-9_]*) /gm)].map((m) => m[1]!)),
    urls: new Map(
      [...text.matchAll(/^url ([A-Z][A-Z0-9_]*) \S+ "(.*)"$/gm)].map((m) => [m[1]!, m[2]!]),
    ),
  };
}

/**
 * compose.yaml's `x-platform` secrets: each platform setting handed over as a file, by the name
 * of its file in the secrets volume (`SERVICE_TOKEN_FILE: /run/secrets/SERVICE_TOKEN`).
 */
export function readPlatformFiles(root: string): Map<string, string> {
  const doc = parse(outsideRegions(readFileSync(path.join(root, 'compose.yaml'), 'utf8'))) as {
    'x-platform'?: Record<string, unknown>;
  } | null;
  return platformFiles(Object.entries(doc?.['x-platform'] ?? {}).map(([k, v]) => [k, String(v)]));
}

/** `x-platform`'s `<NAME>_FILE: /run/secrets/<file>` entries, as NAME → file. */
export function platformFiles(entries: Iterable<readonly [string, string]>): Map<string, string> {
  const files = new Map<string, string>();
  for (const [key, value] of entries) {
    if (key.endsWith('_FILE')) files.set(key.slice(0, -'_FILE'.length), path.posix.basename(value));
  }
  return files;
}

/** The files of the secrets volume a service reads: what init.sh copies into its own volume. */
export function secretFilesOf(service: Service, platform: Map<string, string>): string[] {
  const files: string[] = [];
  if (service.database) files.push(databaseUrlFile(service.name));
  for (const name of service.settings.platform) {
    const file = platform.get(name);
    if (file) files.push(file);
  }
  for (const setting of Object.values(service.settings.own)) {
    const variable = secretFileVariable(setting);
    if (variable) files.push(variable);
  }
  return [...new Set(files)];
}

/** The secrets `npm run generate` adds for one service, as init.sh lines. */
export interface ServiceSecrets {
  service: Service;
  /** The variables init.sh takes a given value from (compose.yaml passes each to init-secrets). */
  variables: string[];
  /** The files it reads (secretFilesOf), copied into its own volume by the last line. */
  files: string[];
  lines: string[];
}

/**
 * Per service: its database's password and the DATABASE_URL made from it, and the variable of
 * each own secret file (secretFileVariable) that neither the hand-written lines nor an earlier
 * service make.
 */
export function generatedSecrets(
  root: string,
  services: readonly Service[],
  written: SecretsInit = readSecretsInit(root),
  platform: Map<string, string> = readPlatformFiles(root),
): ServiceSecrets[] {
  const made = new Set(written.secrets);
  return services.map((s) => {
    const variables: string[] = [];
    const lines: string[] = [];
    if (s.database) {
      const password = databasePasswordVariable(s.name);
      variables.push(password);
      lines.push(`secret ${password} "$postgres"`);
      lines.push(
        `url ${databaseUrlFile(s.name)} "$node" "postgres://${s.name}:$(value ${password})@postgres:5432/${s.name}"`,
      );
    }
    for (const setting of Object.values(s.settings.own)) {
      const variable = secretFileVariable(setting);
      if (!variable || made.has(variable)) continue;
      made.add(variable);
      variables.push(variable);
      lines.push(`secret ${variable} "$node"`);
    }
    const files = secretFilesOf(s, platform);
    if (files.length) lines.push(`give ${s.name} ${files.join(' ')}`);
    return { service: s, variables, files, lines };
  });
}

/** deploy/secrets/init.sh: what each service adds (generatedSecrets), in its region. */
export function generateSecretsInit(root: string, services: readonly Service[]): Generated {
  const parts: Part[] = [];
  const content = fillRegion(readFileSync(path.join(root, FILE), 'utf8'), FILE, 'secrets', () =>
    generatedSecrets(root, services)
      .filter((g) => g.lines.length)
      .map(({ service, lines }) => {
        const text = lines.map((line) => `${line}\n`).join('');
        parts.push({ service: service.name, what: 'its secrets', text });
        return text;
      })
      .join(''),
  );
  return { file: FILE, content, parts };
}
