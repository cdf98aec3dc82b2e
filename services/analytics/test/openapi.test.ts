import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { createTestDatabase, openApiConformance } from '@platform/testing';
import { codes } from '../src/errors.ts';
import { openApiDocument } from '../src/openapi.ts';

const database = await createTestDatabase();
const document = await openApiDocument(database.url).finally(() => database.drop());

openApiConformance({ document, codes, source: path.resolve(import.meta.dirname, '../src') });

interface Operation {
  operationId: string;
  requestBody: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

test("the Segment routes' bodies and answers are named schemas, each shown once", () => {
  const paths = document.paths as Record<string, Record<string, Operation>>;
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const segment = Object.values(paths)
    .flatMap((item) => Object.values(item))
    .filter((op) => /^(browserS|s)egment[A-Z]/.test(op.operationId));
  // Seven for server keys, seven for browsers (whose bodies may also be text/plain).
  assert.equal(segment.length, 14);
  for (const op of segment) {
    const body = op.operationId.endsWith('Batch') ? 'SegmentBatch' : 'SegmentMessage';
    const types = op.operationId.startsWith('browser')
      ? ['application/json', 'text/plain']
      : ['application/json'];
    assert.deepEqual(Object.keys(op.requestBody.content), types, op.operationId);
    for (const type of types) {
      assert.deepEqual(op.requestBody.content[type]!.schema, ref(body), op.operationId);
    }
    assert.deepEqual(
      op.responses['200']!.content!['application/json']!.schema,
      ref('SegmentSuccess'),
      op.operationId,
    );
  }
  const schemas = (document.components as { schemas: Record<string, { properties: object }> })
    .schemas;
  assert.deepEqual((schemas.SegmentBatch!.properties as { batch: unknown }).batch, {
    type: 'array',
    items: ref('SegmentMessage'),
    minItems: 1,
    maxItems: 20000,
  });
  // The message's fields appear once in the whole document (they were in 21 copies, 524 KB).
  const text = JSON.stringify(document);
  assert.equal(text.split('Implied by the endpoint; required in a batch').length - 1, 1);
});
