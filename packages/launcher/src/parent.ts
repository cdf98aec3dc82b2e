/**
 * Calls `onGone` once this process's parent is gone (it was given another parent), checking
 * every `intervalMs`. Under `npm start` the launcher's parent is npm's `sh -c`: a script's
 * `npm start & … kill $!` sends SIGTERM to npm, which passes it to that `sh` alone, and the `sh`
 * dies without passing it on. The launcher, PostgreSQL and every service then kept running,
 * holding the ports and DATA_DIR, with no one left to stop them but `kill` of the launcher's pid.
 */
export function watchParent(onGone: () => void, intervalMs = 500): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  // A check never keeps the process alive by itself.
  timer.unref();
  return () => clearInterval(timer);
}
