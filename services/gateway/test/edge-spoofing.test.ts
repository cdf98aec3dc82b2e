import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import {
  acceptUserTokens,
  closeAtEnd,
  echo,
  type Seen,
  startGateway,
  startUpstream,
} from './helpers.ts';

/**
 * What a client can claim about itself at the edge (found by the session-13 review): the gateway
 * is the one authority on who is asking, so no spelling of an identity or address header, and no
 * second token beside the one it checked, may reach a service; and no address inside one IPv6
 * /64 counts as a new client.
 */
const { cleanup } = closeAtEnd();
const upstream = await startUpstream(echo('main'));
cleanup(upstream.close);

/** Sends `headers` as given, repeated names repeated (fetch would join them into one). */
function send(base: string, path: string, headers: [string, string][], method = 'GET') {
  // Given as a list, Node adds no Host of its own.
  const raw = [['host', new URL(base).host], ...headers].flat();
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: raw }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Writes `head` as it is and reads the whole answer (the connection closes after it). */
function sendRaw(base: string, head: string) {
  const { hostname, port } = new URL(base);
  return new Promise<string>((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(head));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      data += chunk;
    });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

test('underscore spellings of identity and forwarding headers never reach a service', async () => {
  const { app, url } = await startGateway({ MAIN_URLS: upstream.url });
  cleanup(() => app.close());
  const answer = await send(url, '/main/v1/posts', [
    ['x_user_id', 'admin'],
    ['X_Service_Token', 'guess'],
    ['x-user_roles', 'admin'],
    ['x_forwarded_for', '203.0.113.9'],
    ['x_real_ip', '203.0.113.9'],
    ['x-custom', 'kept'],
  ]);
  assert.equal(answer.status, 200);
  const seen = (JSON.parse(answer.body) as Seen).headers;
  const underscored = Object.keys(seen).filter((name) => name.includes('_'));
  assert.deepEqual(underscored, []);
  assert.equal(seen['x-custom'], 'kept');
});

test('a client’s X-Real-IP and Forwarded are replaced by the address the gateway settled on', async () => {
  const { app, url } = await startGateway({ MAIN_URLS: upstream.url });
  cleanup(() => app.close());
  const answer = await send(url, '/main/v1/posts', [
    ['x-real-ip', '203.0.113.9'],
    ['forwarded', 'for=203.0.113.9;proto=https'],
  ]);
  const seen = (JSON.parse(answer.body) as Seen).headers;
  assert.equal(seen['x-real-ip'], '127.0.0.1');
  assert.equal(seen['x-forwarded-for'], '127.0.0.1');
  assert.equal(seen.forwarded, undefined);
});

test('only the Authorization the edge verified reaches the service, never a second one', async () => {
  const seen: string[][] = [];
  const service = await startUpstream((req, res) => {
    const values: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i]!.toLowerCase() === 'authorization') values.push(req.rawHeaders[i + 1]!);
    }
    seen.push(values);
    res.end('{}');
  });
  cleanup(service.close);
  const gateway = await startGateway({ MAIN_URLS: service.url }, { auth: acceptUserTokens });
  cleanup(() => gateway.app.close());
  const answer = await send(gateway.url, '/main/v1/posts', [
    ['authorization', 'Bearer user-1'],
    ['authorization', 'Bearer forged-and-never-checked'],
  ]);
  assert.equal(answer.status, 200);
  assert.deepEqual(seen, [['Bearer user-1']]);
});

test('addresses inside one IPv6 /64 share the per-address limits; other clients do not', async () => {
  // Behind a trusted proxy (NGINX, an ingress) that names the client in X-Forwarded-For.
  const { app, url } = await startGateway({
    MAIN_URLS: upstream.url,
    AUTH_URLS: upstream.url,
    TRUST_PROXY: '127.0.0.1',
    RATE_LIMIT_LOGIN: 3,
    RATE_LIMIT_PER_ADDRESS: 3,
  });
  cleanup(() => app.close());
  const from = (address: string, path = '/accounts/v1/login') =>
    send(
      url,
      path,
      [
        ['x-forwarded-for', address],
        ['content-type', 'application/json'],
      ],
      'POST',
    );
  const rotating = [];
  for (const host of ['a', 'b', 'c', 'd'])
    rotating.push((await from(`2001:db8:1:2::${host}`)).status);
  assert.deepEqual(rotating, [200, 200, 200, 429]);
  // Another /64, and IPv4 clients (also as a dual-stack listener sees them), are other clients.
  assert.equal((await from('2001:db8:1:3::a')).status, 200);
  assert.equal((await from('198.51.100.1')).status, 200);
  assert.equal((await from('::ffff:198.51.100.2')).status, 200);
  const reads = [];
  for (const host of ['1', '2', '3', '4']) {
    reads.push((await from(`2001:db8:5:6:${host}::1`, '/main/v1/posts')).status);
  }
  assert.deepEqual(reads, [200, 200, 200, 429]);
});

