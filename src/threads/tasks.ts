// What a thread does with one task of a job: the same functions run on the
// calling thread and in every worker (src/threads/worker.ts), on that thread's
// own instance of the kernels, over raw pointers into the shared memory. Each
// job kind splits its work by rows; which thread takes which task changes
// nothing in the result:
//  - a task's outputs are rows no other task writes;
//  - a sum over rows is kept per task (a task is a fixed block of rows that does
//    not depend on the thread count) and the caller adds the tasks' sums in task
//    order afterwards (src/threads/parallel.ts).
// Arguments are read from the control block (control.ts) after the task was
// claimed: they cannot change until every claimed task has ended.

import { DEATHS, F64_ARGS, FAIL_THREAD, I32_ARGS, JOB_DEATHS, PROGRAM_TASKS_RUN, type Control } from './control.js';
import { PENDING, programFunctions, runProgram } from './program.js';

export { PROGRAM_KERNELS } from './program.js';

/** The kernels a task calls: one thread's instance exports (raw, unguarded). */
export interface TaskKernels {
  gemm(
    transA: number, transB: number, M: number, N: number, K: number,
    alpha: number, a: number, lda: number, b: number, ldb: number,
    beta: number, c: number, ldc: number, bias: number, act: number,
  ): void;
  kmeansAssign(
    n: number, d: number, k: number, x: number, xNorms: number, centers: number,
    labels: number, minDist: number, sums: number, counts: number, scratch: number,
  ): number;
  kmeansDistances(n: number, d: number, k: number, x: number, xNorms: number, centers: number, out: number, scratch: number): void;
  gmmEStep(
    n: number, d: number, k: number, covType: number, x: number, means: number, prec: number, logDet: number, logWeights: number,
    resp: number, logProbNorm: number, scratch: number, weights: number,
  ): number;
  rowMeanSquaredError(n: number, d: number, a: number, b: number, out: number): void;
  actForward(kind: number, n: number, x: number, y: number, alpha: number): void;
  sum(n: number, x: number): number;
  gmmMStepSums(n: number, d: number, k: number, x: number, resp: number, weights: number, nk: number, sums: number): void;
  gmmMStepScatter(
    n: number, d: number, k: number, covType: number, x: number, resp: number, weights: number, means: number, acc: number, scratch: number,
  ): void;
  gmmScatterSize(d: number, k: number, covType: number): number;
}

export interface TaskContext {
  readonly kernels: TaskKernels;
  readonly memory: WebAssembly.Memory;
  readonly control: Control;
  /** 0 for the calling thread, 1 + the worker's index for a worker. */
  readonly thread: number;
  /** Ends this thread (a test of the pool's fault handling; workers only). */
  readonly die: () => never;
}

export type Task = (ctx: TaskContext, task: number) => void;

// Job kinds: indices into TASKS.
export const JOB_GEMM = 0;
export const JOB_KMEANS_ASSIGN = 1;
export const JOB_KMEANS_DISTANCES = 2;
export const JOB_GMM_ESTEP = 3;
export const JOB_ROW_MSE = 4;
export const JOB_ACT_FORWARD = 5;
export const JOB_WHO = 6;
export const JOB_FAULT = 7;

/** The kernel each job kind runs, for error messages. */
export const JOB_KERNELS = ['gemm', 'kmeansAssign', 'kmeansDistances', 'gmmEStep', 'rowMeanSquaredError', 'actForward', 'who', 'fault', 'gmmMStepSums', 'gmmMStepScatter', 'a micro-shard\'s pass', 'a piece of a training step\'s update'];

