import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { bearer, buildTestAnalytics, sql } from './helper.ts';

// A receiver that accepts each delivery with 200 and then a 300 MB body.
const MB = Buffer.alloc(1024 * 1024, 120);
let sentMb = 0;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    let left = 300;
    const pump = () => {
      while (left > 0) {
        left -= 1;
        sentMb += 1;
        if (!res.write(MB)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => {
      left = 0;
    });
    pump();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
after(() => {
  receiver.closeAllConnections();
  receiver.close();
});
const { port } = receiver.address() as { port: number };

const t = await buildTestAnalytics({
  DESTINATIONS: JSON.stringify([
    { name: 'chatty', url: `http://127.0.0.1:${port}/hook`, secret: 'whsec-test-0123456789abcdef' },
  ]),
  DESTINATION_INTERVAL_MS: '20',
  DESTINATION_TIMEOUT_MS: '60000',
});

test("a receiver's huge answer is not read into memory, and the delivery counts", async () => {
  const user = await t.user();
  const start = process.memoryUsage().arrayBuffers;
  let peak = start;
  const watch = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }, 10);
  try {
    const res = await t.app.inject({
      method: 'POST',
      url: '/analytics/v1/track-event',
      headers: bearer(user.accessToken),
      payload: { events: [{ event: 'a' }, { event: 'b' }] },
    });
    assert.equal(res.statusCode, 202, res.body);
    for (;;) {
      const [row] = await sql(
        t.databaseUrl,
        'select count(*)::int as n from destination_deliveries',
      );
      if (row.n === 0) break;
      await sleep(50);
    }
  } finally {
    clearInterval(watch);
  }
  assert.ok(
    peak - start < 100 * 1024 * 1024,
    `held ${Math.round((peak - start) / 2 ** 20)} MB of answers (${sentMb} MB sent)`,
  );
});
