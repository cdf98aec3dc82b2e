import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { loggerOptions } from '@platform/http';
import { logCapture } from '@platform/testing';
import pino from 'pino';
import { closeAtEnd, echo, startGateway, startUpstream } from './helpers.ts';
import { eventually } from './services.ts';

/** A client that goes away is not the server failing: one quiet line, no error, no stack. */
const { cleanup } = closeAtEnd();
const upstream = await startUpstream(echo('main'));
cleanup(upstream.close);
const logs = logCapture();
const gateway = await startGateway(
  { AUTH_URLS: upstream.url, MAIN_URLS: upstream.url },
  { logger: pino(loggerOptions('gateway', 'debug'), logs.stream) },
);
cleanup(() => gateway.app.close());

const entries = () => logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);

test('a client that aborts mid-body is logged as one line below warn, without a stack', async () => {
  const { hostname, port } = new URL(gateway.url);
  const socket = connect({ host: hostname, port: Number(port) });
  socket.on('error', () => {});
  socket.write(
    'POST /main/v1/posts HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n"abc',
  );
  // Once the gateway has started reading the body, the client disappears.
  await eventually(async () => socket.writableLength === 0);
  await new Promise((resolve) => setTimeout(resolve, 200));
  socket.destroy();
  // Before the fix: "unhandled error" at error level, with the stack of Node's "aborted".
  await eventually(async () => entries().some((e) => e.request_id !== undefined));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const loud = entries().filter((e) => ['warn', 'error', 'fatal'].includes(String(e.level)));
  assert.deepEqual(loud, [], 'nothing at warn or above');
  assert.ok(!logs.text().includes('"stack"'), 'no stack');
  const said = entries().filter((e) => /went away/.test(String(e.msg)));
  assert.equal(said.length, 1, logs.text());
  assert.equal(said[0]!.level, 'info');
});
