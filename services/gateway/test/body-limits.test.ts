import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { type RawAnswer, sendBodyRepeatedly } from '@platform/testing';
import { closeAtEnd } from './helpers.ts';
import { mainBehindGateway, signUp } from './services.ts';

// Enough tries to catch a failure seen in a third of them (a 1 in 3000 chance to miss it).
const TRIES = 20;
const MB = 1024 * 1024;
const jsonOf = (bytes: number) => Buffer.from(`"${'x'.repeat(bytes - 2)}"`);

function assertTooLarge(answers: RawAnswer[]) {
  assert.equal(answers.length, TRIES);
  for (const answer of answers) {
    assert.equal(answer.status, 413, answer.body);
    assert.match(String(answer.headers['content-type']), /problem\+json/);
    assert.equal(JSON.parse(answer.body).status, 413);
  }
}

/** Each body also as fetch sends it: a client that gets a reset cannot read the answer. */
async function fetchRepeatedly(url: string, body: Buffer, headers: Record<string, string>) {
  const answers: RawAnswer[] = [];
  for (let i = 0; i < TRIES; i++) {
    const response = await fetch(url, { method: 'POST', headers, body }).catch((error) => {
      throw new Error(`fetch try ${i + 1}: ${error.message} ${error.cause?.code ?? ''}`);
    });
    answers.push({
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: await response.text(),
    });
  }
  return answers;
}

describe('a body over a limit is a readable 413 through the gateway, never a reset or a 502', () => {
  let url: string;
  let token: string;
  const { cleanup } = closeAtEnd();

  before(async () => {
    ({ url } = await mainBehindGateway(cleanup));
    token = (await signUp(url)).accessToken;
  });

  const json = { 'content-type': 'application/json' };

  test("2 MB of JSON, over the gateway's own limit", async () => {
    const body = jsonOf(2 * MB);
    for (const chunked of [false, true]) {
      assertTooLarge(
        await sendBodyRepeatedly(TRIES, `${url}/main/v1/posts`, body, { headers: json, chunked }),
      );
    }
    assertTooLarge(await fetchRepeatedly(`${url}/main/v1/posts`, body, json));
  });

  test("900 KB of JSON: under the gateway's limit, over main's", async () => {
    const body = jsonOf(900 * 1024);
    const headers = { ...json, authorization: `Bearer ${token}` };
    assertTooLarge(await sendBodyRepeatedly(TRIES, `${url}/main/v1/posts`, body, { headers }));
    assertTooLarge(await fetchRepeatedly(`${url}/main/v1/posts`, body, headers));
  });

  test('2 MB of JSON to the avatar upload, whose own limit is 5 MB of multipart', async () => {
    const body = jsonOf(2 * MB);
    const headers = { ...json, authorization: `Bearer ${token}` };
    const avatar = `${url}/accounts/v1/user/avatar`;
    assertTooLarge(await sendBodyRepeatedly(TRIES, avatar, body, { method: 'PUT', headers }));
  });
});
