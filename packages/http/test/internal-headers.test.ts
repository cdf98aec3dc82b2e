import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import type { FastifyReply } from 'fastify';
import { type App, CLOSING_REFUSAL_HEADER, createApp, ROUTE_HEADER } from '../src/index.ts';

/**
 * The headers a service means for the gateway alone (the closing refusal's mark, which makes the
 * gateway send a request, a write too, to another instance; the route template) must not leave an
 * app that does not mean them, whichever API writes the head: Fastify's reply, or the raw
 * response's writeHead (headers as an object or an array, with a reason phrase or without) and
 * setHeader, as a hijacked reply or a hook writes it.
 */
const writers: Record<string, (reply: FastifyReply, name: string) => void> = {
  'writeHead with an object': (reply, name) => {
    reply.hijack();
    reply.raw.writeHead(503, { 'content-type': 'application/json', [name.toUpperCase()]: '1' });
    reply.raw.end('{}');
  },
  'writeHead with a reason and an object': (reply, name) => {
    reply.hijack();
    reply.raw.writeHead(503, 'Down', { [name]: '1', connection: 'close' });
    reply.raw.end('{}');
  },
  'writeHead with an array': (reply, name) => {
    reply.hijack();
    reply.raw.writeHead(503, ['content-type', 'application/json', name, '1']);
    reply.raw.end('{}');
  },
  'writeHead with an array after setHeader': (reply, name) => {
    reply.hijack();
    reply.raw.setHeader('cache-control', 'no-store');
    reply.raw.writeHead(503, [name, '1']);
    reply.raw.end('{}');
  },
  'setHeader, then end': (reply, name) => {
    reply.hijack();
    reply.raw.statusCode = 503;
    reply.raw.setHeader(name, '1');
    reply.raw.end('{}');
  },
  'reply.header, then reply.send': (reply, name) => {
    reply.header(name, '1').code(503).send({});
  },
  'setHeader, then reply.send': (reply, name) => {
    reply.raw.setHeader(name, '1');
    reply.code(503).send({});
  },
};

async function serve(app: App, name: string) {
  let i = 0;
  const paths: Record<string, string> = {};
  for (const [label, write] of Object.entries(writers)) {
    const path = `/w${i++}`;
    paths[label] = path;
    app.get(path, (_request, reply) => write(reply, name));
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  after(() => app.close());
  return { base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, paths };
}

/** The writers whose 503 carried `name`. */
async function leaking(base: string, paths: Record<string, string>, name: string) {
  const leaks: string[] = [];
  for (const [label, path] of Object.entries(paths)) {
    const response = await fetch(`${base}${path}`);
    await response.arrayBuffer();
    assert.equal(response.status, 503, label);
    if (response.headers.get(name) !== null) leaks.push(label);
  }
  return leaks;
}

test("a service's closing-refusal mark leaves on its closing refusal alone, whatever writes a route's head", async () => {
  const { base, paths } = await serve(
    await createApp({ name: 'demo', logLevel: 'silent' }),
    CLOSING_REFUSAL_HEADER,
  );
  assert.deepEqual(await leaking(base, paths, CLOSING_REFUSAL_HEADER), []);
});

test('an app facing clients (the gateway) lets neither internal header leave, whatever writes the head', async () => {
  for (const name of [CLOSING_REFUSAL_HEADER, ROUTE_HEADER]) {
    const app = await createApp({
      name: 'edge',
      logLevel: 'silent',
      routeHeader: false,
      markClosingRefusals: false,
    });
    const { base, paths } = await serve(app, name);
    assert.deepEqual(await leaking(base, paths, name), [], name);
  }
});
