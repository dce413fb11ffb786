// The worker pool never keeps a process alive: a script that starts it, runs
// split kernels and ends without shutdown() exits by itself, promptly, in
// Node, Deno and Bun (and in Node started as `node --input-type=module -e`,
// whose flags the workers must not inherit, or with flags a worker refuses:
// --max-old-space-size, --expose-gc, --stack-size and --title act on the whole
// process, and with them the pool had fallen back to one thread).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BIN, REPO, run, describeRun } from './helpers/process.js';

const SCRIPT = 'tests/runtimes/helpers/threads-exit.js';
const EVAL = `await import(${JSON.stringify(new URL(`../../${SCRIPT}`, import.meta.url).href)});`;

for (const [name, cmd, args] of [
  ['node', process.execPath, [SCRIPT]],
  ['node --input-type=module -e', process.execPath, ['--input-type=module', '-e', EVAL]],
  ['node --max-old-space-size=4096 --expose-gc --stack-size=2000 --title=t', process.execPath, ['--max-old-space-size=4096', '--expose-gc', '--stack-size=2000', '--title=t', SCRIPT]],
  ['deno', join(BIN, 'deno'), ['run', '-A', '--no-lock', '--cached-only', SCRIPT]],
  ['bun', join(BIN, 'bun'), [SCRIPT]],
]) {
  test(`${name}: a script that used the pool exits by itself`, { timeout: 120_000 }, async (t) => {
    const r = await run(cmd, args, { cwd: REPO, timeoutMs: 60_000 });
    const report = describeRun(`${name} ${SCRIPT}`, r);
    assert.ok(!r.timedOut, `the process did not exit: ${report}`);
    assert.equal(r.code, 0, report);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1));
    assert.equal(out.threads, 3, report);
    assert.ok(out.workerTasks > 0, `the workers ran no task\n${report}`);
    assert.equal(out.members, 2, `the job workers trained the members\n${report}`);
    assert.ok(out.idleJobWorkers > 0, `a job worker waits for the next call at the end\n${report}`);
    t.diagnostic(`${name}: exited in ${r.ms} ms; the workers ran ${out.workerTasks} tasks`);
  });
}
