import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ConfigError, loadConfig } from '@platform/config';
import type { App } from '@platform/http';
import { ConfigSchema, readConfig } from '../src/config.ts';
import { startGateway, startUpstream, type Upstream } from './helpers.ts';

const document = (prefix: string, title: string) => ({
  openapi: '3.1.0',
  info: { title, version: '1.0.0' },
  paths: { [`${prefix}/v1/things`]: { get: { summary: `list ${title}`, responses: {} } } },
  components: { schemas: { [`${title}Thing`]: { type: 'object' } } },
});

const upstreams: Upstream[] = [];
let app: App;
let url: string;

before(async () => {
  for (const [prefix, title] of [
    ['/accounts', 'auth'],
    ['/main', 'main'],
    ['/notes', 'notes'],
  ] as const) {
    upstreams.push(
      await startUpstream((req, res) => {
        res.setHeader('content-type', 'application/json');
        if (req.url === `${prefix}/v1/varied`) res.setHeader('vary', 'Accept-Language');
        if (req.url === `${prefix}/v1/openapi.json`) {
          return res.end(JSON.stringify(document(prefix, title)));
        }
        res.end(JSON.stringify({ url: req.url }));
      }),
    );
  }
  ({ app, url } = await startGateway({
    AUTH_URLS: upstreams[0]!.url,
    MAIN_URLS: upstreams[1]!.url,
    // As npm start derives it from a service's manifest: no gateway change documents it.
    ROUTES: `notes:/notes=${upstreams[2]!.url}`,
    CORS_ORIGINS: 'https://app.example',
  }));
});

after(async () => {
  await app.close();
  for (const upstream of upstreams) await upstream.close();
});

