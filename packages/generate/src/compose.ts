import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  databasePasswordVariable,
  edgeRoutesSetting,
  eventSubscribersSetting,
  isPlatformSetting,
  routesSetting,
  type Service,
  serviceOfUrlSetting,
  urlSetting,
} from '@platform/manifest';
import { isMap, isScalar, parse, parseDocument } from 'yaml';
import { comment, edgeParts, type Generated, GenerateError, type Part, scalar } from './output.ts';
import { fillRegion, outsideRegions } from './regions.ts';
import {
  databaseUrlFile,
  generatedSecrets,
  platformFiles,
  readSecretsInit,
  SECRETS_DIR,
  SECRETS_INIT,
  SERVICES_SECRETS_DIR,
  secretFileVariable,
  serviceSecretsVolume,
} from './secrets.ts';

const FILE = 'compose.yaml';
/** Where every service listens inside its container (the Dockerfile's PORT). */
const PORT = 8080;
const address = (name: string) => `http://${name}:${PORT}`;

type ComposeService = { healthcheck?: { test?: unknown } };

/** What compose.yaml's author wrote that the generated blocks use. */
interface HandWritten {
  /**
   * `x-platform`: each platform setting's value, anchored under its own name, or for a secret
   * its file, under `<name>_FILE`.
   */
  platform: Map<string, string>;
  /** The services that are not ours (postgres, redis, …), and whether each has a healthcheck. */
  infrastructure: Map<string, boolean>;
}

function readHandWritten(text: string, problems: string[]): HandWritten {
  const outside = outsideRegions(text);
  const doc = parseDocument(outside);
  const platform = new Map<string, string>();
  const node = doc.get('x-platform', true);
  if (!isMap(node)) problems.push(`${FILE}: no x-platform mapping (the platform settings' values)`);
  for (const item of isMap(node) ? node.items : []) {
    const key = String(isScalar(item.key) ? item.key.value : item.key);
    if (!isScalar(item.value) || item.value.anchor !== key) {
      problems.push(`${FILE}: x-platform.${key} needs the anchor &${key}`);
      continue;
    }
    platform.set(key, String(item.value.value));
  }
  const services = (parse(outside, { merge: true })?.services ?? {}) as Record<
    string,
    ComposeService
  >;
  const infrastructure = new Map(
    Object.entries(services).map(([name, s]) => [name, !!s?.healthcheck?.test] as const),
  );
  return { platform, infrastructure };
}

/** The hosts named in URLs inside a value: `redis://:pw@redis:6379` → redis. */
const hostsIn = (value: string) =>
  [...value.matchAll(/:\/\/(?:[^@/]*@)?([a-z0-9][a-z0-9-]*)(?=[:/]|$)/g)].map((m) => m[1]!);

/**
 * compose.yaml: one block per service in the `services` region, each database's password file in
 * the postgres service's `database-passwords` region, and the variables init-secrets takes a
 * given value of (generatedSecrets) in its `secrets` region. Platform settings refer to the
 * `x-platform` anchors; a secret is a file in the secrets volume, read through `<name>_FILE`.
 * `depends_on` follows from the values (a URL naming postgres, redis, mailpit…; for a file, the URL
 * deploy/secrets/init.sh writes into it), the services started first, and, for the service
 * reading ROUTES, every routed one.
 */
