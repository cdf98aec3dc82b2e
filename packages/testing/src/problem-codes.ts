import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type CodeTable, defaultCode } from '@platform/http';

export interface CodeUse {
  file: string;
  code: string;
}

/** Literal problem codes in source: DomainErrors, `code: '…'`, `problem('…'`, HttpProblem statuses. */
const PATTERNS: [RegExp, (match: RegExpExecArray) => string][] = [
  [/new DomainError\(\s*'([^']+)'/g, (m) => m[1]!],
  [/\bproblem\(\s*'([^']+)'/g, (m) => m[1]!],
  [/\bcode: '([a-z][a-z0-9]*(?:_[a-z0-9]+)*)'/g, (m) => m[1]!],
  [/new HttpProblem\(\s*(\d{3})\b/g, (m) => defaultCode(Number(m[1]))],
];

/** Every problem code a service's source names (a test compares them with its code table). */
export function problemCodesInSource(srcDir: string): CodeUse[] {
  const uses: CodeUse[] = [];
  for (const entry of readdirSync(srcDir, { recursive: true }) as string[]) {
    if (!entry.endsWith('.ts')) continue;
    const text = readFileSync(path.join(srcDir, entry), 'utf8');
    for (const [pattern, codeOf] of PATTERNS) {
      for (const match of text.matchAll(pattern)) uses.push({ file: entry, code: codeOf(match) });
    }
  }
  return uses;
}

/** The uses whose code the table lacks: empty when every problem the source sends is documented. */
export function undocumentedCodes(srcDir: string, table: CodeTable): CodeUse[] {
  return problemCodesInSource(srcDir).filter((use) => !(use.code in table));
}

const RESPONSE = '#/components/responses/';
const responsesOf = (document: Record<string, unknown>) =>
  ((document.components as { responses?: unknown } | undefined)?.responses ?? {}) as Record<
    string,
    Record<string, unknown>
  >;

/** Each operation of a document: where it is, and the problem codes its 4xx/5xx responses list. */
export function documentedOperations(document: Record<string, unknown>) {
  const operations: { where: string; operation: Record<string, unknown>; codes: string[] }[] = [];
  const paths = document.paths as Record<string, Record<string, Record<string, unknown>>>;
  for (const [url, methods] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const responses = (operation.responses ?? {}) as Record<string, Record<string, unknown>>;
      const codes = Object.entries(responses)
        .filter(([status]) => Number(status) >= 400)
        .flatMap(([, answer]) => {
          // A problem response is shared, a `$ref` to components.responses (@platform/http).
          const ref = answer.$ref;
          const response =
            typeof ref === 'string' && ref.startsWith(RESPONSE)
              ? (responsesOf(document)[ref.slice(RESPONSE.length)] ?? {})
              : answer;
          const content = response.content as Record<string, { schema?: Record<string, unknown> }>;
          const schema = content?.['application/problem+json']?.schema;
          const code = (schema?.properties as Record<string, { enum?: string[] }> | undefined)
            ?.code;
          return code?.enum ?? [];
        });
      operations.push({ where: `${method.toUpperCase()} ${url}`, operation, codes });
    }
  }
  return operations;
}