test('GET /docs is one page over every service, with its assets served locally', async () => {
  const page = await fetch(`${url}/docs`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  const html = await page.text();
  assert.doesNotMatch(html, /https?:\/\/(?!127\.0\.0\.1)[^"']*\.(js|css)/);
  const bundle = await fetch(`${url}/docs/static/swagger-ui-bundle.js`);
  assert.equal(bundle.status, 200);
  await bundle.arrayBuffer();

  const spec = (await (await fetch(`${url}/docs/json`)).json()) as {
    paths: Record<string, { get: { tags: string[] } }>;
    components: { schemas: Record<string, unknown> };
    tags: { name: string; description: string }[];
  };
  assert.deepEqual(spec.paths['/accounts/v1/things']!.get.tags, ['auth']);
  assert.deepEqual(spec.paths['/main/v1/things']!.get.tags, ['main']);
  assert.deepEqual(spec.paths['/notes/v1/things']!.get.tags, ['notes']);
  assert.ok(spec.components.schemas.authThing && spec.components.schemas.mainThing);
  // Analytics is not deployed here: the page says so rather than failing.
  assert.match(spec.tags.find((t) => t.name === 'analytics')!.description, /Unavailable/);
});

test('GET / points to /docs', async () => {
  const root = await fetch(`${url}/`, { redirect: 'manual' });
  assert.equal(root.status, 302);
  assert.equal(root.headers.get('location'), '/docs');
  await root.arrayBuffer();
});

test('CORS answers the configured origin, and only it', async () => {
  const preflight = await fetch(`${url}/main/v1/posts`, {
    method: 'OPTIONS',
    headers: {
      origin: 'https://app.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/);

  const other = await fetch(`${url}/main/v1/posts`, {
    headers: { origin: 'https://evil.example' },
  });
  assert.equal(other.status, 200);
  assert.equal(other.headers.get('access-control-allow-origin'), null);
  const allowed = await fetch(`${url}/main/v1/posts`, {
    headers: { origin: 'https://app.example' },
  });
  assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://app.example');
  assert.match(allowed.headers.get('access-control-expose-headers') ?? '', /ratelimit-remaining/);
});

test('a CORS_ORIGINS entry no browser sends as its Origin stops the gateway at start, naming it', () => {
  // Taken as text before, each matched no browser's request: CORS just never worked.
  for (const [written, hint] of [
    ['https://app.example/', 'write https://app.example'],
    ['app.example', 'expected http(s)://host[:port]'],
    ['https://app.example:443', 'write it as https://app.example'],
  ] as const) {
    assert.throws(
      () => loadConfig(ConfigSchema, { CORS_ORIGINS: `https://ok.example,${written}` }),
      (error: Error) =>
        error instanceof ConfigError &&
        error.message.startsWith(`CORS_ORIGINS is invalid: "${written}"`) &&
        error.message.includes(hint),
    );
  }
  assert.equal(loadConfig(ConfigSchema, { CORS_ORIGINS: '*' }).CORS_ORIGINS, '*');
});

test('the gateway refuses at start a trace sampler the SDK would read as record everything', () => {
  // It decides every trace's sampling, also with no OTLP endpoint of its own.
  assert.throws(
    () =>
      readConfig({
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '10',
      }),
    new ConfigError(
      'OTEL_TRACES_SAMPLER_ARG is invalid: expected a ratio from 0 to 1 (0.1 keeps one trace in ten)',
    ),
  );
  assert.throws(() => readConfig({ OTEL_TRACES_SAMPLER: 'sometimes' }), ConfigError);
  assert.equal(readConfig({ OTEL_TRACES_SAMPLER: 'always_off' }).OTEL_TRACES_SAMPLER, 'always_off');
});

test('an OPTIONS that is no preflight is answered plainly, never with a text/plain 400', async () => {
  const plain = await fetch(`${url}/main/v1/posts`, { method: 'OPTIONS' });
  assert.equal(plain.status, 204);
  assert.equal(plain.headers.get('access-control-allow-origin'), null);
  const noMethod = await fetch(`${url}/main/v1/posts`, {
    method: 'OPTIONS',
    headers: { origin: 'https://evil.example' },
  });
  assert.equal(noMethod.status, 204);
  assert.equal(noMethod.headers.get('access-control-allow-origin'), null);
});

test("a service's Vary keeps the gateway's Vary: Origin beside it (a shared cache keys on both)", async () => {
  const varied = await fetch(`${url}/main/v1/varied`, {
    headers: { origin: 'https://app.example' },
  });
  assert.equal(varied.status, 200);
  assert.equal(varied.headers.get('access-control-allow-origin'), 'https://app.example');
  const names = (varied.headers.get('vary') ?? '').toLowerCase().split(/\s*,\s*/);
  assert.ok(names.includes('origin'), `vary: ${varied.headers.get('vary')}`);
  assert.ok(names.includes('accept-language'), `vary: ${varied.headers.get('vary')}`);
  await varied.arrayBuffer();
  // Without a Vary of the service's, the gateway's stays.
  const plain = await fetch(`${url}/main/v1/posts`, { headers: { origin: 'https://app.example' } });
  assert.match(plain.headers.get('vary') ?? '', /origin/i);
  await plain.arrayBuffer();
});

test('loads of /docs while a service is down share one round of document fetches', async () => {
  let fetched = 0;
  const slow = await startUpstream((req, res) => {
    if (req.url !== '/main/v1/openapi.json') return res.end('{}');
    fetched++;
    // Long enough for every load below to arrive while the round is under way.
    setTimeout(() => res.end(JSON.stringify(document('/main', 'main'))), 500);
  });
  const dead = await startUpstream(() => {});
  await dead.close();
  const gateway = await startGateway({ MAIN_URLS: slow.url, AUTH_URLS: dead.url });
  try {
    const loads = await Promise.all(
      Array.from({ length: 30 }, async () => (await fetch(`${gateway.url}/docs/json`)).status),
    );
    assert.deepEqual(new Set(loads), new Set([200]));
    assert.ok(fetched < 5, `${fetched} fetches for 30 loads`);
  } finally {
    await gateway.app.close();
    await slow.close();
  }
});