// Argument slots, per job kind (offsets from I32_ARGS / F64_ARGS).
export const GEMM = { transA: 0, transB: 1, M: 2, N: 3, K: 4, a: 5, lda: 6, b: 7, ldb: 8, c: 9, ldc: 10, bias: 11, act: 12, rowsPerTask: 13, alpha: 0, beta: 1 } as const;
export const ASSIGN = { n: 0, d: 1, k: 2, x: 3, xNorms: 4, scratch: 5, scratchStride: 6, chunkRows: 7, deltaStride: 8, runs: 9 } as const;
/** One run of a k-means assignment job: i32 pointers, RUN_FIELDS per run (`changed`: an i32 per chunk). */
export const RUN = { centers: 0, labels: 1, minDist: 2, sums: 3, counts: 4, deltas: 5, changed: 6 } as const;
export const RUN_FIELDS = 7;
export const DISTANCES = { n: 0, d: 1, k: 2, x: 3, xNorms: 4, centers: 5, out: 6, scratch: 7, scratchStride: 8, rowsPerTask: 9 } as const;
/** The GMM E-step over the runs of `runs` (one per start side by side; GMM_RUN_FIELDS i32 pointers each): task t is chunk t % chunks of run ⌊t / chunks⌋. */
export const ESTEP = { n: 0, d: 1, k: 2, covType: 3, x: 4, scratch: 5, scratchStride: 6, chunkRows: 7, weights: 8, runs: 9 } as const;
/** One run of a GMM job (a start's buffers): i32 pointers, GMM_RUN_FIELDS per run (`totals`: an f64 per chunk; `partials`: the M-step's chunk blocks). */
export const GMM_RUN = { means: 0, prec: 1, logDet: 2, logWeights: 3, resp: 4, logProbNorm: 5, totals: 6, partials: 7 } as const;
export const GMM_RUN_FIELDS = 8;
export const ROW_MSE = { n: 0, d: 1, a: 2, b: 3, out: 4, rowsPerTask: 5 } as const;
export const ACT = { kind: 0, n: 1, x: 2, y: 3, perTask: 4, alpha: 0 } as const;
export const WHO = { out: 0 } as const;
export const FAULT = { mode: 0, value: 1 } as const;
/** Both passes of the chunked GMM M-step (JOB_GMM_MSTEP_SUMS, JOB_GMM_MSTEP_SCATTER) over the runs of `runs`, as ESTEP. */
export const MSTEP = { n: 0, d: 1, k: 2, covType: 3, x: 4, weights: 5, chunkRows: 6, partialStride: 7, scratch: 8, scratchStride: 9, runs: 10 } as const;
/**
 * A job of micro-shard programs (program.ts; JOB_PROGRAM, JOB_PIECES): `table`
 * holds per task an i32 pair (the program's byte offset, its length in f64);
 * task t writes −1 or the bad row its checked calls found into the i32 at
 * results + 4t. `phase` (JOB_PIECES alone): 0, or the number of tasks of a first
 * phase: a task past it runs only once every task of the first phase has ended
 * with no bad result (a step's update after the whole gradient's sums and scan;
 * program.ts, ProgramPieces). A first-phase task's result is PENDING
 * (program.ts) until it ends.
 */
export const PROGRAM = { table: 0, results: 1, phase: 2 } as const;
/** JOB_FAULT modes: what a worker does with its task. */
export const FAULT_TRAP = 1;
export const FAULT_THROW = 2;
export const FAULT_DIE = 3;

const arg = (ctx: TaskContext, slot: number): number => ctx.control.i32[I32_ARGS + slot]!;
const farg = (ctx: TaskContext, slot: number): number => ctx.control.f64[F64_ARGS + slot]!;

/**
 * How many tasks of `per` rows n rows make: ⌊n / per⌋ (at least 1), the last
 * taking the rest, so no task is smaller than `per` rows (or n, if less).
 */
export function taskCount(n: number, per: number): number {
  return Math.max(1, Math.floor(n / per));
}

/** Rows [start, end) of task t of taskCount(n, per). */
function rowRange(t: number, per: number, n: number): [number, number] {
  const start = t * per;
  return [start, t === taskCount(n, per) - 1 ? n : start + per];
}

