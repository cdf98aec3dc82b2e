import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { echo, metricsOf, startGateway, startUpstream } from './helpers.ts';
import { eventually } from './services.ts';

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of cleanup.reverse()) await close();
});

test('a sample analytics refuses is set aside; the rest of its batch is still stored', async () => {
  const stored: Record<string, unknown>[] = [];
  // Refuses, as analytics does, a batch with an item it cannot take, naming that item.
  const analytics = await startUpstream((req, res) => {
    if (req.url === '/health/ready') return res.end('{}');
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const { samples } = JSON.parse(body) as { samples: Record<string, unknown>[] };
      const bad = samples.flatMap((s, i) => (s.request_id === 'poison' ? [i] : []));
      if (bad.length) {
        res.statusCode = 400;
        res.setHeader('content-type', 'application/problem+json');
        const errors = bad.map((i) => ({ field: `samples.${i}.request_id`, message: 'no' }));
        return res.end(JSON.stringify({ status: 400, code: 'validation_failed', errors }));
      }
      stored.push(...samples);
      res.statusCode = 202;
      res.end('{"accepted":1}');
    });
  });
  cleanup.push(analytics.close);
  const main = await startUpstream(echo('main'));
  cleanup.push(main.close);
  const { app, url } = await startGateway({
    AUTH_URLS: main.url,
    MAIN_URLS: main.url,
    ANALYTICS_URL: analytics.url,
    // One batch for the three requests.
    SAMPLE_FLUSH_MS: 2000,
  });
  cleanup.push(() => app.close());

  for (const id of ['first', 'poison', 'last']) {
    const response = await fetch(`${url}/main/v1/tags`, { headers: { 'x-request-id': id } });
    assert.equal(response.status, 200);
  }
  await eventually(async () => stored.length === 2, 15_000);
  assert.deepEqual(
    stored.map((s) => s.request_id),
    ['first', 'last'],
  );
  assert.match(
    await metricsOf(url),
    /^gateway_samples_dropped_total\{reason="rejected"[^}]*\} 1$/m,
  );
});
