import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isNotModified } from '../src/index.ts';

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
