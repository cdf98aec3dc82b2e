import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { before, describe, test } from 'node:test';
import { sendBody } from '@platform/testing';
import { closeAtEnd, echo, metricsOf, startUpstream } from './helpers.ts';
import { eventually, mainBehindGateway, post, signUp } from './services.ts';

/** A raw connection to `url` that sends `text` and keeps what comes back. */
function openSocket(url: string, text = '', localAddress?: string) {
  const { hostname, port } = new URL(url);
  const socket = connect({
    host: hostname,
    port: Number(port),
    ...(localAddress ? { localAddress } : {}),
  });
  const state = { socket, received: '', closed: false };
  socket.on('data', (chunk) => {
    state.received += chunk;
  });
  socket.on('close', () => {
    state.closed = true;
  });
  socket.on('error', () => {});
  if (text) socket.write(text);
  return state;
}

/** Headers that promise a body of 1000 bytes, and the first 10 of them. */
const partialBody = (path: string) =>
  `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n"${'x'.repeat(9)}`;

const closeAll = (sockets: { socket: Socket }[]) => {
  for (const { socket } of sockets) socket.destroy();
};

describe('a client that stops sending its body holds no connection to the service', () => {
  let url: string;
  let token: string;
  const { cleanup } = closeAtEnd();

  before(async () => {
    // All 140 come from one address here, past the default of 64 connections per address.
    ({ url } = await mainBehindGateway(cleanup, { MAX_CONNECTIONS_PER_ADDRESS: 200 }));
    token = (await signUp(url)).accessToken;
  });

  test('140 silent half-sent bodies (more than the 128 connections to main) block nobody', async () => {
    const stalled = Array.from({ length: 140 }, () =>
      openSocket(url, partialBody('/main/v1/posts')),
    );
    try {
      // Every one of them is past its headers and into its body at the gateway.
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Before the fix each of these waited for a connection to main until its total timeout.
      const list = await fetch(`${url}/main/v1/posts`, { signal: AbortSignal.timeout(15_000) });
      assert.equal(list.status, 200);
      const created = await post(
        `${url}/main/v1/posts`,
        { title: 'Still here', body: 'Not held up.', status: 'published' },
        { authorization: `Bearer ${token}` },
      );
      assert.equal(created.status, 201);
      assert.ok(stalled.every((s) => !s.closed && s.received === ''));
    } finally {
      closeAll(stalled);
    }
  });
});

