import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import {
  createTestDatabase,
  documentedOperations,
  lintOpenApi,
  undocumentedCodes,
} from '@platform/testing';
import { codes } from '../src/errors.ts';
import { openApiDocument } from '../src/openapi.ts';

const database = await createTestDatabase();
const document = await openApiDocument(database.url).finally(() => database.drop());

test("Redocly's recommended ruleset finds no error and no warning in the document", async () => {
  assert.deepEqual(await lintOpenApi(document), []);
});

test('every operation has a camelCase operationId, a tag, security and problem responses', () => {
  const operations = documentedOperations(document);
  assert.ok(operations.length > 0);
  for (const { where, operation, codes: documented } of operations) {
    assert.match(String(operation.operationId), /^[a-z][a-zA-Z0-9]*$/, where);
    assert.ok((operation.tags as string[] | undefined)?.length, `${where} has no tag`);
    assert.ok(Array.isArray(operation.security), `${where} declares no security`);
    assert.ok(documented.includes('rate_limited'), `${where} lacks its problem responses`);
    for (const code of documented)
      assert.ok(code in codes, `${where}: ${code} is not in the table`);
  }
});

test('every problem code the source sends is in the code table (src/errors.ts)', () => {
  assert.deepEqual(undocumentedCodes(path.resolve(import.meta.dirname, '../src'), codes), []);
});
