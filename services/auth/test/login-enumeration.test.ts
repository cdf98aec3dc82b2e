import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { buildTestAuth, signUp } from './helper.ts';

const { app } = await buildTestAuth();

const attempt = (payload: Record<string, string>) =>
  app.inject({ method: 'POST', url: '/accounts/v1/login', payload });

function comparable(res: Awaited<ReturnType<typeof attempt>>) {
  const { request_id, ...body } = res.json();
  assert.ok(request_id);
  return {
    status: res.statusCode,
    type: res.headers['content-type'],
    challenge: res.headers['www-authenticate'],
    body,
  };
}

async function timed(payload: Record<string, string>): Promise<number> {
  const started = performance.now();
  const res = await attempt(payload);
  const elapsed = performance.now() - started;
  assert.equal(res.statusCode, 401);
  return elapsed;
}

const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

test('an unknown email and a wrong password get the identical answer', async () => {
  const user = await signUp(app);
  const unknown = await attempt({ email: 'nobody@example.com', password: user.password });
  const wrong = await attempt({ email: user.email, password: 'not the password' });
  assert.equal(unknown.statusCode, 401);
  assert.deepEqual(comparable(unknown), comparable(wrong));
  assert.equal(comparable(wrong).challenge, 'Bearer');
});

test('an unknown username and a wrong password get the identical answer', async () => {
  const user = await signUp(app);
  const unknown = await attempt({ username: 'nobody_at_all', password: user.password });
  const wrong = await attempt({ username: user.username, password: 'not the password' });
  assert.deepEqual(comparable(unknown), comparable(wrong));
});

test('an unknown email takes about as long as a wrong password', async () => {
  const users = await Promise.all([1, 2, 3, 4, 5].map(() => signUp(app)));
  // Warm up both paths (the first unknown login also prepares the dummy hash).
  await timed({ email: 'warm-up@example.com', password: 'whatever it is' });
  await timed({ email: users[0]!.email, password: 'whatever it is' });
  const unknown: number[] = [];
  const wrong: number[] = [];
  for (const [i, user] of users.entries()) {
    unknown.push(await timed({ email: `ghost${i}@example.com`, password: 'guess number one' }));
    wrong.push(await timed({ email: user.email, password: 'guess number one' }));
  }
  const [a, b] = [median(unknown), median(wrong)];
  assert.ok(a < b * 3 && b < a * 3, `median unknown ${a} ms, wrong password ${b} ms`);
});
