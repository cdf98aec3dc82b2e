import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { bearer, buildTestAuth, signUp } from './helper.ts';

const { app } = await buildTestAuth();

interface Part {
  name: string;
  filename?: string;
  type?: string;
  data: Buffer | string;
}

/** A multipart/form-data body; a part with a filename is a file, one without is a field. */
function form(parts: Part[]) {
  const boundary = `----avatar-test-${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const filename = p.filename ? `; filename="${p.filename}"` : '';
    const type = p.type ? `Content-Type: ${p.type}\r\n` : '';
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${filename}\r\n${type}\r\n`,
      ),
      Buffer.from(p.data),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(chunks),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

const upload = (token: string | undefined, parts: Part[]) => {
  const body = form(parts);
  return app.inject({
    method: 'PUT',
    url: '/accounts/v1/user/avatar',
    headers: { ...body.headers, ...(token ? bearer(token) : {}) },
    payload: body.payload,
  });
};

const image = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } });

/** Random pixels hardly compress: a way to make a large or fragile PNG. */
const noisy = (width: number, height: number) =>
  sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  });

/** The path and query of an avatar_url, which names the public gateway. */
const pathOf = (url: string) => url.replace('http://gateway.test', '');

test('a PNG becomes a 256×256 WebP served with its ETag, a year of caching and 304s', async () => {
  const user = await signUp(app);
  const png = await image(640, 480).png().toBuffer();
  const res = await upload(user.accessToken, [
    { name: 'file', filename: 'me.png', type: 'image/png', data: png },
  ]);
  assert.equal(res.statusCode, 200, res.body);
  const url: string = res.json().user.avatar_url;
  const match = new RegExp(
    `^http://gateway\\.test/accounts/v1/users/${user.id}/avatar\\?v=([0-9a-f]{16})$`,
  ).exec(url);
  assert.ok(match, url);
  const version = match[1]!;

  const served = await app.inject({ url: pathOf(url) });
  assert.equal(served.statusCode, 200);
  assert.equal(served.headers['content-type'], 'image/webp');
  assert.equal(served.headers.etag, `"${version}"`);
  assert.equal(served.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(served.headers['x-content-type-options'], 'nosniff');
  const meta = await sharp(served.rawPayload).metadata();
  assert.equal(meta.format, 'webp');
  assert.equal(meta.width, 256);
  assert.equal(meta.height, 256);

  for (const tag of [`"${version}"`, `W/"${version}"`, `"other", "${version}"`, '*']) {
    const again = await app.inject({ url: pathOf(url), headers: { 'if-none-match': tag } });
    assert.equal(again.statusCode, 304, tag);
    assert.equal(again.rawPayload.length, 0);
    assert.equal(again.headers.etag, `"${version}"`);
  }
  const changed = await app.inject({ url: pathOf(url), headers: { 'if-none-match': '"stale"' } });
  assert.equal(changed.statusCode, 200);

  const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(user.accessToken) });
  assert.equal(me.json().user.avatar_url, url);
});

test('a JPEG loses its EXIF (camera, owner, location) when re-encoded', async () => {
  const user = await signUp(app);
  const jpeg = await image(300, 600)
    .jpeg()
    .withExif({
      IFD0: { Artist: 'Secret Photographer', Copyright: 'Hidden Owner', Make: 'SpyCam' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' },
    })
    .toBuffer();
  const input = await sharp(jpeg).metadata();
  assert.ok(input.exif?.includes(Buffer.from('Secret Photographer')));

  const res = await upload(user.accessToken, [
    { name: 'file', filename: 'photo.jpg', type: 'image/jpeg', data: jpeg },
  ]);
  assert.equal(res.statusCode, 200, res.body);
  const served = await app.inject({ url: pathOf(res.json().user.avatar_url) });
  const meta = await sharp(served.rawPayload).metadata();
  assert.equal(meta.format, 'webp');
  assert.deepEqual([meta.width, meta.height], [256, 256]);
  assert.equal(meta.exif, undefined);
  assert.equal(meta.xmp, undefined);
  for (const secret of ['Secret Photographer', 'Hidden Owner', 'SpyCam', 'Exif']) {
    assert.ok(!served.rawPayload.includes(Buffer.from(secret)), secret);
  }
});

test('WebP is accepted, whatever the client calls the file', async () => {
  const user = await signUp(app);
  const webp = await image(100, 100).webp().toBuffer();
  const res = await upload(user.accessToken, [
    { name: 'file', filename: 'avatar.txt', type: 'text/plain', data: webp },
  ]);
  assert.equal(res.statusCode, 200, res.body);
  assert.ok(res.json().user.avatar_url);
});

test('anything but PNG, JPEG or WebP is a 415, named .png or not', async () => {
  const user = await signUp(app);
  const gif = await image(10, 10).gif().toBuffer();
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>';
  for (const data of ['just some text, not an image', gif, svg, Buffer.alloc(0)]) {
    const res = await upload(user.accessToken, [
      { name: 'file', filename: 'cat.png', type: 'image/png', data },
    ]);
    assert.equal(res.statusCode, 415, String(data).slice(0, 20));
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  }
  const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(user.accessToken) });
  assert.equal(me.json().user.avatar_url, null);
});

