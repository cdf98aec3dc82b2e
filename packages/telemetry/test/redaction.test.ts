import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startOtlpReceiver } from '@platform/testing';
import { runTraced } from './run-traced.ts';

/**
 * A service under `--import @platform/telemetry/register`, built as every service is
 * (@platform/http's createApp, which starts the server spans): a request to it carrying a mail
 * link's `?token=` makes it call itself with that query (as the gateway forwards a page to auth),
 * so both the server spans and undici's client span see the secret.
 */
const SCRIPT = `
const { createApp } = await import('@platform/http');
const { flushTracing } = await import('@platform/telemetry');
const query = '?token=' + process.env.SECRET + '&code=' + process.env.SECRET + '&lang=en';
const app = await createApp({ name: 'probe', logLevel: 'silent' });
app.get('/outer', async () => (await fetch(base + '/inner' + query)).text());
app.get('/inner', async () => 'ok');
await app.listen({ port: 0, host: '127.0.0.1' });
const base = 'http://127.0.0.1:' + app.server.address().port;
await (await fetch(base + '/outer' + query)).text();
await app.close();
await flushTracing();
`;

test("spans keep a URL's query but not the values of its secret parameters", async () => {
  const receiver = await startOtlpReceiver();
  try {
    const secret = `mail-link-secret-${crypto.randomUUID()}`;
    await runTraced(SCRIPT, {
      SECRET: secret,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'probe',
    });
    const spans = receiver.spans.filter((s) => s.service === 'probe');
    // Two server spans (outer, inner) and the client span of the call between them.
    assert.equal(spans.length, 3, JSON.stringify(spans.map((s) => s.name)));
    for (const span of spans) {
      assert.ok(!JSON.stringify(span.attributes).includes(secret), JSON.stringify(span.attributes));
      assert.match(String(span.attributes['url.query']), /lang=en/);
    }
    const client = spans.find((s) => s.kind === 3)!;
    assert.match(String(client.attributes['url.full']), /token=REDACTED&code=REDACTED&lang=en$/);
  } finally {
    await receiver.close();
  }
});
