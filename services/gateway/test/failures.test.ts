import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failureOf } from '../src/proxy/failures.ts';
import { closeAtEnd, deadUrl, echo, json, type Problem, startUpstream } from './helpers.ts';

const { cleanup, gateway } = closeAtEnd();

test('an upstream that is down answers 503 problem+json at once', async () => {
  const url = await gateway({ AUTH_URLS: await deadUrl() });
  const started = Date.now();
  const response = await fetch(`${url}/accounts/v1/user`, { headers: { 'x-request-id': 'r-1' } });
  assert.ok(Date.now() - started < 1500, 'answered quickly');
  assert.equal(response.status, 503);
  assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
  const problem = await json<Problem>(response);
  assert.equal(problem.status, 503);
  assert.equal(problem.request_id, 'r-1');
  assert.match(problem.detail, /auth/);
});

test('a slow upstream answers 504 after the timeout', async () => {
  const slow = await startUpstream(() => {});
  cleanup(slow.close);
  const url = await gateway({ AUTH_URLS: slow.url, UPSTREAM_TIMEOUT: 1 });
  const started = Date.now();
  const response = await fetch(`${url}/accounts/v1/user`);
  const elapsed = Date.now() - started;
  assert.equal(response.status, 504);
  assert.ok(elapsed >= 900 && elapsed < 5000, `took ${elapsed} ms`);
  assert.equal((await json<Problem>(response)).status, 504);
});

test('a service that is not deployed answers 503', async () => {
  const auth = await startUpstream(echo('auth'));
  cleanup(auth.close);
  const url = await gateway({ AUTH_URLS: auth.url });
  const response = await fetch(`${url}/analytics/v1/reports`);
  assert.equal(response.status, 503);
  assert.match((await json<Problem>(response)).detail, /analytics/);
});

test('requests are spread over instances, and a dead one does not fail reads', async () => {
  const [a, b] = await Promise.all([startUpstream(echo('a')), startUpstream(echo('b'))]);
  cleanup(a!.close, b!.close);
  const url = await gateway({
    AUTH_URLS: a!.url,
    MAIN_URLS: `${a!.url}, ${b!.url},${await deadUrl()}`,
  });
  const seen: string[] = [];
  for (let i = 0; i < 6; i++) {
    const response = await fetch(`${url}/main/v1/posts`);
    assert.equal(response.status, 200);
    seen.push((await json(response)).service);
  }
  assert.ok(seen.includes('a') && seen.includes('b'), seen.join());
});

test('a host unreachable on a connection already made is a broken connection, not "never reached": a write is not sent again', () => {
  // Linux reports EHOSTUNREACH / ENETUNREACH on an established socket too (an ICMP error while
  // it retransmits: the instance's host or network went away mid-exchange), after the request
  // was written and perhaps processed. Only the connect (or the lookup) failing proves it was not.
  const onRead = (code: string) =>
    Object.assign(new Error(`read ${code}`), { code, errno: -113, syscall: 'read' });
  for (const code of ['EHOSTUNREACH', 'ENETUNREACH']) {
    const failure = failureOf(onRead(code), 'main');
    assert.equal(failure.unprocessed, undefined, code);
    assert.equal(failure.unreachable, undefined, code);
    // A read that got no answer may still go to another instance, as after a reset.
    assert.equal(failure.retriable, true, code);
    const writeFailed = Object.assign(new Error(`write ${code}`), { code, syscall: 'write' });
    assert.equal(failureOf(writeFailed, 'main').unprocessed, undefined, code);
  }
  // The same codes from the connect itself still prove the request never left.
  const onConnect = Object.assign(new Error('connect EHOSTUNREACH 10.0.0.9:3000'), {
    code: 'EHOSTUNREACH',
    syscall: 'connect',
  });
  assert.equal(failureOf(onConnect, 'main').unprocessed, 'unreachable');
  const refused = Object.assign(new Error('connect ECONNREFUSED'), {
    code: 'ECONNREFUSED',
    syscall: 'connect',
  });
  assert.equal(failureOf(refused, 'main').unprocessed, 'unreachable');
  // Happy eyeballs (several addresses) rejects with an AggregateError carrying the code alone.
  const aggregate = Object.assign(new AggregateError([refused], 'connect failed'), {
    code: 'ECONNREFUSED',
  });
  assert.equal(failureOf(aggregate, 'main').unprocessed, 'unreachable');
  const lookup = Object.assign(new Error('getaddrinfo ENOTFOUND main'), {
    code: 'ENOTFOUND',
    syscall: 'getaddrinfo',
  });
  assert.equal(failureOf(lookup, 'main').unprocessed, 'unreachable');
});
