import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createApp, HttpProblem, isNotModified } from '../src/index.ts';

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

test('a change to a resource that has a JSON read honours If-Match against that read: a stale tag is a 412, before anything changes', async () => {
  const app = await createApp({ name: 'conditional', logLevel: 'silent' });
  let profile = { name: 'first' };
  let changes = 0;
  const signedIn = async (request: { headers: Record<string, unknown> }) => {
    if (request.headers.authorization !== 'Bearer ok') throw new HttpProblem(401, 'Sign in.');
  };
  app.get('/profile', { preHandler: signedIn }, async () => ({ profile }));
  app.patch('/profile', { preHandler: signedIn }, async (request) => {
    changes += 1;
    profile = request.body as { name: string };
    return { profile };
  });
  app.delete('/profile', { preHandler: signedIn }, async (_request, reply) => {
    changes += 1;
    return reply.code(204).send();
  });
  // No read at this URL: there is no version to hold the change to.
  app.put('/settings', async () => {
    changes += 1;
    return { ok: true };
  });
  // One route for every method, as the gateway's catch-all: the service behind it decides.
  app.all('/proxied/*', async (request) => ({ method: request.method }));
  const auth = { authorization: 'Bearer ok' };
  try {
    const proxied = await app.inject({
      method: 'PATCH',
      url: '/proxied/thing',
      headers: { 'if-match': '"stale"' },
    });
    assert.equal(proxied.statusCode, 200);
    const tag = (await app.inject({ url: '/profile', headers: auth })).headers.etag as string;
    const patch = (ifMatch: string, headers: Record<string, string> = auth) =>
      app.inject({
        method: 'PATCH',
        url: '/profile',
        headers: { ...headers, 'if-match': ifMatch },
        payload: { name: 'second' },
      });

    const stale = await patch('W/"something-else"');
    assert.equal(stale.statusCode, 412);
    assert.equal(stale.json().code, 'version_conflict');
    assert.equal(changes, 0);
    assert.equal(profile.name, 'first');
    // The 401 of the route's own check comes first: a precondition tells nothing to a stranger.
    assert.equal((await patch('"x"', {})).statusCode, 401);

    for (const current of [tag, tag.slice(2), `"x", ${tag}`]) {
      profile = { name: 'first' };
      const ok = await patch(current);
      assert.equal(ok.statusCode, 200, current);
    }
    assert.equal((await patch('*')).statusCode, 200);
    assert.equal((await patch(tag)).statusCode, 412, 'the tag of the version before the change');
    const deleted = await app.inject({
      method: 'DELETE',
      url: '/profile',
      headers: { ...auth, 'if-match': tag },
    });
    assert.equal(deleted.statusCode, 412);

    const before = changes;
    const settings = await app.inject({
      method: 'PUT',
      url: '/settings',
      headers: { 'if-match': '"anything"' },
    });
    assert.equal(settings.statusCode, 200);
    assert.equal(changes, before + 1);
  } finally {
    await app.close();
  }
});

test("the read a conditional change makes is the change's: under its request id, and not counted as a GET in the request metrics", async () => {
  const app = await createApp({ name: 'conditional', logLevel: 'silent' });
  const readIds: string[] = [];
  app.get('/profile', async (request) => {
    readIds.push(request.id);
    return { name: 'first' };
  });
  app.patch('/profile', async () => ({ name: 'second' }));
  const gets = async () => {
    const text = (await app.inject({ url: '/metrics' })).body;
    return Number(
      /^http_request_duration_seconds_count\{[^}]*method="GET",route="\/profile"[^}]*\} (\d+)/m.exec(
        text,
      )?.[1] ?? 0,
    );
  };
  try {
    const tag = (await app.inject({ url: '/profile' })).headers.etag as string;
    assert.equal(await gets(), 1);
    for (const ifMatch of [tag, '"stale"']) {
      const changed = await app.inject({
        method: 'PATCH',
        url: '/profile',
        headers: { 'if-match': ifMatch, 'x-request-id': `change-${ifMatch.length}` },
        payload: { name: 'second' },
      });
      assert.equal(changed.statusCode, ifMatch === tag ? 200 : 412);
      assert.equal(readIds.at(-1), `change-${ifMatch.length}`);
    }
    assert.equal(await gets(), 1, 'one GET: the two reads made for the changes are theirs');
    // A client cannot pass its own requests off as such reads.
    await app.inject({ url: '/profile', headers: { 'x-platform-own-read': 'guess' } });
    assert.equal(await gets(), 2);
  } finally {
    await app.close();
  }
});

test('a change whose version cannot be read (the read fails) is a 503, not made without its If-Match', async () => {
  const app = await createApp({ name: 'conditional', logLevel: 'silent' });
  let failing = false;
  let changes = 0;
  app.get('/profile', async () => {
    if (failing) throw new Error('the database went away');
    return { name: 'first' };
  });
  app.patch('/profile', async () => {
    changes += 1;
    return { name: 'second' };
  });
  try {
    const tag = (await app.inject({ url: '/profile' })).headers.etag as string;
    failing = true;
    for (const ifMatch of ['"stale"', tag, '*']) {
      const changed = await app.inject({
        method: 'PATCH',
        url: '/profile',
        headers: { 'if-match': ifMatch },
        payload: { name: 'second' },
      });
      assert.equal(changed.statusCode, 503, ifMatch);
      assert.equal(changed.json().code, 'service_unavailable');
      assert.ok(changed.headers['retry-after']);
    }
    assert.equal(changes, 0);
    // Without If-Match nothing is read: the change goes ahead.
    const plain = await app.inject({ method: 'PATCH', url: '/profile', payload: { name: 'x' } });
    assert.equal(plain.statusCode, 200);
  } finally {
    await app.close();
  }
});
