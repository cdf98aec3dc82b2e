import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { App } from '@platform/http';
import sharp from 'sharp';
import { createDecodeQueue } from '../src/avatars/decoding.ts';
import { bearer, buildTestAuth, signUp } from './helper.ts';
import { avatarForm, blackPng, emptyScansJpeg } from './uploads.ts';

const upload = (app: App, token: string, data: Buffer) => {
  const form = avatarForm(data);
  return app.inject({
    method: 'PUT',
    url: '/accounts/v1/user/avatar',
    headers: { ...form.headers, ...bearer(token) },
    payload: form.payload,
  });
};

/** One sample of a Prometheus metric from the app's `/metrics`, 0 when absent. */
async function metric(app: App, sample: string): Promise<number> {
  const text = (await app.inject({ url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

test('a 116 KB PNG declaring 6320×6320 pixels is refused from its header, never decoded', async () => {
  const { app, config } = await buildTestAuth();
  const user = await signUp(app);
  const bomb = blackPng(6320, 6320);
  assert.ok(bomb.length < 150_000, `${bomb.length} bytes`);
  assert.ok(6320 * 6320 > config.AVATAR_MAX_PIXELS);

  const res = await upload(app, user.accessToken, bomb);
  assert.equal(res.statusCode, 422, res.body);
  assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
  assert.match(res.json().detail, /6320×6320 pixels; at most 25000000 pixels/);
  assert.equal(await metric(app, 'auth_avatar_decodes_total{service="auth"}'), 0);
  assert.equal(
    await metric(app, 'auth_avatar_uploads_refused_total{reason="pixels",service="auth"}'),
    1,
  );
  // A header declaring far more is refused the same way (and would never fit in memory).
  const huge = blackPng(1_000_000, 1_000_000, 1);
  const refused = await upload(app, user.accessToken, huge);
  assert.equal(refused.statusCode, 422);
  assert.match(refused.json().detail, /1000000×1000000 pixels/);
  assert.equal(await metric(app, 'auth_avatar_decodes_total{service="auth"}'), 0);
});

test('a pixel of 16-bit samples counts twice against the pixel limit when interlaced (decoded whole, twice the memory)', async () => {
  // A 194 KB interlaced 16-bit RGBA PNG of 5000×5000 took 260 MB to decode; two at once, more
  // than auth's 512 Mi. Here against a limit of a million pixels.
  const { app } = await buildTestAuth({ AVATAR_MAX_PIXELS: '1000000' });
  const user = await signUp(app);
  const deep = await upload(app, user.accessToken, blackPng(800, 800, 800, 16, true));
  assert.equal(deep.statusCode, 422, deep.body);
  assert.match(
    deep.json().detail,
    /800×800 interlaced pixels of 16-bit samples, each counted 2 times.*without interlacing/,
  );
  assert.equal(await metric(app, 'auth_avatar_decodes_total{service="auth"}'), 0);
  const half = await upload(app, user.accessToken, blackPng(700, 700, 700, 16, true));
  assert.equal(half.statusCode, 200, half.body);
  const shallow = await upload(app, user.accessToken, blackPng(800, 800, 800, 8, true));
  assert.equal(shallow.statusCode, 200, shallow.body);
  // Not interlaced, rows are decoded one after another whatever their depth: 5000×5000 16-bit
  // RGBA took 72 MB, less than the 8-bit interlaced picture of that size (120 MB) the limit
  // admits. Counted twice, a 16-bit PNG photo export of 20 megapixels was refused for nothing.
  const streamed = await upload(app, user.accessToken, blackPng(800, 800, 800, 16));
  assert.equal(streamed.statusCode, 200, streamed.body);
});

test('a JPEG of more scans than any encoder writes is refused before it is decoded', async () => {
  const { app } = await buildTestAuth();
  const user = await signUp(app);
  // 4096×4096 with 1000 empty scans: 68 KB, ~2 s of decoding (10 000: 383 KB, 12 s; 5 MB, minutes).
  const bomb = emptyScansJpeg(4096, 4096, 1000);
  assert.ok(bomb.length < 100_000, `${bomb.length} bytes`);
  assert.equal((await sharp(bomb).metadata()).format, 'jpeg');
  const res = await upload(app, user.accessToken, bomb);
  assert.equal(res.statusCode, 422, res.body);
  assert.match(res.json().detail, /more than 500 scans/);
  assert.equal(await metric(app, 'auth_avatar_decodes_total{service="auth"}'), 0);
  // The same picture with the scans of an ordinary progressive JPEG is an avatar.
  const ordinary = await upload(app, user.accessToken, emptyScansJpeg(512, 512, 9));
  assert.equal(ordinary.statusCode, 200, ordinary.body);
});

test('a user over the upload rate gets 429 with Retry-After; other users are unaffected', async () => {
  const { app } = await buildTestAuth({ AVATAR_UPLOADS_PER_WINDOW: '2' });
  const png = await sharp({
    create: { width: 64, height: 64, channels: 3, background: '#3a6' },
  })
    .png()
    .toBuffer();
  const eager = await signUp(app);
  for (let i = 0; i < 2; i += 1) {
    const ok = await upload(app, eager.accessToken, png);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.headers['ratelimit-limit'], '2');
  }
  const refused = await upload(app, eager.accessToken, png);
  assert.equal(refused.statusCode, 429);
  assert.match(refused.headers['content-type'] as string, /^application\/problem\+json/);
  const retryAfter = Number(refused.headers['retry-after']);
  assert.ok(retryAfter > 0 && retryAfter <= 3600, `retry-after ${retryAfter}`);
  assert.equal(refused.json().status, 429);

  const other = await signUp(app);
  assert.equal((await upload(app, other.accessToken, png)).statusCode, 200);
});

test('parallel uploads are decoded at most AVATAR_DECODE_CONCURRENCY at a time, and all succeed', async () => {
  const { app, config } = await buildTestAuth();
  assert.equal(config.AVATAR_DECODE_CONCURRENCY, 2);
  // Under the pixel cap, but large enough that decodes overlap when nothing bounds them.
  const heavy = blackPng(4800, 4800);
  const users = await Promise.all(Array.from({ length: 8 }, () => signUp(app)));
  // Images in sharp's decode pipelines (`process`). Not `queue + process`: sharp moves a task from
  // one to the other on a worker thread between the two reads counters() makes, so the sum
  // counted one image twice now and then under load (3 seen with 2 decoding). A metadata read
  // only ever counts in `queue`; an unbounded decode shows here as up to libuv's 4 threads.
  let peak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, sharp.counters().process);
      await sleep(1);
    }
  })();
  const results = await Promise.all(users.map((u) => upload(app, u.accessToken, heavy)));
  sampling = false;
  await sampler;
  assert.deepEqual(
    results.map((r) => r.statusCode),
    users.map(() => 200),
  );
  assert.ok(peak >= 1, 'no decode was seen');
  assert.ok(peak <= 2, `${peak} images were in sharp at once`);
  assert.equal(await metric(app, 'auth_avatar_decodes_total{service="auth"}'), 8);
});

test('the decode queue runs a bounded number of tasks and refuses past its length with 503', async () => {
  const queue = createDecodeQueue({ concurrency: 2, maxQueued: 3 });
  let running = 0;
  let peak = 0;
  const gates: (() => void)[] = [];
  const task = () =>
    queue.run(async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running -= 1;
    });
  const accepted = Array.from({ length: 5 }, task);
  await sleep(10);
  assert.deepEqual([queue.active, queue.queued], [2, 3]);
  await assert.rejects(task(), (error: { status: number; options: { headers: object } }) => {
    assert.equal(error.status, 503);
    assert.deepEqual(error.options.headers, { 'retry-after': '2' });
    return true;
  });
  while (gates.length || queue.active) {
    gates.shift()?.();
    await sleep(1);
  }
  await Promise.all(accepted);
  assert.equal(peak, 2);
});
