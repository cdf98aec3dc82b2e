import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { watch } from 'chokidar';

/**
 * `npm run dev` restarts a service when its code changes, and only that service. The launcher
 * watches the sources itself rather than running each service under `node --watch`: that does
 * see the TypeScript files tsx loads and restarts only its own process (measured: ~0.7 s), but a
 * service that crashes under it does not exit (`--watch` waits for the next change), so the
 * launcher could neither restart it nor tell that it is down; and it restarts behind the
 * launcher's back, with no readiness check. chokidar rather than `fs.watch(…, {recursive})`:
 * Node 20 implements recursive watching on Linux with one watcher per file, which loses a file
 * after its first atomic save (write a temporary file, rename it over: vim, `sed -i`, many IDEs);
 * chokidar kept seeing every save. Both report a change within 2 ms here.
 */

const WORKSPACE_GROUPS = ['services', 'packages'];
/** Folders and files whose changes no running service sees. */
const NOT_RUN = (segment: string) =>
  segment === 'node_modules' || segment === 'test' || segment.startsWith('.');
const TEST_FILE = /\.test\.[cm]?[jt]sx?$/;

/**
 * The workspace folder (`services/main`, `packages/http`) a changed file belongs to, when that
 * file is code a service runs: not tests, dependencies, or editors' hidden temporary files.
 */
export function workspaceOf(relative: string): string | undefined {
  const parts = relative.split(/[\\/]/);
  if (parts.length < 3 || !WORKSPACE_GROUPS.includes(parts[0]!)) return undefined;
  if (parts.slice(2).some(NOT_RUN)) return undefined;
  const file = parts.at(-1)!;
  if (TEST_FILE.test(file) || file.endsWith('~')) return undefined;
  return `${parts[0]}/${parts[1]}`;
}

/**
 * For each workspace folder, the services whose process runs its code: the service's own folder
 * and every workspace package it depends on, directly or through another, as each package.json's
 * `dependencies` say. Read again on each change, so an added dependency counts at once.
 */
export function servicesByWorkspace(root: string, services: string[]): Map<string, Set<string>> {
  const folderOf = new Map<string, string>();
  const dependencies = new Map<string, string[]>();
  for (const group of WORKSPACE_GROUPS) {
    const dir = path.join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name, 'package.json');
      if (!existsSync(file)) continue;
      try {
        const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
          name?: string;
          dependencies?: Record<string, string>;
        };
        const folder = `${group}/${name}`;
        if (manifest.name) folderOf.set(manifest.name, folder);
        dependencies.set(folder, Object.keys(manifest.dependencies ?? {}));
      } catch {
        // A package.json saved half-way; the next change reads it again.
      }
    }
  }
  const users = new Map<string, Set<string>>();
  for (const service of services) {
    const queue = [`services/${service}`];
    const seen = new Set<string>();
    while (queue.length) {
      const folder = queue.shift()!;
      if (seen.has(folder)) continue;
      seen.add(folder);
      users.set(folder, (users.get(folder) ?? new Set()).add(service));
      for (const dependency of dependencies.get(folder) ?? []) {
        const next = folderOf.get(dependency);
        if (next) queue.push(next);
      }
    }
  }
  return users;
}

export interface SourceWatcher {
  /** Reports the changes seen so far now, without waiting for the debounce. */
  flush(): void;
  close(): Promise<void>;
}

export interface WatchOptions {
  root: string;
  services: string[];
  /** A burst of saves (a formatter, a branch switch) becomes one restart per service. */
  debounceMs?: number;
  /** Called once per affected service with the files (relative to root) that changed. */
  onChange(service: string, files: string[]): void;
  /** Changed files that no service runs, but that are code (the launcher's own, say). */
  onUnused?(files: string[]): void;
  onError?(error: unknown): void;
}

/** Watches `services/` and `packages/` under root; resolves once the watch is in place. */
export async function watchSources(options: WatchOptions): Promise<SourceWatcher> {
  const { root, debounceMs = 200 } = options;
  const maxWaitMs = debounceMs * 5;
  const watcher = watch(
    WORKSPACE_GROUPS.map((group) => path.join(root, group)),
    {
      ignoreInitial: true,
      ignored: (file) => path.relative(root, file).split(path.sep).slice(2).some(NOT_RUN),
    },
  );
  let changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let firstAt = 0;

  const flush = () => {
    timer = undefined;
    const files = [...changed];
    changed = new Set();
    const users = servicesByWorkspace(root, options.services);
    const byService = new Map<string, string[]>();
    const unused: string[] = [];
    for (const file of files) {
      const services = users.get(workspaceOf(file)!);
      if (!services) unused.push(file);
      for (const service of services ?? [])
        byService.set(service, [...(byService.get(service) ?? []), file]);
    }
    for (const [service, list] of byService) options.onChange(service, list);
    if (unused.length) options.onUnused?.(unused);
  };

  watcher.on('all', (event, file) => {
    if (event === 'addDir' || event === 'unlinkDir') return;
    const relative = path.relative(root, file);
    if (!workspaceOf(relative)) return;
    if (changed.size === 0) firstAt = Date.now();
    changed.add(relative);
    clearTimeout(timer);
    // Saves that never pause (a build writing into src/) still restart once a second.
    timer = setTimeout(flush, Math.max(0, Math.min(debounceMs, firstAt + maxWaitMs - Date.now())));
  });
  watcher.on('error', (error) => options.onError?.(error));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    flush: () => {
      if (timer === undefined) return;
      clearTimeout(timer);
      flush();
    },
    close: async () => {
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
