/**
 * `npm run dev` (main.ts with `--dev`): each service compiled into a folder of its own, and
 * compiled again and restarted when a file it runs changes (watch.ts). Code that does not compile
 * is not started: the error is shown, and the next save tries again.
 */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { compileServices } from './compile.ts';
import type { PlannedService } from './services.ts';
import type { Supervisor } from './supervisor.ts';
import { type SourceWatcher, watchSources } from './watch.ts';

export interface DevMode {
  /** Compiles `service` into `<builds>/dev/<name>/<n>`; resolves to its entry. */
  build(service: PlannedService): Promise<string>;
  /**
   * Starts watching, before the first compile: the watch used to begin once every service was
   * up, and a file saved in between (after the compile had read it) restarted nothing, its
   * service running the old code until the next save. Changes seen until `watching` are kept.
   */
  watch(): Promise<SourceWatcher>;
  /** Once every service is up: restarts those changed meanwhile, once each, then each change. */
  watching(): void;
}

const describeFiles = (files: string[]) =>
  files.length > 1 ? `${files[0]} and ${files.length - 1} more` : files[0]!;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function devMode(deps: {
  root: string;
  planned: PlannedService[];
  /** The folder of the compiled services, known once the launch has made it. */
  builds: () => string;
  supervisors: readonly Supervisor[];
  stopping: () => boolean;
  say: (line: string) => void;
}): DevMode {
  const { root, planned, say } = deps;
  const byName = new Map(planned.map((s) => [s.spec.name, s]));
  /** The last build of each service, the one its next start runs. */
  const last = new Map<string, number>();
  let count = 0;
  /** Files changed while the stack starts, by service; undefined once `watching`. */
  let changedWhileStarting: Map<string, Set<string>> | undefined = new Map();
  let watcher: SourceWatcher | undefined;
  /** New services under services/ already named (newServices): once each. */
  const named = new Set<string>();

  /**
   * Services under services/ with a manifest that this run did not start (made by new:service
   * while it ran, or skipped at start for want of a server.ts), not named yet. Picking one up
   * would mean its database, a port, and restarting the gateway (ROUTES) and every producer
   * whose EVENT_SUBSCRIBERS it joins: `npm run dev` says to start again instead, as Vite does
   * for a change it cannot apply in place.
   */
  function newServices(files: string[]): string[] {
    const found = new Set<string>();
    for (const file of files) {
      const name = /^services\/([^/]+)\//.exec(file)?.[1];
      if (!name || byName.has(name) || named.has(name)) continue;
      if (existsSync(path.join(root, 'services', name, 'service.json'))) found.add(name);
    }
    for (const name of found) named.add(name);
    return [...found];
  }

  // Under tsx each start cost a service 1.5–2 s of CPU loading its modules through tsx's hooks
  // thread, and the thread stayed (≈30 MB); esbuild compiles a service in a fraction of a second.
  // The others' builds, and the one its running process loaded, are left as they are.
  async function build(service: PlannedService): Promise<string> {
    const { name } = service.spec;
    count += 1;
    const number = count;
    const dir = path.join(deps.builds(), 'dev', name, String(number));
    const entries = await compileServices(root, [name], dir);
    // A later build that finished first stays the one to run.
    if (number > (last.get(name) ?? 0)) {
      last.set(name, number);
      service.entry = entries.get(name)!;
    }
    return service.entry;
  }

  /** Removes `name`'s builds older than its last one: no process of it runs them any more. */
  async function removeOldBuilds(name: string) {
    const newest = last.get(name) ?? 0;
    const dir = path.join(deps.builds(), 'dev', name);
    for (const entry of await readdir(dir).catch(() => [] as string[]))
      if (Number(entry) < newest) await rm(path.join(dir, entry), { recursive: true, force: true });
  }

  /** Compiles `service` again and replaces its process with one running that build. */
  async function rebuild(service: PlannedService | undefined, reason: string) {
    const supervisor = deps.supervisors.find((s) => s.name === service?.spec.name);
    if (!service || !supervisor) return;
    // Resolves once the process runs the last build (restarts asked for meanwhile run first).
    await supervisor.restart(reason, () => build(service));
    if (!deps.stopping()) await removeOldBuilds(service.spec.name).catch(() => {});
  }

  return {
    build,
    async watch() {
      watcher = await watchSources({
        root,
        services: [...byName.keys()],
        onChange: (service, files) => {
          if (changedWhileStarting) {
            const seen = changedWhileStarting.get(service) ?? new Set();
            for (const file of files) seen.add(file);
            changedWhileStarting.set(service, seen);
          } else void rebuild(byName.get(service), `${describeFiles(files)} changed`);
        },
        onUnused: (files) => {
          for (const name of newServices(files))
            say(
              `services/${name} is a new service: npm run dev starts only the services there were when it started (their databases and the gateway's routes are set then); stop it and run it again to serve ${name}`,
            );
          const own = files.filter((f) => f.startsWith('packages/launcher/'));
          if (own.length)
            say(`${own[0]} changed: the launcher itself does not reload; stop it and run it again`);
        },
        onError: (error) => say(`watching for changes failed: ${messageOf(error)}`),
      });
      return watcher;
    },
    watching() {
      // Saves the debounce has not reported yet were made while starting too.
      watcher?.flush();
      const changed = changedWhileStarting ?? new Map<string, Set<string>>();
      changedWhileStarting = undefined;
      say('Watching services/ and packages/ for changes.');
      for (const service of planned) {
        const files = changed.get(service.spec.name);
        if (files) void rebuild(service, `${describeFiles([...files])} changed while starting`);
      }
    },
  };
}