export function generateCompose(root: string, services: readonly Service[]): Generated {
  const text = readFileSync(path.join(root, FILE), 'utf8');
  const problems: string[] = [];
  const written = readHandWritten(text, problems);
  const init = readSecretsInit(root);
  if (!written.infrastructure.has(SECRETS_INIT)) {
    problems.push(`${FILE}: no ${SECRETS_INIT} service (it runs deploy/secrets/init.sh)`);
  }
  const parts: Part[] = [];
  /** A file in the secrets volume, and the URL init.sh writes into it if it is one. */
  const secretFile = (file: string) => ({
    path: `${SECRETS_DIR}/${file}`,
    value: init.urls.get(file) ?? '',
  });

  const block = (s: Service) => {
    const env: string[] = [`SERVICE_NAME: ${s.name}`];
    const values: string[] = [];
    let readsSecrets = false;
    if (s.node_options.length) env.push(`NODE_OPTIONS: ${scalar(s.node_options.join(' '))}`);
    if (s.metrics_port) {
      env.push('# Its own /metrics, for a scraper inside these networks: published nowhere.');
      env.push(`METRICS_PORT: ${s.metrics_port}`);
    }
    if (s.database) {
      env.push(`DATABASE_URL_FILE: ${secretFile(databaseUrlFile(s.name)).path}`);
      values.push('postgres://postgres');
      readsSecrets = true;
    }
    for (const name of s.settings.platform) {
      if (name === 'ROUTES') {
        env.push(`ROUTES: ${scalar(routesSetting(services, (t) => address(t.name)))}`);
      } else if (name === 'EDGE_ROUTES') {
        env.push(`EDGE_ROUTES: ${scalar(edgeRoutesSetting(services))}`);
      } else if (name === 'EVENT_SUBSCRIBERS') {
        env.push(
          `EVENT_SUBSCRIBERS: ${scalar(eventSubscribersSetting(services, (t) => address(t.name)))}`,
        );
      } else if (isPlatformSetting(name)) {
        const value = written.platform.get(name);
        const file = written.platform.get(`${name}_FILE`);
        if (value !== undefined) {
          values.push(value);
          env.push(`${name}: *${name}`);
        } else if (file !== undefined) {
          values.push(secretFile(path.posix.basename(file)).value);
          env.push(`${name}_FILE: *${name}_FILE`);
          readsSecrets = true;
        } else {
          problems.push(
            `${FILE}: x-platform has no ${name} or ${name}_FILE (anchored under its name), which ${s.file} reads`,
          );
        }
      } else env.push(`${name}: ${address(serviceOfUrlSetting(services, name)!.name)}`);
    }
    const own = Object.entries(s.settings.own).filter(
      ([, setting]) => setting.compose !== undefined,
    );
    const ownLines = own.map(([name, setting]) => {
      const variable = secretFileVariable(setting);
      if (variable) readsSecrets = true;
      const line = variable
        ? `${name}_FILE: ${secretFile(variable).path}`
        : `${name}: ${scalar(setting.compose!)}`;
      return `${comment(setting.description, '      ')}      ${line}\n`;
    });
    values.push(...own.map(([, setting]) => setting.compose!));

    const dependencies = new Map<string, string>();
    if (readsSecrets) dependencies.set(SECRETS_INIT, 'service_completed_successfully');
    for (const host of values.flatMap(hostsIn)) {
      const healthy = written.infrastructure.get(host);
      if (healthy !== undefined && host !== s.name) {
        dependencies.set(host, healthy ? 'service_healthy' : 'service_started');
      }
    }
    for (const other of services) {
      if (other === s) continue;
      const first = other.start_first && s.settings.platform.includes(urlSetting(other.name));
      const routed = !!other.prefix && s.settings.platform.includes('ROUTES');
      if (first || routed) dependencies.set(other.name, 'service_healthy');
    }

    return [
      comment(s.description, '  '),
      `  ${s.name}:\n`,
      '    <<: *service\n',
      `    build: { context: ., dockerfile: Dockerfile, args: { SERVICE: ${s.name} } }\n`,
      `    image: \${IMAGE_PREFIX:-microservice-template}/${s.name}:\${IMAGE_TAG:-latest}\n`,
      s.compose.replicas ? `    deploy:\n      replicas: ${s.compose.replicas}\n` : '',
      '    environment:\n',
      '      <<: *common-env\n',
      ...env.map((line) => `      ${line}\n`),
      ...ownLines,
      readsSecrets ? `    volumes: [${serviceSecretsVolume(s.name)}:${SECRETS_DIR}:ro]\n` : '',
      s.compose.networks ? `    networks: [${s.compose.networks.join(', ')}]\n` : '',
      dependencies.size ? '    depends_on:\n' : '',
      ...[...dependencies].map(
        ([name, condition]) => `      ${name}: { condition: ${condition} }\n`,
      ),
    ].join('');
  };

  let content = fillRegion(text, FILE, 'services', () => {
    const blocks = services.map((s) => {
      const body = block(s);
      parts.push({ service: s.name, what: 'its service block', text: body });
      return body;
    });
    return blocks.join('\n');
  });
  for (const s of services.filter((t) => t.prefix)) {
    parts.push({
      service: s.name,
      what: 'its ROUTES entry',
      text: `${s.name}:${s.prefix}=${address(s.name)}`,
      inline: true,
    });
  }
  parts.push(...edgeParts(services));
  content = fillRegion(content, FILE, 'database-passwords', ({ indent }) =>
    services
      .filter((s) => s.database)
      .map((s) => {
        const variable = databasePasswordVariable(s.name);
        const line = `${indent}${variable}_FILE: ${SECRETS_DIR}/${variable}\n`;
        parts.push({ service: s.name, what: 'its database password (postgres)', text: line });
        return line;
      })
      .join(''),
  );
  const platformSecrets = platformFiles(written.platform);
  const readers = generatedSecrets(root, services, init, platformSecrets).filter(
    (g) => g.files.length,
  );
  // Each service's own volume: mounted by init-secrets, which fills it, and declared.
  content = fillRegion(content, FILE, 'secret-volumes', ({ indent }) =>
    readers
      .map(({ service }) => {
        const volume = serviceSecretsVolume(service.name);
        const line = `${indent}- ${volume}:${SERVICES_SECRETS_DIR}/${service.name}\n`;
        parts.push({
          service: service.name,
          what: `its secrets volume (${SECRETS_INIT})`,
          text: line,
        });
        return line;
      })
      .join(''),
  );
  content = fillRegion(content, FILE, 'service-secret-volumes', ({ indent }) =>
    readers
      .map(({ service }) => {
        const line = `${indent}${serviceSecretsVolume(service.name)}: {}\n`;
        parts.push({ service: service.name, what: 'its secrets volume', text: line });
        return line;
      })
      .join(''),
  );
  content = fillRegion(content, FILE, 'secrets', ({ indent }) =>
    generatedSecrets(root, services, init, platformSecrets)
      .flatMap(({ service, variables }) =>
        variables.map((variable) => {
          const line = `${indent}${variable}: \${${variable}:-}\n`;
          parts.push({
            service: service.name,
            what: `its secret ${variable} (${SECRETS_INIT})`,
            text: line,
          });
          return line;
        }),
      )
      .join(''),
  );
  if (problems.length) throw new GenerateError(problems);
  return { file: FILE, content, parts };
}
