import { readFileSync, unlinkSync } from 'node:fs';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LaunchError } from './ports.ts';

/** Holds the process id of the launcher (`npm start`, `npm run dev`) that uses a DATA_DIR. */
export const LOCK_FILE = 'launcher.pid';

/**
 * Takes DATA_DIR for this launcher, or refuses in one line while another one runs there. The
 * embedded PostgreSQL's own lock stopped a second stack only without POSTGRES_URL: with it, a
 * second `npm start` on the same folder ran beside the first. A file left by a launcher that is
 * gone (kill -9, a reboot) is taken over. Returns the release, also run at exit.
 */
export async function lockDataDir(dataDir: string): Promise<() => void> {
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    // Twice taken over and still there: another launcher starting at the same moment won.
    if (attempt > 0 || (Number.isSafeInteger(holder) && holder > 0 && isLauncher(holder))) {
      throw new LaunchError(
        `DATA_DIR ${dataDir} is in use by another npm start or npm run dev` +
          `${Number.isSafeInteger(holder) ? ` (process ${holder})` : ''}: stop that one, or set ` +
          'DATA_DIR to another folder to run a second stack beside it.',
      );
    }
    await unlink(file).catch(() => {});
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {}
  };
  process.on('exit', release);
  return release;
}

/**
 * Whether `pid` runs, and (where /proc tells) runs Node: after a reboot the number of a launcher
 * gone may be another program's.
 */
function isLauncher(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return commandLine.includes(path.basename(process.execPath));
  } catch {
    // No /proc (macOS) or no such entry: the signal said it runs.
    return process.platform !== 'linux';
  }
}