const gemmTask: Task = (ctx, t) => {
  const A = GEMM;
  const M = arg(ctx, A.M), ldc = arg(ctx, A.ldc), lda = arg(ctx, A.lda), transA = arg(ctx, A.transA);
  const per = arg(ctx, A.rowsPerTask);
  const [r0, r1] = rowRange(t, per, M);
  // Row r of op(A) starts at a + r·lda floats, or at a + r floats when A is stored transposed.
  const a = arg(ctx, A.a) + (transA ? r0 * 4 : r0 * lda * 4);
  ctx.kernels.gemm(transA, arg(ctx, A.transB), r1 - r0, arg(ctx, A.N), arg(ctx, A.K), farg(ctx, A.alpha),
    a, lda, arg(ctx, A.b), arg(ctx, A.ldb), farg(ctx, A.beta), arg(ctx, A.c) + r0 * ldc * 4, ldc, arg(ctx, A.bias), arg(ctx, A.act));
};

// Task t assigns chunk t % chunks of run ⌊t / chunks⌋. Runs (k-means restarts)
// share the points; each has its own row of RUN_FIELDS pointers in `runs`.
const assignTask: Task = (ctx, t) => {
  const A = ASSIGN;
  const n = arg(ctx, A.n), d = arg(ctx, A.d), k = arg(ctx, A.k), per = arg(ctx, A.chunkRows);
  const chunks = taskCount(n, per);
  const r = Math.floor(t / chunks), c = t % chunks;
  const run = new Int32Array(ctx.memory.buffer, arg(ctx, A.runs) + r * RUN_FIELDS * 4, RUN_FIELDS);
  const [r0, r1] = rowRange(c, per, n);
  let sums = run[RUN.sums]!, counts = run[RUN.counts]!;
  if (sums !== 0 && c > 0) {
    // Chunk c > 0 moves its rows in its own zeroed totals; the caller adds them in chunk order.
    sums = run[RUN.deltas]! + (c - 1) * arg(ctx, A.deltaStride);
    counts = sums + k * d * 8;
    new Uint8Array(ctx.memory.buffer, sums, k * d * 8 + k * 4).fill(0);
  }
  const changed = ctx.kernels.kmeansAssign(r1 - r0, d, k, arg(ctx, A.x) + r0 * d * 4, arg(ctx, A.xNorms) + r0 * 4, run[RUN.centers]!,
    run[RUN.labels]! + r0 * 4, run[RUN.minDist]! + r0 * 4, sums, counts,
    arg(ctx, A.scratch) + ctx.thread * arg(ctx, A.scratchStride));
  new Int32Array(ctx.memory.buffer, run[RUN.changed]!, c + 1)[c] = changed;
};

const distancesTask: Task = (ctx, t) => {
  const A = DISTANCES;
  const n = arg(ctx, A.n), d = arg(ctx, A.d), k = arg(ctx, A.k), per = arg(ctx, A.rowsPerTask);
  const [r0, r1] = rowRange(t, per, n);
  ctx.kernels.kmeansDistances(r1 - r0, d, k, arg(ctx, A.x) + r0 * d * 4, arg(ctx, A.xNorms) + r0 * 4, arg(ctx, A.centers),
    arg(ctx, A.out) + r0 * k * 4, arg(ctx, A.scratch) + ctx.thread * arg(ctx, A.scratchStride));
};

/** Run ⌊t / chunks⌋'s pointers and chunk t % chunks of a GMM job over `chunkRows`-row chunks of n rows. */
function gmmRun(ctx: TaskContext, t: number, n: number, per: number, table: number): { run: Int32Array; c: number; r0: number; r1: number } {
  const chunks = taskCount(n, per);
  const r = Math.floor(t / chunks), c = t % chunks;
  const [r0, r1] = rowRange(c, per, n);
  return { run: new Int32Array(ctx.memory.buffer, table + r * GMM_RUN_FIELDS * 4, GMM_RUN_FIELDS), c, r0, r1 };
}