test('a request line in absolute-form reaches the service as its path alone', async () => {
  const { app, url } = await startGateway({ MAIN_URLS: upstream.url });
  cleanup(() => app.close());
  const answer = await sendRaw(
    url,
    'GET http://evil.example/main/v1/posts?limit=1 HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n',
  );
  assert.match(answer, /^HTTP\/1\.1 200/);
  const seen = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Seen;
  assert.equal(seen.url, '/main/v1/posts?limit=1');
  assert.equal(seen.headers['x-forwarded-host'], 'gateway');
});

test('an Expect other than 100-continue is ignored, as NGINX ignores it, not a bare 417', async () => {
  const { app, url } = await startGateway({ MAIN_URLS: upstream.url });
  cleanup(() => app.close());
  const answer = await send(url, '/main/v1/posts', [['expect', 'something-else']]);
  assert.equal(answer.status, 200);
  assert.equal((JSON.parse(answer.body) as Seen).headers.expect, undefined);
});

test('two Host headers, or one that is no host, are a 400 problem and never reach a service', async () => {
  let reached = 0;
  const counting = await startUpstream((_req, res) => {
    reached++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  cleanup(counting.close);
  const { app, url } = await startGateway({ MAIN_URLS: counting.url });
  cleanup(() => app.close());
  const host = new URL(url).host;
  for (const hosts of [`Host: ${host}\r\nHost: evil.example`, 'Host: a b', 'Host: a/b']) {
    const answer = await sendRaw(
      url,
      `GET /main/v1/posts HTTP/1.1\r\n${hosts}\r\nConnection: close\r\n\r\n`,
    );
    assert.match(answer, /^HTTP\/1\.1 400 /, hosts);
    assert.match(answer, /content-type: application\/problem\+json/i, hosts);
    assert.match(answer, /"code":"bad_request"/, hosts);
  }
  assert.equal(reached, 0);
  // Host names, addresses and ports a client really sends still pass.
  for (const good of [host, 'api.example.com', '[::1]:8080', 'xn--bcher-kva.example']) {
    const answer = await sendRaw(
      url,
      `GET /main/v1/posts HTTP/1.1\r\nHost: ${good}\r\nConnection: close\r\n\r\n`,
    );
    assert.match(answer, /^HTTP\/1\.1 200 /, good);
  }
  // HTTP/1.0 may leave Host out.
  const old = await sendRaw(url, 'GET /main/v1/posts HTTP/1.0\r\n\r\n');
  assert.match(old, /^HTTP\/1\.[01] 200 /);
  assert.equal(reached, 5);
});

test('behind a trusted proxy, its X-Forwarded-Host is checked even when no Host came (HTTP/1.0)', async () => {
  let reached = 0;
  const counting = await startUpstream((_req, res) => {
    reached++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  cleanup(counting.close);
  const { app, url } = await startGateway({ MAIN_URLS: counting.url, TRUST_PROXY: '127.0.0.1' });
  cleanup(() => app.close());
  const bad = await sendRaw(url, 'GET /main/v1/posts HTTP/1.0\r\nX-Forwarded-Host: a b\r\n\r\n');
  assert.match(bad, /^HTTP\/1\.[01] 400 /);
  assert.match(bad, /"code":"bad_request"/);
  assert.equal(reached, 0);
  const good = await sendRaw(
    url,
    'GET /main/v1/posts HTTP/1.0\r\nX-Forwarded-Host: api.example.com\r\n\r\n',
  );
  assert.match(good, /^HTTP\/1\.[01] 200 /);
  assert.equal(reached, 1);
});
