import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { root } from './launch.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test("the launcher's parent going (npm's sh, after `kill <npm pid>`) is noticed within a second", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'launcher-parent-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'log');
  // The launcher's part: watch the parent, say when it is gone, stop.
  const child = path.join(dir, 'child.mjs');
  writeFileSync(
    child,
    `import { appendFileSync } from 'node:fs';
const { watchParent } = await import(${JSON.stringify(path.join(root, 'packages/launcher/src/parent.ts'))});
watchParent(() => { appendFileSync(${JSON.stringify(log)}, 'gone\\n'); process.exit(0); }, 100);
appendFileSync(${JSON.stringify(log)}, 'watching\\n');
setTimeout(() => {}, 20_000);
`,
  );
  // npm's sh: starts it, prints its pid once it watches, and is gone (as SIGTERM leaves it).
  const parent = `const { spawn } = require('node:child_process');
const fs = require('node:fs');
const c = spawn(process.execPath, ['--import', 'tsx', ${JSON.stringify(child)}], { stdio: 'ignore', detached: true, cwd: ${JSON.stringify(root)} });
const until = Date.now() + 15000;
const wait = () => fs.existsSync(${JSON.stringify(log)}) || Date.now() > until ? (process.stdout.write(String(c.pid)), process.exit(0)) : setTimeout(wait, 50);
wait();`;
  const pid = Number(execFileSync(process.execPath, ['-e', parent], { encoding: 'utf8' }));
  assert.ok(pid > 0);
  t.after(() => {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  const deadline = Date.now() + 5_000;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  assert.equal(readFileSync(log, 'utf8'), 'watching\ngone\n');
  assert.ok(!alive(pid), 'the child noticed its parent was gone and stopped');
});
