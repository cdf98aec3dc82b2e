import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import {
  loadManifests,
  ManifestError,
  ManifestSchema,
  manifestJsonSchema,
  permissionsOf,
  rolePermissions,
} from '../src/index.ts';

const root = path.resolve(import.meta.dirname, '../../..');

/** A repository with just these manifests (by folder name), removed after the test. */
function repo(t: TestContext, manifests: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'manifests-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [folder, manifest] of Object.entries(manifests)) {
    mkdirSync(path.join(dir, 'services', folder), { recursive: true });
    if (manifest !== undefined) {
      writeFileSync(
        path.join(dir, 'services', folder, 'service.json'),
        typeof manifest === 'string' ? manifest : JSON.stringify(manifest),
      );
    }
  }
  return dir;
}

const gateway = {
  name: 'gateway',
  description: 'entry',
  port_offset: 0,
  settings: { platform: ['ROUTES'] },
};
const service = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  description: name,
  prefix: `/${name}`,
  port_offset: 1,
  settings: { platform: [] },
  ...extra,
});

function problems(dir: string): string[] {
  try {
    loadManifests(dir);
  } catch (error) {
    assert.ok(error instanceof ManifestError);
    return error.problems;
  }
  return [];
}

test("the repository's manifests load: the entry point first, defaults filled in", () => {
  const services = loadManifests(root);
  assert.equal(services[0]!.port_offset, 0);
  assert.ok(services.every((s) => Array.isArray(s.permissions) && s.settings.own));
  // Every permission is defined by exactly one service.
  const names = permissionsOf(services).map((p) => p.name);
  assert.equal(new Set(names).size, names.length);
  assert.ok(names.includes('users:manage') && names.includes('posts:write'));
  // The roles as the contract describes them: admin everything, editor posts and categories.
  const roles = rolePermissions(services);
  assert.deepEqual(roles.user, ['posts:write']);
  assert.deepEqual(roles.editor?.sort(), ['categories:manage', 'posts:edit-any', 'posts:write']);
  assert.deepEqual(roles.admin?.sort(), [...names].sort());
});

test('a malformed manifest is refused naming the file and the field', (t) => {
  const dir = repo(t, {
    gateway,
    notes: service('notes', { port_offset: -1, extra: true }),
    broken: '{ not json',
    empty: undefined,
  });
  const found = problems(dir);
  assert.ok(
    found.some((p) => p.startsWith('services/notes/service.json: /port_offset ')),
    found.join('\n'),
  );
  assert.ok(found.includes('services/notes/service.json: / has no field named extra'));
  assert.ok(found.some((p) => p.startsWith('services/broken/service.json: not JSON')));
  assert.ok(
    found.includes('services/empty: no service.json (every service declares itself there)'),
  );
});

test('manifests that contradict each other or name what does not exist are refused', (t) => {
  const dir = repo(t, {
    gateway,
    notes: service('notes', {
      settings: {
        platform: ['BILLING_URL', 'NOTES_URL', 'SERVICE_TOKEN'],
        own: { PORT: { description: 'x' }, GATEWAY_URL: { description: 'y' } },
      },
      permissions: [{ name: 'notes:write', description: 'w', roles: ['user'] }],
    }),
    todo: service('notes', { port_offset: 1 }),
    tasks: service('tasks', {
      prefix: '/notes',
      port_offset: 2,
      permissions: [{ name: 'notes:write', description: 'w', roles: ['user'] }],
    }),
    docs: service('docs', { prefix: '/docs/api', port_offset: 3 }),
    ops: service('ops', { prefix: '/internal', port_offset: 4 }),
  });
  const found = problems(dir);
  for (const expected of [
    'services/todo/service.json: name is notes, expected its folder name todo',
    "services/tasks/service.json: prefix /notes is also notes's",
    'services/notes/service.json: settings.platform BILLING_URL is neither a platform setting nor <SERVICE>_URL of a service',
    'services/notes/service.json: settings.platform NOTES_URL is its own URL',
    'services/notes/service.json: settings.own PORT: every service is given it',
    'services/notes/service.json: settings.own GATEWAY_URL: it is a service URL: list it in settings.platform',
    'services/tasks/service.json: permission notes:write is also defined by notes',
    "services/docs/service.json: prefix /docs/api is the gateway's own /docs",
    "services/ops/service.json: prefix /internal is the gateway's own /internal",
  ]) {
    assert.ok(found.includes(expected), `${expected}\nin\n${found.join('\n')}`);
  }
});

