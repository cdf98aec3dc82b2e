import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { TEST_SECRETS } from '@platform/testing';
import { closeAtEnd, rawGet, startGateway } from './helpers.ts';
import { eventually, type RunningService, startAuthService } from './services.ts';

describe('internal surfaces stay internal', () => {
  let auth: RunningService;
  let url: string;
  let metricsUrl: string;
  const { cleanup } = closeAtEnd();

  before(async () => {
    auth = await startAuthService();
    cleanup(auth.stop);
    const gateway = await startGateway({ AUTH_URLS: auth.url }, { auth: 'real' });
    cleanup(() => gateway.app.close());
    ({ url, metricsUrl } = gateway);
    await eventually(async () => (await fetch(`${url}/health/ready`)).status === 200);
  });

  test("the gateway's /metrics is not on its public port, only on the internal one", async () => {
    await fetch(`${url}/accounts/v1/.well-known/jwks.json`);
    for (const path of ['/metrics', '/metrics?x=1', '/metrics/']) {
      const response = await rawGet(url, path);
      assert.equal(response.status, 404, path);
      assert.match(String(response.headers['content-type']), /problem\+json/);
      assert.doesNotMatch(response.body, /gateway_|127\.0\.0\.1/);
    }
    const internal = await fetch(metricsUrl);
    assert.equal(internal.status, 200);
    const text = await internal.text();
    assert.match(text, /gateway_upstream_healthy\{[^}]*instance="http:\/\/127\.0\.0\.1:\d+"/);
    assert.match(text, /gateway_request_duration_seconds_count\{[^}]*service="auth"/);
    assert.equal((await fetch(new URL('/health', metricsUrl))).status, 404);
  });

  test("no path through the gateway reaches a service's /internal routes", async () => {
    // The probe works: straight to auth, with the service token, its feed answers.
    const asService = { 'x-service-token': TEST_SECRETS.SERVICE_TOKEN };
    const direct = await rawGet(auth.url, '/internal/revocations', asService);
    assert.equal(direct.status, 200);
    assert.match(direct.body, /"last_id"/);
    for (const path of [
      '/internal/revocations',
      '//internal/revocations',
      '/accounts/../internal/revocations',
      '/accounts/v1/../../internal/revocations',
      '/accounts/%2e%2e/internal/revocations',
      '/accounts/%2E%2E/internal/revocations',
      '/accounts/..%2finternal/revocations',
      '/accounts%2f..%2finternal/revocations',
      '/accounts/..%5cinternal/revocations',
      '/accounts/%252e%252e/internal/revocations',
      '/accounts/v1/..;/..;/internal/revocations',
      '/accounts//../internal/revocations',
      '/accounts/./../internal/revocations',
      `http://${new URL(auth.url).host}/internal/revocations`,
    ]) {
      const response = await rawGet(url, path, asService);
      assert.ok([400, 404].includes(response.status), `${path}: ${response.status}`);
      assert.doesNotMatch(response.body, /last_id/, path);
    }
  });
});
