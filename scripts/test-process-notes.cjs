/**
 * For measuring a test run, not part of one:
 *   NODE_OPTIONS="--require $PWD/scripts/test-process-notes.cjs" TEST_PROCESS_NOTES=/tmp/n.jsonl npm test
 * (an absolute path: some processes start in other folders) appends a JSON line for every Node process as it exits (the runner, each test file, each service
 * a test starts): its script, wall time, CPU (all its threads) and that of the children it reaped,
 * and how many argon2 hashes and checks it ran. Wall time on a shared machine measures the
 * neighbours too; CPU and counts compare across runs (docs/testing-and-benchmarks.md).
 */
const { appendFileSync, readFileSync } = require('node:fs');

const file = process.env.TEST_PROCESS_NOTES;
if (file) {
  const argon2 = { hash: 0, verify: 0 };
  try {
    // The copy the project's code imports; ES modules read the CommonJS exports patched here.
    const paths = [process.cwd(), __dirname];
    const library = require(require.resolve('@node-rs/argon2', { paths }));
    for (const name of ['hash', 'verify']) {
      const original = library[name];
      library[name] = function counted(...args) {
        argon2[name] += 1;
        return original.apply(this, args);
      };
    }
  } catch {
    // Not installed where this process runs: nothing to count.
  }
  process.on('exit', () => {
    const usage = process.resourceUsage();
    // Fields 16 and 17 of /proc/self/stat: CPU of reaped children, in clock ticks (1/100 s).
    const stat = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
    const note = {
      script: process.argv[1],
      wallMs: Math.round(performance.now()),
      cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000),
      childrenCpuMs: (Number(stat[13]) + Number(stat[14])) * 10,
      ...argon2,
    };
    try {
      appendFileSync(file, `${JSON.stringify(note)}\n`);
    } catch {
      // A note lost, not a run.
    }
  });
}
