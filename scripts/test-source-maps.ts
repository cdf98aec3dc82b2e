/**
 * Source maps for the compiled test files, read only when a location is shown.
 *
 * Node's `--enable-source-maps` parses every source map as its module loads: the bundle's (a few
 * MB with TypeBox and Drizzle in it) and those of the ~170 npm files a service's test loads. That
 * was a tenth of a passing test file's CPU time, spent for stack traces that are never printed.
 * Here a bundle's map is parsed (by Node's own `module.SourceMap`) the first time a stack
 * through it is formatted, and frames are written as `--enable-source-maps` writes them. The
 * test files' bundles and `compiledScript`'s builds keep their maps beside them (`<file>.map`,
 * scripts/test-bundles.ts): inline, each process read and decoded them (three quarters of a
 * bundle's bytes) with the code, for nothing. A file with an inline map is read as before.
 *
 * `scripts/test-preload.ts` installs it in each test process (stack traces) and
 * `scripts/test-reporter.ts` in the runner (the `location` of a failed test).
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const INLINE = '//# sourceMappingURL=data:application/json;base64,';
const maps = new Map<string, SourceMap | undefined>();

function mapOf(file: string): SourceMap | undefined {
  if (!maps.has(file)) {
    let map: SourceMap | undefined;
    try {
      const source = readFileSync(file, 'utf8');
      // At the start of a line: a bundle of this module holds INLINE as a string literal too.
      const at = source.lastIndexOf(`\n${INLINE}`);
      const json =
        at >= 0
          ? Buffer.from(source.slice(at + 1 + INLINE.length).trim(), 'base64').toString()
          : readFileSync(`${file}.map`, 'utf8');
      const payload = JSON.parse(json) as { sources: string[] };
      // As Node does: sources are relative to the map (beside its file, or inline in it).
      const base = pathToFileURL(file);
      payload.sources = payload.sources.map((s) => new URL(s, base).href);
      map = new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]);
    } catch {
      map = undefined;
    }
    maps.set(file, map);
  }
  return maps.get(file);
}

/** The TypeScript position of a 1-based position in a compiled file under `dir`, if mapped. */
export function originalPosition(dir: string, fileOrUrl: string, line: number, column: number) {
  const file = fileOrUrl.startsWith('file://') ? fileURLToPath(fileOrUrl) : fileOrUrl;
  if (!file.startsWith(dir)) return undefined;
  const entry = mapOf(file)?.findEntry(line - 1, column - 1);
  if (!entry || !('originalSource' in entry) || entry.originalSource === undefined) return;
  const source = entry.originalSource.startsWith('file://')
    ? fileURLToPath(entry.originalSource)
    : entry.originalSource;
  return { file: source, line: entry.originalLine + 1, column: entry.originalColumn + 1 };
}

/** Maps the frames of every stack trace formatted from now on that pass through `dir`. */
export function mapStackTraces(dir: string) {
  const frame = (site: NodeJS.CallSite) => {
    const text = String(site);
    const file = site.getFileName();
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    if (!file || !line || !column) return text;
    const original = originalPosition(dir, file, line, column);
    if (!original) return text;
    // V8 writes `name (location)` or a bare location; only the location changes.
    const generated = `${file}:${line}:${column}`;
    const at = text.lastIndexOf(generated);
    if (at < 0) return text;
    const location = `${original.file}:${original.line}:${original.column}`;
    return text.slice(0, at) + location + text.slice(at + generated.length);
  };
  Error.prepareStackTrace = (error, sites) => {
    let header: string;
    try {
      header = Error.prototype.toString.call(error);
    } catch {
      header = '<error>';
    }
    return [header, ...sites.map((site) => `    at ${frame(site)}`)].join('\n');
  };
}
