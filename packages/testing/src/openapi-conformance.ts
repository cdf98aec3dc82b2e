import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CodeTable } from '@platform/http';
import { lintOpenApi } from './openapi-lint.ts';
import { documentedOperations, undocumentedCodes } from './problem-codes.ts';

/**
 * The three checks every service's `test/openapi.test.ts` runs on the document it serves: Redocly's
 * recommended rules, the operation rules of docs/api.md, and every code its source sends in its
 * code table.
 */
export function openApiConformance(options: {
  document: Record<string, unknown>;
  codes: CodeTable;
  /** The service's `src` folder, scanned for the codes it sends. */
  source: string;
}) {
  const { document, codes, source } = options;

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
    assert.deepEqual(undocumentedCodes(source, codes), []);
  });
}
