// node bench/step-times.mjs [rows=256] [threads=2] [steps=600]
// Where a training step of the benchmark network (bench/threads.mjs) spends its
// time: the median, mean and 90th percentile of `steps` steps, and the median of
// each job the step hands to the worker pool, in order, with the calling thread's
// time between them, and in how many steps the calling thread ran all of a job's
// tasks itself because no worker claimed one in time (it was descheduled, or asleep
// after waiting longer than SPIN_MS for the job). A step on 2 threads waits for
// both threads, so such steps make the mean longer than the median.
import { performance } from 'node:perf_hooks';
import * as mt from '../dist/node.js';
import { jobRunner, jobs } from '../dist/internal.js';
import { trainingStep } from './threads.mjs';

const [rows = 256, threads = 2, steps = 600] = process.argv.slice(2).map(Number);
await mt.init({ threads });
const { model, data, step } = trainingStep(rows);
for (let i = 0; i < 200; i++) step();
const pool = jobRunner();
const run = pool.run;
let log = [];
pool.run = function (kind, tasks, ...rest) {
  const before = pool.tasksRun()[0];
  const t0 = performance.now();
  try {
    return run.call(this, kind, tasks, ...rest);
  } finally {
    const t1 = performance.now();
    // The calling thread ran every task itself: no worker joined the job in time.
    log.push({ kind, tasks, t0, t1, alone: tasks > 1 && pool.tasksRun()[0] - before === tasks });
  }
};
const timed = [];
for (let i = 0; i < steps; i++) {
  log = [];
  const t0 = performance.now();
  step();
  timed.push({ t0, t1: performance.now(), log });
}
delete pool.run;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const us = (ms) => `${Math.round(ms * 1000)} µs`;
const totals = timed.map((s) => s.t1 - s.t0).sort((a, b) => a - b);
console.log(`batch ${rows}, ${threads} thread${threads === 1 ? '' : 's'}, ${steps} steps: median ${us(median(totals))}, mean ${us(totals.reduce((a, b) => a + b, 0) / steps)}, 90th percentile ${us(totals[Math.floor(steps * 0.9)])}`);
// The jobs of the steps that handed out the usual number of them.
const usual = median(timed.map((s) => s.log.length));
const same = timed.filter((s) => s.log.length === usual);
const kinds = Object.fromEntries(Object.entries(jobs).filter(([k, v]) => k.startsWith('JOB_') && typeof v === 'number').map(([k, v]) => [v, k]));
for (let j = 0; j < usual; j++) {
  const before = median(same.map((s) => s.log[j].t0 - (j === 0 ? s.t0 : s.log[j - 1].t1)));
  const job = same[0].log[j];
  const alone = same.filter((s) => s.log[j].alone).length;
  console.log(`  calling thread ${us(before)}, then ${kinds[job.kind] ?? job.kind} (${job.tasks} tasks) ${us(median(same.map((s) => s.log[j].t1 - s.log[j].t0)))}` +
    (job.tasks > 1 ? `; no worker joined it in ${alone} of ${same.length} steps` : ''));
}
if (usual > 0) console.log(`  calling thread ${us(median(same.map((s) => s.t1 - s.log[usual - 1].t1)))} to the end`);
model.core.freeResident(data);
model.dispose();
process.exit(0);