test('exactly one entry point, without a prefix', (t) => {
  assert.ok(
    problems(repo(t, { notes: service('notes') })).includes(
      'services/*/service.json: exactly one service needs port_offset 0 (the entry point)',
    ),
  );
  assert.ok(
    problems(repo(t, { gateway: { ...gateway, prefix: '/gw' } })).includes(
      'services/gateway/service.json: the entry point (port_offset 0) is not routed: drop its prefix',
    ),
  );
});

/** Every regular expression of the manifest schema: `pattern`s, and the names of a map's keys. */
function schemaPatterns(
  node: unknown,
  where = '#',
  found: [string, Record<string, unknown>][] = [],
) {
  if (!node || typeof node !== 'object') return found;
  const schema = node as Record<string, unknown>;
  if (typeof schema.pattern === 'string') found.push([where, schema]);
  for (const [key, value] of Object.entries(schema))
    schemaPatterns(value, `${where}/${key}`, found);
  return found;
}

test('every pattern of the manifest schema says in words what it takes (x-pattern-message)', () => {
  const patterns = schemaPatterns(ManifestSchema);
  assert.ok(patterns.length >= 10, `${patterns.length} patterns`);
  const unworded = patterns
    .filter(([, schema]) => typeof schema['x-pattern-message'] !== 'string')
    .map(([where, schema]) => `${where} (${schema.pattern})`);
  assert.deepEqual(unworded, []);
});

test("the editors' schema file gives every pattern's words as VS Code reads them (patternErrorMessage)", () => {
  const file = JSON.parse(manifestJsonSchema()) as object;
  const patterns = schemaPatterns(file);
  assert.ok(patterns.length >= 10, `${patterns.length} patterns`);
  const unworded = patterns
    .filter(([, schema]) => schema.patternErrorMessage !== schema['x-pattern-message'])
    .map(([where]) => where);
  assert.deepEqual(unworded, []);
});

test('a bad name, prefix, port or any value with a pattern is refused in words, never a regex', (t) => {
  // Spread over four manifests: TypeBox reports at most 8 errors of one (its maxErrors).
  const dir = repo(t, {
    gateway,
    notes: service('notes', { name: 'Notes', prefix: 'notes', port_offset: 100, metrics_port: 0 }),
    settings: service('settings', {
      settings: { platform: ['database_url'], own: { lower: { description: 'x' } } },
    }),
    edge: service('edge', { edge: [{ method: 'FETCH', path: 'v1/notes', limit: 'Login' }] }),
    rest: service('rest', {
      permissions: [{ name: 'notes', description: 'd', roles: ['Admin', 'user', 'user'] }],
      subscribes: ['User'],
      node_options: ['-x'],
      kubernetes: {
        resources: { requests: { cpu: 'lots', memory: '1' }, limits: { cpu: '1', memory: '1' } },
      },
    }),
  });
  const found = problems(dir);
  const regexes = schemaPatterns(ManifestSchema).map(([, schema]) => String(schema.pattern));
  for (const problem of found) {
    assert.doesNotMatch(problem, /pattern|\^|\$|\[[a-zA-Z0-9]-/, problem);
    for (const regex of regexes) assert.ok(!problem.includes(regex), problem);
  }
  const at = (folder: string, problem: string) => `services/${folder}/service.json: ${problem}`;
  for (const expected of [
    at(
      'notes',
      '/name must be lower-case letters, digits and -, starting with a letter (order-history)',
    ),
    at(
      'notes',
      '/prefix must be a path: one or more /segments, each a lower-case letter or digit followed by lower-case letters, digits, . _ ~ or - (/accounts, /v1/orders)',
    ),
    at('notes', '/port_offset must be at most 99'),
    at('notes', '/metrics_port must be at least 1'),
    at('edge', '/edge/0/method must be one of GET, POST, PUT, PATCH, DELETE'),
    at('rest', '/permissions/0/roles must not list user twice'),
  ]) {
    assert.ok(found.includes(expected), `${expected}\nin\n${found.join('\n')}`);
  }
  // Every value with a pattern is among them, each in its own words.
  for (const [folder, field] of [
    ['settings', '/settings/platform/0'],
    ['settings', '/settings/own/lower'],
    ['edge', '/edge/0/path'],
    ['edge', '/edge/0/limit'],
    ['rest', '/permissions/0/name'],
    ['rest', '/permissions/0/roles/0'],
    ['rest', '/subscribes/0'],
    ['rest', '/node_options/0'],
    ['rest', '/kubernetes/resources/requests/cpu'],
  ] as const) {
    assert.ok(
      found.some((p) => p.startsWith(at(folder, `${field} `)) && / must be /.test(p)),
      `${field}\nin\n${found.join('\n')}`,
    );
  }
});
