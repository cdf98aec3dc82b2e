import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { createTestDatabase, openApiConformance } from '@platform/testing';
import { codes } from '../src/errors.ts';
import { openApiDocument } from '../src/openapi.ts';

const database = await createTestDatabase();
const document = await openApiDocument(database.url).finally(() => database.drop());

openApiConformance({ document, codes, source: path.resolve(import.meta.dirname, '../src') });

test('every posts answer refers to the named Post, shown once', () => {
  type Properties = Record<string, unknown>;
  type Answer = { content?: { 'application/json'?: { schema: { properties: Properties } } } };
  const paths = document.paths as Record<string, Record<string, { responses: Answer[] }>>;
  const ref = { $ref: '#/components/schemas/Post' };
  const answers = Object.entries(paths)
    .filter(([path]) => path.startsWith('/main/v1/posts'))
    .flatMap(([, item]) => Object.values(item))
    .flatMap((op) => Object.values(op.responses))
    .map((answer) => answer.content?.['application/json']?.schema.properties)
    .filter((properties) => properties !== undefined);
  assert.deepEqual(answers, [
    { items: { type: 'array', items: ref }, next_cursor: answers[0]!.next_cursor },
    ...Array(4).fill({ post: ref }),
  ]);
  // Its fields once in the whole document (a property and its entry in `required`), not five times.
  assert.equal(JSON.stringify(document).split('"author_id"').length - 1, 2);
});
