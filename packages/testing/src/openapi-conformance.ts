import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CodeTable } from '@platform/http';
import { lintOpenApi } from './openapi-lint.ts';
import { documentedOperations, undocumentedCodes } from './problem-codes.ts';

/**
 * The checks every service's `test/openapi.test.ts` runs on the document it serves: Redocly's
 * recommended rules, the operation rules of docs/api.md, every code its source sends in its
 * code table, and each named schema (components.schemas) shown once.
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

  test('a named schema is not repeated inline: its routes refer to it ($ref)', () => {
    assert.deepEqual(inlineCopies(document), []);
  });

  test('every pattern says in words what it takes (x-pattern-message), so a 400 never shows a regex', () => {
    assert.deepEqual(unwordedPatterns(document), []);
  });
}

/**
 * Where the document has a string `pattern` without the words a 400 says instead of it
 * (`x-pattern-message`, read by validation-errors.ts in @platform/http): a client would read
 * "is not in the expected format" and have to guess.
 */
export function unwordedPatterns(document: Record<string, unknown>): string[] {
  const found: string[] = [];
  const walk = (node: unknown, where: string) => {
    if (Array.isArray(node)) {
      for (const [index, item] of node.entries()) walk(item, `${where}/${index}`);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const schema = node as Record<string, unknown>;
    if (typeof schema.pattern === 'string' && typeof schema['x-pattern-message'] !== 'string') {
      found.push(`${where} (${schema.pattern})`);
    }
    for (const [key, value] of Object.entries(schema)) walk(value, `${where}/${key}`);
  };
  walk(document, '#');
  return found;
}

/**
 * Where the paths repeat a named schema (a `components.schemas` entry) instead of referring to
 * it: a route that writes the TypeBox schema where its `.ref` belongs (named-schemas.ts in
 * @platform/http).
 */
export function inlineCopies(document: Record<string, unknown>): string[] {
  const components = (document.components ?? {}) as { schemas?: Record<string, unknown> };
  const byText = new Map<string, string>();
  for (const [name, schema] of Object.entries(components.schemas ?? {})) {
    byText.set(JSON.stringify(schema), name);
  }
  const found: string[] = [];
  const walk = (node: unknown, at: string) => {
    if (typeof node !== 'object' || node === null) return;
    const name = byText.get(JSON.stringify(node));
    if (name) found.push(`${at} repeats ${name}`);
    else for (const [key, value] of Object.entries(node)) walk(value, `${at}/${key}`);
  };
  walk(document.paths, '#/paths');
  return found;
}
