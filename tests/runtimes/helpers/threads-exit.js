// Run by tests/runtimes/threads-exit.test.js in Node, Deno and Bun: start the
// pool, split a GEMM and a k-means across it, print what ran, and end without
// calling shutdown(): the process must exit by itself (the pool never keeps it alive).
import * as mt from '../../../dist/index.js';
import { jobRunner } from '../../../dist/internal.js';

await mt.init({ threads: 3 });
const x = mt.Matrix.from(Float32Array.from({ length: 256 * 256 }, (_, i) => Math.sin(i)), 256, 256);
mt.matmul(x, x).dispose();
const points = { data: Float32Array.from({ length: 20_000 * 8 }, (_, i) => Math.cos(i * 0.37)), rows: 20_000, cols: 8 };
new mt.KMeans({ k: 6, seed: 1 }).fit(points);
const tasks = jobRunner().tasksRun();
console.log(JSON.stringify({ threads: mt.threadInfo().threads, workerTasks: tasks.slice(1).reduce((a, b) => a + b, 0) }));
