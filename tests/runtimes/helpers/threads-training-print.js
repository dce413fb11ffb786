// Prints the seeded training runs (tests/helpers/threads-cases.js) at
// 2, 3, 4 and 8 threads and on one thread (after shutdown) as JSON: run by Deno
// and Bun from tests/runtimes/determinism.test.js, which compares every count
// with Node's single-thread module. Where the pool falls back to one thread (a
// failed self-test), threadInfo says so and the runs must still be Node's bits.
import * as mt from '../../../dist/index.js';
import { jobRunner } from '../../../dist/internal.js';
import { runTrainingCases, shardProgramsByWorkers } from '../../helpers/threads-cases.js';

const out = {};
for (const threads of [2, 3, 4, 8]) {
  await mt.init({ threads });
  const before = shardProgramsByWorkers(jobRunner());
  const training = await runTrainingCases(mt);
  out[threads] = { info: mt.threadInfo(), training, shardsByWorkers: shardProgramsByWorkers(jobRunner()) - before };
}
await mt.shutdown();
out[1] = { info: mt.threadInfo(), training: await runTrainingCases(mt) };
console.log(JSON.stringify(out));
