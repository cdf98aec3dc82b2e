import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createApp, isNotModified } from '../src/index.ts';

const etag = '"abc.3"';

test('If-None-Match matches by weak comparison, any tag of a list, or *', () => {
  for (const header of [etag, `W/${etag}`, `"x", ${etag}`, `"x",W/${etag}`, '*', ' "x" , * ']) {
    assert.equal(isNotModified(header, etag), true, header);
  }
  assert.equal(isNotModified(etag, `W/${etag}`), true, 'a weak current tag');
});

test('a different tag, a tag inside another, or no header is not a match', () => {
  for (const header of [undefined, '', '"abc.4"', '"abc"', '"abc.3, x"', 'abc.3', '"*"']) {
    assert.equal(isNotModified(header, etag), false, String(header));
  }
});

test('every JSON read without an ETag of its own gets a weak one, and If-None-Match is a 304', async () => {
  const app = await createApp({ name: 'conditional', logLevel: 'silent' });
  let name = 'first';
  app.get('/profile', async () => ({ name }));
  app.get('/versioned', async (_request, reply) => reply.header('etag', '"v7"').send({ v: 7 }));
  app.get('/text', async (_request, reply) => reply.type('text/plain').send('plain'));
  app.get('/missing', async (_request, reply) => reply.code(404).send({ gone: true }));
  app.post('/profile', async () => ({ name }));
  try {
    const first = await app.inject({ url: '/profile' });
    const tag = first.headers.etag as string;
    assert.match(tag, /^W\/"[\w-]+"$/);
    assert.equal((await app.inject({ url: '/profile' })).headers.etag, tag, 'same bytes, same tag');
    for (const header of [tag, tag.slice(2), `"x", ${tag}`, '*']) {
      const again = await app.inject({ url: '/profile', headers: { 'if-none-match': header } });
      assert.equal(again.statusCode, 304, header);
      assert.equal(again.body, '');
      assert.equal(again.headers.etag, tag);
    }
    const head = await app.inject({
      method: 'HEAD',
      url: '/profile',
      headers: { 'if-none-match': tag },
    });
    assert.equal(head.statusCode, 304);
    name = 'second';
    const changed = await app.inject({ url: '/profile', headers: { 'if-none-match': tag } });
    assert.equal(changed.statusCode, 200);
    assert.notEqual(changed.headers.etag, tag);

    assert.equal((await app.inject({ url: '/versioned' })).headers.etag, '"v7"', 'a route’s own');
    assert.equal((await app.inject({ url: '/text' })).headers.etag, undefined);
    assert.equal((await app.inject({ url: '/missing' })).headers.etag, undefined);
    const post = await app.inject({
      method: 'POST',
      url: '/profile',
      headers: { 'if-none-match': '*' },
    });
    assert.equal(post.statusCode, 200);
    assert.equal(post.headers.etag, undefined);
  } finally {
    await app.close();
  }
});
