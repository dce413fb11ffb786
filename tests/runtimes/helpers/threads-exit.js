// Run by tests/runtimes/threads-exit.test.js in Node, Deno and Bun: start the
// pool, split a GEMM and a k-means across it, train an ensemble's members on job
// workers (which then wait, idle, for a next call), print what ran, and end
// without calling shutdown(): the process must exit by itself (neither the pool
// nor the idle job workers keep it alive).
import * as mt from '../../../dist/index.js';
import { jobRunner, jobCounts, jobSettings, idleJobWorkers } from '../../../dist/internal.js';

await mt.init({ threads: 3 });
const x = mt.Matrix.from(Float32Array.from({ length: 256 * 256 }, (_, i) => Math.sin(i)), 256, 256);
mt.matmul(x, x).dispose();
const points = { data: Float32Array.from({ length: 20_000 * 8 }, (_, i) => Math.cos(i * 0.37)), rows: 20_000, cols: 8 };
new mt.KMeans({ k: 6, seed: 1 }).fit(points);
const tasks = jobRunner().tasksRun();
const csv = ['x,y', ...Array.from({ length: 64 }, (_, i) => `${Math.sin(i)},${Math.cos(i)}`)].join('\n');
const data = mt.Dataset.fromCSV(csv, { features: { x: 'numeric' }, targets: { y: 'regression' } });
jobSettings.callerRuns = false;
const spec = { architecture: { type: 'sharedBottom', units: [4], towerUnits: [2] }, tasks: [mt.tasks.regression('y')], seed: 1 };
(await mt.Ensemble.train(spec, data, { members: 2, threads: 3, fit: { epochs: 1 } })).dispose();
console.log(JSON.stringify({
  threads: mt.threadInfo().threads, workerTasks: tasks.slice(1).reduce((a, b) => a + b, 0), members: jobCounts.workers, idleJobWorkers: idleJobWorkers(),
}));
