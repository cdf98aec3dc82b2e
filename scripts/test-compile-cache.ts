/**
 * V8's code cache for the npm packages a test process loads. Every test file starts a new
 * process that compiles the same ~500 CommonJS files (fastify, ajv, pino, pg, …): about a sixth
 * of a short test file's CPU time. Node 22.1 and later keep such a cache themselves
 * (`module.enableCompileCache`, which covers the ES modules too); on Node 20 the CommonJS loader's
 * compile step is taken over here, as `v8-compile-cache` does, and what a process compiled is
 * written out when it exits. V8 checks each entry against the source and its own flags and
 * compiles afresh when one does not fit; entries are keyed by file, content and flags.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

interface CjsModule {
  exports: unknown;
  require(id: string): unknown;
}
type Compile = (this: CjsModule, content: string, filename: string, format?: string) => unknown;
interface Internals {
  prototype: { _compile: Compile };
  wrap(content: string): string;
  _resolveFilename(request: string, parent: CjsModule, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: CjsModule): string[] | null;
  _extensions: unknown;
  _cache: unknown;
  enableCompileCache?: (dir: string) => unknown;
}

export function enableCompileCache(dir: string) {
  const internals = Module as unknown as Internals;
  if (internals.enableCompileCache) {
    internals.enableCompileCache(dir);
    return;
  }
  // Not available on Node 20 without `vm.constants` (20.12): import() inside a package needs it.
  const mainLoader = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  if (!mainLoader) return;
  // V8 rejects an entry made under other flags (a service a gateway test starts): keyed by them,
  // two kinds of process do not overwrite each other's. Paths (the preload's) are left out.
  const v8Flags = process.execArgv.filter(
    (a) => a.startsWith('--') && !/[/\\]|^--(import|require|loader)$/.test(a),
  );
  const flags = `${process.version}\0${v8Flags.join(' ')}\0`;
  const fresh: { script: vm.Script; file: string }[] = [];
  const original = internals.prototype._compile;
  internals.prototype._compile = function compile(content, filename, format) {
    // ES module syntax in a .js file (require of ESM, Node 20.19+) is Node's own to handle.
    if (format === 'module') return original.call(this, content, filename, format);
    const key = createHash('sha1').update(flags).update(filename).update(content).digest('hex');
    const file = path.join(dir, key);
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(file);
    } catch {
      // Not compiled before.
    }
    let script: vm.Script;
    try {
      script = new vm.Script(internals.wrap(content), {
        filename,
        ...(cachedData ? { cachedData } : {}),
        importModuleDynamically: mainLoader as never,
      });
    } catch {
      // Not CommonJS after all (Node detects ES module syntax), or a real syntax error: Node
      // decides and reports as it would.
      return original.call(this, content, filename, format);
    }
    if (!cachedData || script.cachedDataRejected) fresh.push({ script, file });
    const wrapper = script.runInThisContext({ displayErrors: true }) as (
      ...args: unknown[]
    ) => unknown;
    const require = (id: string) => this.require(id);
    const resolve = (request: string, options?: unknown) =>
      internals._resolveFilename(request, this, false, options);
    resolve.paths = (request: string) => internals._resolveLookupPaths(request, this);
    Object.assign(require, {
      resolve,
      main: process.mainModule,
      extensions: internals._extensions,
      cache: internals._cache,
    });
    return wrapper.call(
      this.exports,
      this.exports,
      require,
      this,
      filename,
      path.dirname(filename),
    );
  };
  // At exit, so the cache holds the functions that ran too, not only the top level.
  process.on('exit', () => {
    if (fresh.length === 0) return;
    try {
      mkdirSync(dir, { recursive: true });
      for (const { script, file } of fresh) {
        // Whole or not at all for a process reading it meanwhile.
        const partial = `${file}.${process.pid}`;
        writeFileSync(partial, script.createCachedData());
        renameSync(partial, file);
      }
    } catch {
      // Only the next start's speed depends on it.
    }
  });
}