describe('stalled headers and bodies are cut short', () => {
  let requestsSeen = 0;
  let upstreamUrl: string;
  const { cleanup, gateway } = closeAtEnd();

  before(async () => {
    const upstream = await startUpstream((req, res) => {
      if (req.url !== '/health/ready') requestsSeen++;
      req.resume();
      req.on('end', () => echo('main')(req, res));
    });
    cleanup(upstream.close);
    upstreamUrl = upstream.url;
  });

  const gone = (state: { closed: boolean }) => eventually(async () => state.closed, 15_000);

  test('a body silent for CLIENT_BODY_TIMEOUT_MS is a 408, and never reached the service', async () => {
    const url = await gateway({
      AUTH_URLS: upstreamUrl,
      MAIN_URLS: upstreamUrl,
      CLIENT_BODY_TIMEOUT_MS: 300,
    });
    const before = requestsSeen;
    const stalled = openSocket(url, partialBody('/main/v1/anything'));
    await gone(stalled);
    assert.match(stalled.received, /^HTTP\/1\.1 408 /);
    assert.equal(requestsSeen, before);
  });

  test('a body that trickles ends at CLIENT_REQUEST_TIMEOUT with a 408', async () => {
    const url = await gateway({
      AUTH_URLS: upstreamUrl,
      MAIN_URLS: upstreamUrl,
      CLIENT_REQUEST_TIMEOUT: 1,
    });
    const slow = openSocket(url, partialBody('/main/v1/anything'));
    const drip = setInterval(() => slow.socket.write('x'), 100);
    try {
      await gone(slow);
    } finally {
      clearInterval(drip);
    }
    assert.match(slow.received, /^HTTP\/1\.1 408 /);
  });

  test('100 sockets with headers half sent, or nothing at all, are closed after CLIENT_HEADERS_TIMEOUT_MS', async () => {
    const url = await gateway({
      AUTH_URLS: upstreamUrl,
      MAIN_URLS: upstreamUrl,
      CLIENT_HEADERS_TIMEOUT_MS: 500,
      MAX_CONNECTIONS_PER_ADDRESS: 200,
    });
    const sockets = [
      ...Array.from({ length: 100 }, () =>
        openSocket(url, 'GET /main/v1/x HTTP/1.1\r\nhost: x\r\n'),
      ),
      openSocket(url),
    ];
    try {
      // Before the fix: 60 s, checked every 30 s.
      await Promise.all(sockets.map(gone));
    } finally {
      closeAll(sockets);
    }
    assert.match(sockets[0]!.received, /^HTTP\/1\.1 408 /);
  });

  test('bodies held at once past BODY_BUFFER_TOTAL are refused with a 503', async () => {
    const url = await gateway({
      AUTH_URLS: upstreamUrl,
      MAIN_URLS: upstreamUrl,
      BODY_BUFFER_TOTAL: 100_000,
    });
    const holding = openSocket(
      url,
      `${partialBody('/main/v1/a').replace('1000', '90000')}${'x'.repeat(80_000)}`,
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const refused = await sendBody(`${url}/main/v1/b`, Buffer.from(`"${'y'.repeat(50_000)}"`), {
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers['retry-after'], '1');
    } finally {
      closeAll([holding]);
    }
    // Once the first has gone, its bytes are no longer counted.
    await eventually(async () => {
      const answer = await sendBody(`${url}/main/v1/b`, Buffer.from('"small"'), {
        headers: { 'content-type': 'application/json' },
      });
      return answer.status === 200;
    });
  });
});

const getFrom = (url: string, localAddress: string) =>
  new Promise<number>((resolve, reject) => {
    const req = request(`${url}/main/v1/x`, { localAddress, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });

describe('with the default settings (npm start: every client on loopback) each address gets 64 connections', () => {
  const { cleanup, gateway } = closeAtEnd();

  test('the 65th from 127.0.0.5 is closed at once; 127.0.0.6 is still served', async () => {
    const upstream = await startUpstream(echo('main'));
    cleanup(upstream.close);
    const url = await gateway({ AUTH_URLS: upstream.url, MAIN_URLS: upstream.url });
    const held = Array.from({ length: 64 }, () => openSocket(url, '', '127.0.0.5'));
    try {
      await Promise.all(held.map((s) => once(s.socket, 'connect')));
      await assert.rejects(getFrom(url, '127.0.0.5'));
      assert.equal(await getFrom(url, '127.0.0.6'), 200);
      // The 64 themselves were all kept.
      assert.ok(held.every((s) => !s.closed));
    } finally {
      closeAll(held);
    }
  });
});

describe('connections per client address are capped', () => {
  let url: string;
  const { cleanup, gateway } = closeAtEnd();

  before(async () => {
    const upstream = await startUpstream(echo('main'));
    cleanup(upstream.close);
    // Only 127.0.0.1 stands for a proxy here; 127.0.0.2 and 127.0.0.3 are clients of their own.
    url = await gateway({
      AUTH_URLS: upstream.url,
      MAIN_URLS: upstream.url,
      TRUST_PROXY: '127.0.0.1',
      MAX_CONNECTIONS_PER_ADDRESS: 5,
    });
  });

  const get = (localAddress: string) => getFrom(url, localAddress);

  test('one address gets MAX_CONNECTIONS_PER_ADDRESS; others and trusted proxies are not held to its count', async () => {
    const held = Array.from({ length: 5 }, () => openSocket(url, '', '127.0.0.2'));
    try {
      await Promise.all(held.map((s) => once(s.socket, 'connect')));
      await assert.rejects(get('127.0.0.2'));
      assert.equal(await get('127.0.0.3'), 200);
      const proxied = await Promise.all(Array.from({ length: 10 }, () => get('127.0.0.1')));
      assert.ok(proxied.every((status) => status === 200));
      assert.match(await metricsOf(url), /gateway_connections_refused_total\{[^}]*\} [1-9]/);
      held[0]!.socket.destroy();
      await eventually(async () => (await get('127.0.0.2').catch(() => 0)) === 200);
    } finally {
      closeAll(held);
    }
  });
});
