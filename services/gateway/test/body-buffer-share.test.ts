import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { afterEach, test } from 'node:test';
import { sendBody } from '@platform/testing';
import { closeAtEnd, echo, startGateway, startUpstream } from './helpers.ts';
import { clientAt, eventually, signUp, startAuthService, uploadAvatar } from './services.ts';

/**
 * The memory for request bodies (BODY_BUFFER_TOTAL, 64 MiB) is shared by every client; one
 * address that sends bodies and then stalls must not take all of it. Default settings, the real
 * auth service, and a plain echo standing in for main.
 */
const { cleanup } = closeAtEnd();
const auth = await startAuthService();
cleanup(auth.stop);
const main = await startUpstream(echo('main'));
cleanup(main.close);
const gateway = await startGateway({ AUTH_URLS: auth.url, MAIN_URLS: main.url }, { auth: 'real' });
cleanup(() => gateway.app.close());
const { url } = gateway;
await eventually(async () => (await fetch(`${url}/health/ready`)).status === 200);
const owner = await signUp(url);

const TOTAL = 64 * 1024 * 1024;

interface Held {
  socket: Socket;
  received: string;
  flushed: Promise<void>;
}

let held: Held[] = [];
afterEach(() => {
  for (const { socket } of held) socket.destroy();
  held = [];
});

/** From `localAddress`, a request that declares `declared` bytes, sends `sent` of them and stalls. */
function stall(method: string, path: string, declared: number, sent: Buffer): Held {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port), localAddress: '127.0.0.2' });
  socket.on('error', () => {});
  const state: Held = { socket, received: '', flushed: Promise.resolve() };
  socket.on('data', (chunk) => {
    state.received += chunk;
  });
  socket.write(
    `${method} ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/octet-stream\r\ncontent-length: ${declared}\r\n\r\n`,
  );
  state.flushed = new Promise((resolve) => socket.write(sent, () => resolve()));
  held.push(state);
  return state;
}

/** Waits until every stalled request's bytes have left this process, and the gateway has read them. */
async function settle(sockets: Held[]) {
  await Promise.all(sockets.map((s) => s.flushed));
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

async function login(address: string) {
  const client = clientAt(address);
  try {
    const answer = await client.post(`${url}/accounts/v1/login`, {
      email: owner.email,
      password: owner.password,
    });
    return { status: answer.status, body: await answer.text() };
  } finally {
    await client.close();
  }
}

test("the reviewer's attack: 13 anonymous avatar uploads stalled near 5 MB each, and a filler, from one address", async () => {
  const big = Buffer.alloc(5_150_000, 'a');
  const uploads = Array.from({ length: 13 }, () =>
    stall('PUT', '/accounts/v1/user/avatar', 5_300_000, big),
  );
  const filler = stall(
    'POST',
    '/main/v1/posts',
    1_000_000,
    Buffer.alloc(TOTAL - 13 * 5_150_000 - 10, 'a'),
  );
  await settle([...uploads, filler]);

  for (const address of ['127.0.0.1', '127.0.0.3']) {
    const answer = await login(address);
    assert.equal(answer.status, 200, `login from ${address}: ${answer.body}`);
  }
  // The upload needs a token: refused at the edge before its 5 MB were read.
  for (const upload of uploads) {
    await eventually(async () => upload.received !== '');
    assert.match(upload.received, /^HTTP\/1\.1 401 /);
  }
});

test('anonymous bodies stalled from one address get only its share; other addresses are served', async () => {
  // 64 connections (the most one address may open), each a byte short of the 1 MiB limit: all
  // but 64 bytes of the 64 MiB, before each address had a share.
  const almost = Buffer.alloc(1_048_575, 'a');
  const bodies = Array.from({ length: 64 }, () =>
    stall('POST', '/main/v1/posts', 1_048_576, almost),
  );
  await settle(bodies);

  const answer = await login('127.0.0.1');
  assert.equal(answer.status, 200, answer.body);
  const post = await sendBody(`${url}/main/v1/posts`, Buffer.alloc(900_000, 'b'), {
    localAddress: '127.0.0.3',
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(post.status, 200, post.body);
  // A signed-in upload still goes through.
  assert.match(await uploadAvatar(url, owner.accessToken), /avatar/);

  const refused = bodies.filter((b) => /^HTTP\/1\.1 429 /.test(b.received));
  assert.ok(refused.length >= 55, `${refused.length} of the attacker's bodies refused with 429`);
  assert.match(refused[0]!.received, /retry-after: \d+/i);
});

test('a share smaller than the body limit it must hold stops the gateway from starting', async () => {
  await assert.rejects(
    startGateway({ AUTH_URLS: auth.url, BODY_LIMIT: 3 * 1024 * 1024 }),
    /BODY_BUFFER_ANONYMOUS_PER_ADDRESS is invalid/,
  );
  await assert.rejects(
    startGateway({ AUTH_URLS: auth.url, BODY_BUFFER_PER_ADDRESS: 4 * 1024 * 1024 }),
    /BODY_BUFFER_PER_ADDRESS is invalid/,
  );
});
