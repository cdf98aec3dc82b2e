import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkCompose } from '../src/compose.ts';
import { composeCopy, replaceOnce, root } from './helper.ts';

const check = (dir: string) => checkCompose({ root: dir });
const hasError = (errors: string[], pattern: RegExp) =>
  assert.ok(
    errors.some((e) => pattern.test(e)),
    `expected ${pattern} in ${JSON.stringify(errors)}`,
  );

test('compose.yaml passes the Compose spec schema and every reference resolves', (t) => {
  assert.deepEqual(check(composeCopy(t)), []);
});

test('the repository compose.yaml itself checks clean', () => {
  assert.deepEqual(checkCompose({ root }), []);
});

test('a key the Compose spec does not know fails the schema', (t) => {
  const dir = composeCopy(t, {
    'compose.yaml': (s) =>
      replaceOnce(s, '    deploy:\n      replicas: 2', '    deploy:\n      replica: 2'),
  });
  hasError(
    check(dir),
    /schema: \/services\/main\/deploy must NOT have additional properties \("replica"\)/,
  );
});

test('a wrong type fails the schema', (t) => {
  const dir = composeCopy(t, {
    'compose.yaml': (s) => replaceOnce(s, 'replicas: 2', 'replicas: two'),
  });
  hasError(check(dir), /schema: \/services\/main\/deploy\/replicas must be integer/);
});

test('depends_on a service that does not exist, or one without a healthcheck', (t) => {
  const dir = composeCopy(t, {
    'compose.yaml': (s) =>
      replaceOnce(
        replaceOnce(
          s,
          '      mailpit: { condition: service_started }',
          '      mailer: { condition: service_started }',
        ),
        '      influxdb: { condition: service_healthy }\n      auth',
        '      mailpit: { condition: service_healthy }\n      influxdb: { condition: service_healthy }\n      auth',
      ),
  });
  const errors = check(dir);
  hasError(errors, /services\.auth\.depends_on: no service mailer/);
  hasError(
    errors,
    /services\.analytics\.depends_on: mailpit must be healthy but has no healthcheck/,
  );
});

test('a missing mounted file, an undeclared volume or network, a missing service folder', (t) => {
  const dir = composeCopy(t, {
    'compose.yaml': (s) =>
      replaceOnce(
        replaceOnce(
          replaceOnce(s, './deploy/postgres/init.sh:', './deploy/postgres/missing.sh:'),
          'redis-data:/data',
          'redis-state:/data',
        ),
        'args: { SERVICE: analytics }',
        'args: { SERVICE: reports }',
      ).replace('    networks: [frontend]\n', '    networks: [edge]\n'),
  });
  const errors = check(dir);
  hasError(errors, /services\.postgres\.volumes: \.\/deploy\/postgres\/missing\.sh does not exist/);
  hasError(errors, /services\.redis\.volumes: named volume redis-state is not declared/);
  hasError(errors, /services\.nginx\.networks: edge is not declared/);
  hasError(errors, /services\.analytics\.build: SERVICE=reports but services\/reports/);
});

test('every variable compose needs is documented, and .env.example holds no real secret', (t) => {
  const dir = composeCopy(t, {
    '.env.example': (s) =>
      replaceOnce(
        replaceOnce(s, '# REDIS_PASSWORD=\n', 'REDIS_PASSWORD=s3cr3t-from-prod\n'),
        '# GRAFANA_ADMIN_PASSWORD=\n',
        '',
      ),
  });
  const errors = check(dir);
  hasError(errors, /REDIS_PASSWORD must be empty or a change-me placeholder/);
  hasError(errors, /GRAFANA_ADMIN_PASSWORD is used but not documented in \.env\.example/);
});

test('a variable compose requires is reported: a fresh clone has no .env', (t) => {
  const dir = composeCopy(t, {
    'compose.yaml': (s) =>
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's ${VAR}, not JavaScript's
      replaceOnce(s, '${SERVICE_TOKEN:-}', '${SERVICE_TOKEN:?set SERVICE_TOKEN in .env}'),
  });
  hasError(check(dir), /\$\{SERVICE_TOKEN:\?set SERVICE_TOKEN in \.env\} is required, so compose/);
});

test('a documented variable compose never uses is reported', (t) => {
  const dir = composeCopy(t, { '.env.example': (s) => `${s}UNUSED_SETTING=1\n` });
  hasError(check(dir), /UNUSED_SETTING is not used by compose/);
});
