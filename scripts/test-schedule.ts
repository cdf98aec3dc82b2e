/**
 * Longest test files first. Node's test runner starts files in the order it is given them
 * (`node --test` sorts them by name): with two at a time, a file of 3 s started among the last
 * ends the run seconds after everything else. Each compiled test process notes how long it ran
 * (`recordDuration`, from scripts/test-preload.ts); the runner keeps the figures of the last
 * run in `node_modules/.cache/test-durations.json` and orders the next run by them. A fresh clone
 * (CI's every run) has no such cache: it takes the figures committed in
 * scripts/test-durations.json (a CI run's), where the size of a file's source was a poor guess
 * (launcher/dev.test.ts, 36 s, was the 98th largest; gateway/analytics-segment.test.ts, 12 s,
 * imports its tests and was the smallest). A file with a figure in neither (a new file) goes
 * first, the larger sources first: a guess, until it has run once.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

type Durations = Record<string, number>;

const NOTES = 'durations';

/** In a test process: at exit, how long it ran, in `<compiled dir>/durations/<pid>.json`. */
export function recordDuration(compiledDir: string) {
  const output = process.argv[1] ?? '';
  if (!output.endsWith('.test.mjs') || !output.startsWith(compiledDir + path.sep)) return;
  const file = path.relative(compiledDir, output).replace(/\.mjs$/, '.ts');
  process.on('exit', () => {
    try {
      mkdirSync(path.join(compiledDir, NOTES), { recursive: true });
      const note = { file, ms: Math.round(performance.now()) };
      writeFileSync(path.join(compiledDir, NOTES, `${process.pid}.json`), JSON.stringify(note));
    } catch {
      // Only the order of a later run depends on it.
    }
  });
}

async function readDurations(cacheFile: string): Promise<Durations> {
  try {
    return JSON.parse(await readFile(cacheFile, 'utf8')) as Durations;
  } catch {
    return {};
  }
}

/** The figures committed with the repository, for a clone that has run no tests yet. */
export const COMMITTED_DURATIONS = path.join('scripts', 'test-durations.json');

/**
 * Indexes of `files` (relative to `root`) in the order to start them: by the last run's figures
 * (`cacheFile`), else by the committed ones.
 */
export async function longestFirst(
  root: string,
  files: string[],
  cacheFile: string,
  committedFile = path.join(root, COMMITTED_DURATIONS),
) {
  const durations = {
    ...(await readDurations(committedFile)),
    ...(await readDurations(cacheFile)),
  };
  const keys = await Promise.all(
    files.map(async (file) => {
      const ms = durations[file];
      if (ms !== undefined) return { known: true, size: ms };
      const size = await stat(path.join(root, file)).then(
        (s) => s.size,
        () => 0,
      );
      return { known: false, size };
    }),
  );
  return files
    .map((_, i) => i)
    .sort((a, b) => {
      const [ka, kb] = [keys[a]!, keys[b]!];
      if (ka.known !== kb.known) return ka.known ? 1 : -1;
      return kb.size - ka.size || a - b;
    });
}

/**
 * Folds the durations the test processes noted into the cache: a file that did not finish keeps
 * its old figure, one that no longer exists loses it.
 */
export async function saveDurations(root: string, compiledDir: string, cacheFile: string) {
  const notes = await readdir(path.join(compiledDir, NOTES)).catch(() => [] as string[]);
  if (notes.length === 0) return;
  const durations = await readDurations(cacheFile);
  for (const file of Object.keys(durations)) {
    if (!existsSync(path.join(root, file))) delete durations[file];
  }
  for (const note of notes) {
    try {
      const { file, ms } = JSON.parse(
        await readFile(path.join(compiledDir, NOTES, note), 'utf8'),
      ) as { file: string; ms: number };
      durations[file] = ms;
    } catch {
      // A note cut short by a killed process.
    }
  }
  // Whole or not at all, for a run that reads it meanwhile.
  const partial = `${cacheFile}.${process.pid}`;
  await writeFile(partial, `${JSON.stringify(durations, null, 1)}\n`);
  await rename(partial, cacheFile);
}