const eStepTask: Task = (ctx, t) => {
  const A = ESTEP;
  const n = arg(ctx, A.n), d = arg(ctx, A.d), k = arg(ctx, A.k);
  const { run, c, r0, r1 } = gmmRun(ctx, t, n, arg(ctx, A.chunkRows), arg(ctx, A.runs));
  const resp = run[GMM_RUN.resp]!, logProb = run[GMM_RUN.logProbNorm]!, weights = arg(ctx, A.weights);
  const total = ctx.kernels.gmmEStep(r1 - r0, d, k, arg(ctx, A.covType), arg(ctx, A.x) + r0 * d * 4,
    run[GMM_RUN.means]!, run[GMM_RUN.prec]!, run[GMM_RUN.logDet]!, run[GMM_RUN.logWeights]!,
    resp === 0 ? 0 : resp + r0 * k * 8, logProb === 0 ? 0 : logProb + r0 * 8,
    arg(ctx, A.scratch) + ctx.thread * arg(ctx, A.scratchStride), weights === 0 ? 0 : weights + r0 * 8);
  new Float64Array(ctx.memory.buffer, run[GMM_RUN.totals]!, c + 1)[c] = total;
};

const rowMseTask: Task = (ctx, t) => {
  const A = ROW_MSE;
  const n = arg(ctx, A.n), d = arg(ctx, A.d), per = arg(ctx, A.rowsPerTask);
  const [r0, r1] = rowRange(t, per, n);
  ctx.kernels.rowMeanSquaredError(r1 - r0, d, arg(ctx, A.a) + r0 * d * 4, arg(ctx, A.b) + r0 * d * 4, arg(ctx, A.out) + r0 * 4);
};

const actTask: Task = (ctx, t) => {
  const A = ACT;
  const n = arg(ctx, A.n), per = arg(ctx, A.perTask);
  const [i0, i1] = rowRange(t, per, n);
  ctx.kernels.actForward(arg(ctx, A.kind), i1 - i0, arg(ctx, A.x) + i0 * 4, arg(ctx, A.y) + i0 * 4, farg(ctx, A.alpha));
};

// Which thread ran each task (out: one i32 per task): lets the tests and the
// benchmark see that the workers take part, and time a job that does nothing.
const whoTask: Task = (ctx, t) => {
  new Int32Array(ctx.memory.buffer, arg(ctx, WHO.out), t + 1)[t] = ctx.thread;
};

// A worker that fails on purpose, for the tests of the pool's fault handling.
// The calling thread never claims these tasks (see Pool.run's `workersOnly`).
const faultTask: Task = (ctx, t) => {
  const mode = arg(ctx, FAULT.mode);
  if (ctx.thread === 0 || t !== 0) return;
  if (mode === FAULT_TRAP) ctx.kernels.sum(16, 0xfffffff0); // reads past the end of memory: a trap
  else if (mode === FAULT_THROW) throw new Error(`a task that throws (value ${arg(ctx, FAULT.value)})`);
  else if (mode === FAULT_DIE) ctx.die();
};

// One micro-shard's pass: its program run on this thread's kernels (into the
// shard's own rows and gradient block; nothing another task writes).
const programTask: Task = (ctx, t) => {
  runTaskProgram(ctx, t, 0);
  Atomics.add(ctx.control.i32, PROGRAM_TASKS_RUN + ctx.thread, 1);
};

// The GMM M-step's two passes over rows (parallel.ts: gmmMStepRuns). Chunk c of
// a run adds its rows into its own block of the run's `partials`, zeroed here;
// the caller adds the blocks in chunk order.
const mStepRows = (ctx: TaskContext, t: number) => {
  const n = arg(ctx, MSTEP.n), d = arg(ctx, MSTEP.d), k = arg(ctx, MSTEP.k);
  const { run, c, r0, r1 } = gmmRun(ctx, t, n, arg(ctx, MSTEP.chunkRows), arg(ctx, MSTEP.runs));
  const weights = arg(ctx, MSTEP.weights);
  const block = (floats: number): number => {
    const at = run[GMM_RUN.partials]! + c * arg(ctx, MSTEP.partialStride);
    new Float64Array(ctx.memory.buffer, at, floats).fill(0);
    return at;
  };
  return {
    d, k, run, block, rows: r1 - r0, x: arg(ctx, MSTEP.x) + r0 * d * 4, resp: run[GMM_RUN.resp]! + r0 * k * 8,
    weights: weights === 0 ? 0 : weights + r0 * 8,
  };
};

