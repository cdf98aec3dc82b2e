import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadManifests } from '@platform/manifest';

const root = path.resolve(import.meta.dirname, '../../..');

// The README's command for a service alone, run as written with none of its settings: its one
// `configuration error:` line must be what the user reads last. Under `npm start -w …` npm adds
// six `npm error …` lines of its own after any failing workspace script (exit status, path,
// command), burying it; `-s` (`--silent`) leaves them out and keeps the status.
test("the README's command to run a service alone ends with the service's one-line reason", () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const command = /runs\s+alone \(`(npm start [^`]*?)services\/main`/.exec(readme)?.[1];
  assert.ok(command, 'the README names the command');
  for (const { name } of loadManifests(root)) {
    const args: string[] = [...command.trim().split(' ').slice(1), `services/${name}`];
    const run = spawnSync('npm', args, {
      cwd: root,
      encoding: 'utf8',
      // Nothing of this shell's settings: the service stops at its first missing one.
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    assert.equal(run.status, 1, `${name}: ${run.stdout}${run.stderr}`);
    const lines = run.stderr.trim().split('\n');
    assert.match(lines.at(-1)!, /^configuration error: [A-Z_]+ /, `${name}:\n${run.stderr}`);
    assert.equal(lines.length, 1, `${name}:\n${run.stderr}`);
  }
});