test('a file that does not start as a PNG, JPEG or WebP is refused before any decoder reads it', async () => {
  // libvips sizes an SVG by parsing all of it: 4.2 MB of empty elements took librsvg 6 s and
  // 870 MB (past auth's 512 Mi) before the format was refused. 2 MB here: ~3 s of CPU before.
  const user = await signUp(app);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">${'<rect/>'.repeat(300_000)}</svg>`;
  const start = process.cpuUsage();
  const res = await upload(user.accessToken, [
    { name: 'file', filename: 'cat.png', type: 'image/png', data: svg },
  ]);
  const { user: cpuUser, system } = process.cpuUsage(start);
  assert.equal(res.statusCode, 415, res.body);
  assert.ok((cpuUser + system) / 1000 < 1000, `${Math.round((cpuUser + system) / 1000)} ms of CPU`);
});

test('a damaged PNG is a 422', async () => {
  const user = await signUp(app);
  const png = await noisy(200, 200).png().toBuffer();
  const res = await upload(user.accessToken, [
    { name: 'file', filename: 'cut.png', data: png.subarray(0, png.length / 2) },
  ]);
  assert.equal(res.statusCode, 422);
});

test('a file over 5 MB is a 413', async () => {
  const user = await signUp(app);
  const big = await noisy(1400, 1400).png({ compressionLevel: 0 }).toBuffer();
  assert.ok(big.length > 5 * 1024 * 1024);
  const res = await upload(user.accessToken, [
    { name: 'file', filename: 'big.png', type: 'image/png', data: big },
  ]);
  assert.equal(res.statusCode, 413);
  assert.equal(res.json().status, 413);
});

test('no file, a file in another field or a body that is not multipart is refused', async () => {
  const user = await signUp(app);
  const png = await image(50, 50).png().toBuffer();
  const wrongField = await upload(user.accessToken, [
    { name: 'image', filename: 'me.png', type: 'image/png', data: png },
  ]);
  assert.equal(wrongField.statusCode, 400);
  assert.equal(wrongField.json().errors[0].field, 'file');
  const noFile = await upload(user.accessToken, [{ name: 'file', data: 'hello' }]);
  assert.equal(noFile.statusCode, 400);
  const empty = await upload(user.accessToken, []);
  assert.equal(empty.statusCode, 400);

  const json = await app.inject({
    method: 'PUT',
    url: '/accounts/v1/user/avatar',
    headers: bearer(user.accessToken),
    payload: { file: png.toString('base64') },
  });
  assert.equal(json.statusCode, 415);
  const raw = await app.inject({
    method: 'PUT',
    url: '/accounts/v1/user/avatar',
    headers: { ...bearer(user.accessToken), 'content-type': 'image/png' },
    payload: png,
  });
  assert.equal(raw.statusCode, 415);
  const noBoundary = await app.inject({
    method: 'PUT',
    url: '/accounts/v1/user/avatar',
    headers: { ...bearer(user.accessToken), 'content-type': 'multipart/form-data' },
    payload: png,
  });
  assert.equal(noBoundary.statusCode, 400);

  const anonymous = await upload(undefined, [
    { name: 'file', filename: 'me.png', type: 'image/png', data: png },
  ]);
  assert.equal(anonymous.statusCode, 401);
});