const mStepSumsTask: Task = (ctx, t) => {
  const { d, k, block, rows, x, resp, weights } = mStepRows(ctx, t);
  // nk (k f64) then the sums (k × d f64): in a partial block, one after the other.
  const nk = block(k + k * d);
  ctx.kernels.gmmMStepSums(rows, d, k, x, resp, weights, nk, nk + k * 8);
};

const mStepScatterTask: Task = (ctx, t) => {
  const { d, k, run, block, rows, x, resp, weights } = mStepRows(ctx, t);
  const covType = arg(ctx, MSTEP.covType);
  const acc = block(ctx.kernels.gmmScatterSize(d, k, covType));
  ctx.kernels.gmmMStepScatter(rows, d, k, covType, x, resp, weights, run[GMM_RUN.means]!, acc,
    arg(ctx, MSTEP.scratch) + ctx.thread * arg(ctx, MSTEP.scratchStride));
};

// A piece of a training step's reduction or update (the shards' gradient sum, the
// optimizer's step over a range of the parameters): a program like a shard's,
// counted apart from them (PROGRAM_TASKS_RUN counts the shards' passes alone).
function pieceTask(ctx: TaskContext, t: number): void {
  runTaskProgram(ctx, t, arg(ctx, PROGRAM.phase));
}

/** Task t's program (PROGRAM.table), its result into PROGRAM.results; see PROGRAM for `phase`. */
function runTaskProgram(ctx: TaskContext, t: number, phase: number): void {
  const buffer = ctx.memory.buffer;
  const results = new Int32Array(buffer, arg(ctx, PROGRAM.results), t + 1);
  if (phase > 0 && t >= phase && !firstPhaseGood(ctx.control, results, phase)) {
    results[t] = -1;
    return;
  }
  const entry = new Int32Array(buffer, arg(ctx, PROGRAM.table) + t * 8, 2);
  const bad = runProgram(programFunctions(ctx.kernels), new Float64Array(buffer, entry[0]!, entry[1]!));
  // Atomics: a thread that sees this result sees the memory the program wrote.
  Atomics.store(results, t, bad);
}

/**
 * Waits until tasks 0…phase−1 have all ended (their results are no longer
 * PENDING); true if none found a bad input. Every one of them was claimed
 * before this task was (claims go in task order), so each is running on a live
 * thread, or its thread failed or died: then the job will throw, and this task
 * stops waiting and is skipped.
 */
function firstPhaseGood(c: Control, results: Int32Array, phase: number): boolean {
  for (;;) {
    let pending = false;
    for (let i = 0; i < phase; i++) {
      const r = Atomics.load(results, i);
      if (r >= 0) return false;
      if (r === PENDING) pending = true;
    }
    if (!pending) return true;
    if (Atomics.load(c.i32, FAIL_THREAD) !== 0 || Atomics.load(c.i32, DEATHS) !== Atomics.load(c.i32, JOB_DEATHS)) return false;
  }
}

/** Indexed by job kind. */
export const TASKS: readonly Task[] = [gemmTask, assignTask, distancesTask, eStepTask, rowMseTask, actTask, whoTask, faultTask, mStepSumsTask, mStepScatterTask, programTask, pieceTask];
// Job kinds of rows appended after the first eight: their place in TASKS (and JOB_KERNELS).
export const JOB_GMM_MSTEP_SUMS = TASKS.indexOf(mStepSumsTask);
export const JOB_GMM_MSTEP_SCATTER = TASKS.indexOf(mStepScatterTask);
export const JOB_PROGRAM = TASKS.indexOf(programTask);
export const JOB_PIECES = TASKS.indexOf(pieceTask);
