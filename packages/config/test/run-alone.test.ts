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
  // Every service starts by the same script, with nothing npm runs before or after it: the
  // README's own example (main) run as written stands for them all (each run is ~7 s of CPU).
  const scripts = loadManifests(root).map(({ name }) => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'services', name, 'package.json'), 'utf8'));
    return {
      name,
      start: pkg.scripts?.start,
      around: [pkg.scripts?.prestart, pkg.scripts?.poststart],
    };
  });
  for (const s of scripts) {
    assert.equal(s.start, scripts[0]!.start, `${s.name}'s start script is the others'`);
    assert.deepEqual(s.around, [undefined, undefined], `${s.name} runs nothing around start`);
  }
  for (const name of ['main']) {
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
