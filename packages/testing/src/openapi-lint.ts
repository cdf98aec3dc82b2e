/**
 * Redocly's `recommended` ruleset over a document, in process (what `redocly lint` runs, without
 * starting its CLI): one line per error or warning, empty when the document is clean.
 */
export async function lintOpenApi(document: unknown, name = 'openapi.json'): Promise<string[]> {
  // Loaded here, not at the top: every test file imports @platform/testing, few lint.
  const { createConfig, lintFromString } = await import('@redocly/openapi-core');
  const config = await createConfig({ extends: ['recommended'] });
  const results = await lintFromString({
    source: JSON.stringify(document, null, 2),
    absoluteRef: name,
    config,
  });
  return results.map(
    (r) => `${r.severity} ${r.ruleId} at ${r.location[0]?.pointer ?? '?'}: ${r.message}`,
  );
}
