// The kernels the library calls, with the large calls split across threads.
// `parallelKernels` wraps the calling thread's (guarded) kernels; every other
// kernel passes through unchanged.
//
// Bit-identical for any thread count, by one of two constructions:
//  - Row splits (GEMM, k-means distances, row errors, activations): each output
//    row (or element) is computed by one thread with exactly the arithmetic of
//    the whole call. For the GEMM that holds because a split only ever falls on
//    a multiple of 4 rows and leaves every part at least 4 rows: each part then
//    takes the code path (and the K blocking) the whole call would take for
//    those rows. Threads only pay above a measured size (GEMM_SPLIT_MACS …).
//  - Fixed chunks (k-means assignment with its centre sums, the GMM E-step with
//    its log-likelihood): rows are cut in chunks whose size depends on the row
//    count alone (chunkRows), each chunk's f64 sums are kept apart, and the
//    chunks' sums are added in chunk order on the calling thread. The chunks
//    are the same on one thread — the single-thread module included — so every
//    thread count, and every runtime, adds the same numbers in the same order.

import type { Kernels } from '../runtime/abi.js';
import type { Allocator } from '../runtime/allocator.js';
import type { JobRunner } from './pool.js';
import {
  ACT, ASSIGN, DISTANCES, ESTEP, GEMM, JOB_ACT_FORWARD, JOB_GEMM, JOB_GMM_ESTEP, JOB_KMEANS_ASSIGN,
  JOB_KMEANS_DISTANCES, JOB_PIECES, JOB_PROGRAM, JOB_ROW_MSE, PROGRAM, ROW_MSE, RUN, RUN_FIELDS, taskCount,
  JOB_GMM_MSTEP_SCATTER, JOB_GMM_MSTEP_SUMS, MSTEP, GMM_RUN, GMM_RUN_FIELDS,
} from './tasks.js';

/**
 * Multiply-adds up to which a GEMM runs on one thread. Splitting in two saves
 * half the GEMM's time and costs a worker's wake-up round trip (npm run bench --
 * threads: "a task a worker must run", 10–35 µs on this 2-core machine); at
 * 25 G multiply-adds a second that breaks even near 2^19 to 2^20 multiply-adds.
 * At exactly 2^20 (the benchmark network's 32-row batch: 32 × 256 × 128) the
 * split measured slower than one thread, so the split starts above it.
 */
export const GEMM_SPLIT_MACS = 1 << 20;
/**
 * The same while the pool is warm (JobRunner.warm: a job ended moments ago, so the
 * workers are still checking for the next one and take it up in about 2 µs). Then
 * half a GEMM of 2^18 multiply-adds (about 6 µs) is worth handing out: the
 * autoencoder's 4096 × 32 · 32 × 8 layers, right after its wide ones ran split,
 * and its anomaly scores on 16,384 rows 4–8% faster on 2 threads.
 */
export const GEMM_SPLIT_MACS_WARM = 1 << 18;
/** A GEMM part never has fewer rows than this (a multiple of 4; see above). */
export const GEMM_MIN_ROWS = 16;
/** Row-split kernels: at least this many rows per part. */
const ROW_SPLIT_MIN = 256;
/** Multiply-adds (rows × d × k) below which the chunks of a k-means assignment all run on the calling thread. */
export const ASSIGN_SPLIT_MACS = 1 << 17;
/** Elementwise activations: at least this many elements per part, and the split only above twice that. */
const ACT_SPLIT_MIN = 1 << 16;

/**
 * Chunks of the row-sum kernels: at most MAX_CHUNKS; a k-means chunk is a
 * multiple of 1024 rows (the assignment's blocks stay whole) and at least
 * CHUNK_MACS multiply-adds of work (a task costs about a microsecond to hand
 * out; the zip codes, d = 2 and k = 8, would otherwise take 1024-row chunks of
 * 2 µs); a GMM chunk at least 256 rows (a row costs k Gaussians).
 */
const KMEANS_BLOCK = 1024;
/**
 * Bytes of a cache line. Blocks that different threads write at once (each
 * thread's scratch, each chunk's sums) start on a line of their own, so that no
 * two threads write one line: sharing a line, two threads' writes evict each
 * other's copy on every store (false sharing) — the GMM E-step's 112-byte
 * per-thread scratch made 2 threads slower than 1.
 */
const LINE = 64;
const CHUNK_MACS = 1 << 17;
const GMM_CHUNK_MIN = 256;
const MAX_CHUNKS = 64;

/**
 * Rows per chunk for n rows: a multiple of `min`, at least `min`, set by n (and
 * the caller's `min`) alone, never by the thread count. The last chunk takes
 * the rest (taskCount).
 */
export function chunkRows(n: number, min: number): number {
  return Math.max(min, Math.ceil(n / MAX_CHUNKS / min) * min);
}

/** Rows per chunk of a k-means assignment of n rows, d features and k centres. */
export function kmeansChunkRows(n: number, d: number, k: number): number {
  return chunkRows(n, Math.ceil(Math.max(1, CHUNK_MACS / (d * k)) / KMEANS_BLOCK) * KMEANS_BLOCK);
}

/** Rows per part when `rows` rows are split over `threads` threads: a multiple of `multiple`, at least `min`. */
function splitRows(rows: number, threads: number, min: number, multiple: number): number {
  return Math.max(min, Math.ceil(rows / threads / multiple) * multiple);
}

export interface ParallelEnv {
  /** Runs jobs: the pool, or the calling thread alone. */
  readonly runner: JobRunner;
  readonly allocator: Allocator;
  readonly memory: WebAssembly.Memory;
  /** The GEMM the calling thread runs (the relaxed one in fast mode). */
  readonly gemm: Kernels['gemm'];
}

export function parallelKernels(base: Kernels, env: ParallelEnv): Kernels {
  const { runner, allocator, memory } = env;
  const gemm = env.gemm;

  const splitGemm: Kernels['gemm'] = (transA, transB, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc, bias, act) => {
    const threads = runner.threads;
    if (threads < 2 || M < 2 * GEMM_MIN_ROWS || M * N * K <= (runner.warm ? GEMM_SPLIT_MACS_WARM : GEMM_SPLIT_MACS)) {
      gemm(transA, transB, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc, bias, act);
      return;
    }
    const per = splitRows(M, threads, GEMM_MIN_ROWS, 4);
    const g = runner.args;
    g[GEMM.transA] = transA; g[GEMM.transB] = transB; g[GEMM.M] = M; g[GEMM.N] = N; g[GEMM.K] = K;
    g[GEMM.a] = a; g[GEMM.lda] = lda; g[GEMM.b] = b; g[GEMM.ldb] = ldb; g[GEMM.c] = c; g[GEMM.ldc] = ldc;
    g[GEMM.bias] = bias; g[GEMM.act] = act; g[GEMM.rowsPerTask] = per;
    runner.fargs[GEMM.alpha] = alpha; runner.fargs[GEMM.beta] = beta;
    runner.run(JOB_GEMM, taskCount(M, per));
  };

  const kmeansAssignRuns: AssignRuns = (n, d, k, x, xNorms, runs) => {
    const per = kmeansChunkRows(n, d, k);
    const chunks = taskCount(n, per);
    const split = runner.threads > 1 && n * d * k * runs.length >= ASSIGN_SPLIT_MACS;
    const scratchStride = roundUp(base.kmeansScratchBytes(d, k), LINE);
    const sumBytes = k * d * 8;
    const deltaStride = roundUp(sumBytes + k * 4, LINE);
    const { block, free } = lineBlocks(allocator, 'k-means chunk sums');
    try {
      const threadScratch = block(scratchStride * (split ? runner.capacity : 1));
      const table = block(runs.length * RUN_FIELDS * 4);
      const rows = runs.map((r) => ({
        ...r, deltas: r.sums !== 0 && chunks > 1 ? block(deltaStride * (chunks - 1)) : 0, changed: block(chunks * 4),
      }));
      const t = new Int32Array(memory.buffer, table, runs.length * RUN_FIELDS);
      rows.forEach((r, i) => {
        const o = i * RUN_FIELDS;
        t[o + RUN.centers] = r.centers; t[o + RUN.labels] = r.labels; t[o + RUN.minDist] = r.minDist;
        t[o + RUN.sums] = r.sums; t[o + RUN.counts] = r.counts; t[o + RUN.deltas] = r.deltas; t[o + RUN.changed] = r.changed;
      });
      const g = runner.args;
      g[ASSIGN.n] = n; g[ASSIGN.d] = d; g[ASSIGN.k] = k; g[ASSIGN.x] = x; g[ASSIGN.xNorms] = xNorms;
      g[ASSIGN.scratch] = threadScratch; g[ASSIGN.scratchStride] = scratchStride; g[ASSIGN.chunkRows] = per;
      g[ASSIGN.deltaStride] = deltaStride; g[ASSIGN.runs] = table;
      if (split) runner.run(JOB_KMEANS_ASSIGN, chunks * runs.length); else runner.runLocal(JOB_KMEANS_ASSIGN, chunks * runs.length);
      const buffer = memory.buffer;
      return rows.map((r) => {
        if (r.deltas !== 0) {
          // The chunks' totals, added in chunk order.
          const total = new Float64Array(buffer, r.sums, k * d);
          const size = new Int32Array(buffer, r.counts, k);
          for (let ch = 1; ch < chunks; ch++) {
            const at = r.deltas + (ch - 1) * deltaStride;
            const ds = new Float64Array(buffer, at, k * d);
            const dc = new Int32Array(buffer, at + sumBytes, k);
            for (let j = 0; j < k * d; j++) total[j]! += ds[j]!;
            for (let j = 0; j < k; j++) size[j]! += dc[j]!;
          }
        }
        let moved = 0;
        const ch = new Int32Array(buffer, r.changed, chunks);
        for (let i = 0; i < chunks; i++) moved += ch[i]!;
        return moved;
      });
    } finally {
      free();
    }
  };

  const kmeansAssign: Kernels['kmeansAssign'] = (n, d, k, x, xNorms, centers, labels, minDist, sums, counts, scratch) => {
    if (taskCount(n, kmeansChunkRows(n, d, k)) === 1) {
      return base.kmeansAssign(n, d, k, x, xNorms, centers, labels, minDist, sums, counts, scratch);
    }
    return kmeansAssignRuns(n, d, k, x, xNorms, [{ centers, labels, minDist, sums, counts }])[0]!;
  };

  // A GMM job's per-thread scratch and its table of runs (GMM_RUN_FIELDS i32 per run), filled by `fill`.
  const gmmJob = (runs: number, scratchStride: number, split: boolean, block: (bytes: number) => number, fill: (run: Int32Array, r: number) => void) => {
    const threadScratch = block(scratchStride * (split ? runner.capacity : 1));
    const table = block(runs * GMM_RUN_FIELDS * 4);
    for (let r = 0; r < runs; r++) fill(new Int32Array(memory.buffer, table + r * GMM_RUN_FIELDS * 4, GMM_RUN_FIELDS), r);
    return { threadScratch, table };
  };

  const gmmEStepRuns: GmmEStepRuns = (n, d, k, covType, x, weights, runs) => {
    const per = chunkRows(n, GMM_CHUNK_MIN);
    const chunks = taskCount(n, per);
    if (chunks === 1) {
      return runs.map((r) => base.gmmEStep(n, d, k, covType, x, r.means, r.prec, r.logDet, r.logWeights, r.resp, r.logProbNorm, r.scratch, weights));
    }
    const split = runner.threads > 1;
    const scratchStride = roundUp((d + k) * 8, LINE);
    const { block, free } = lineBlocks(allocator, 'E-step chunk sums');
    try {
      const totals = runs.map(() => block(chunks * 8));
      const { threadScratch, table } = gmmJob(runs.length, scratchStride, split, block, (t, r) => {
        const run = runs[r]!;
        t.fill(0);
        t[GMM_RUN.means] = run.means; t[GMM_RUN.prec] = run.prec; t[GMM_RUN.logDet] = run.logDet; t[GMM_RUN.logWeights] = run.logWeights;
        t[GMM_RUN.resp] = run.resp; t[GMM_RUN.logProbNorm] = run.logProbNorm; t[GMM_RUN.totals] = totals[r]!;
      });
      const g = runner.args;
      g[ESTEP.n] = n; g[ESTEP.d] = d; g[ESTEP.k] = k; g[ESTEP.covType] = covType; g[ESTEP.x] = x; g[ESTEP.weights] = weights;
      g[ESTEP.scratch] = threadScratch; g[ESTEP.scratchStride] = scratchStride; g[ESTEP.chunkRows] = per; g[ESTEP.runs] = table;
      if (split) runner.run(JOB_GMM_ESTEP, chunks * runs.length); else runner.runLocal(JOB_GMM_ESTEP, chunks * runs.length);
      return totals.map((at) => {
        const t = new Float64Array(memory.buffer, at, chunks);
        let total = t[0]!;
        for (let i = 1; i < chunks; i++) total += t[i]!;
        return total;
      });
    } finally {
      free();
    }
  };

  const gmmEStep: Kernels['gmmEStep'] = (n, d, k, covType, x, means, prec, logDet, logWeights, resp, logProbNorm, scratch, weights) =>
    gmmEStepRuns(n, d, k, covType, x, weights, [{ means, prec, logDet, logWeights, resp, logProbNorm, scratch }])[0]!;

  const kmeansDistances: Kernels['kmeansDistances'] = (n, d, k, x, xNorms, centers, out, scratch) => {
    const threads = runner.threads;
    if (threads < 2 || n < 2 * ROW_SPLIT_MIN || n * d * k < GEMM_SPLIT_MACS) {
      base.kmeansDistances(n, d, k, x, xNorms, centers, out, scratch);
      return;
    }
    const stride = roundUp(base.kmeansScratchBytes(d, k), LINE);
    const { block, free } = lineBlocks(allocator, 'k-means scratch');
    const threadScratch = block(stride * runner.capacity);
    try {
      const per = splitRows(n, threads, ROW_SPLIT_MIN, 4);
      const g = runner.args;
      g[DISTANCES.n] = n; g[DISTANCES.d] = d; g[DISTANCES.k] = k; g[DISTANCES.x] = x; g[DISTANCES.xNorms] = xNorms;
      g[DISTANCES.centers] = centers; g[DISTANCES.out] = out; g[DISTANCES.scratch] = threadScratch;
      g[DISTANCES.scratchStride] = stride; g[DISTANCES.rowsPerTask] = per;
      runner.run(JOB_KMEANS_DISTANCES, taskCount(n, per));
    } finally {
      free();
    }
  };

  const rowMeanSquaredError: Kernels['rowMeanSquaredError'] = (n, d, a, b, out) => {
    const threads = runner.threads;
    if (threads < 2 || n < 2 * ROW_SPLIT_MIN || n * d < ACT_SPLIT_MIN) {
      base.rowMeanSquaredError(n, d, a, b, out);
      return;
    }
    const per = splitRows(n, threads, ROW_SPLIT_MIN, 4);
    const g = runner.args;
    g[ROW_MSE.n] = n; g[ROW_MSE.d] = d; g[ROW_MSE.a] = a; g[ROW_MSE.b] = b; g[ROW_MSE.out] = out; g[ROW_MSE.rowsPerTask] = per;
    runner.run(JOB_ROW_MSE, taskCount(n, per));
  };

  const actForward: Kernels['actForward'] = (kind, n, x, y, alpha) => {
    const threads = runner.threads;
    if (threads < 2 || n < 2 * ACT_SPLIT_MIN) {
      base.actForward(kind, n, x, y, alpha);
      return;
    }
    // Parts of a multiple of 4 elements: the SIMD loop and the scalar tail see the elements the whole call would.
    const per = splitRows(n, threads, ACT_SPLIT_MIN, 4);
    const g = runner.args;
    g[ACT.kind] = kind; g[ACT.n] = n; g[ACT.x] = x; g[ACT.y] = y; g[ACT.perTask] = per;
    runner.fargs[ACT.alpha] = alpha;
    runner.run(JOB_ACT_FORWARD, taskCount(n, per));
  };

  // The M-step's two passes over rows in the E-step's chunks (see the top of this
  // file), each chunk's f64 sums apart, added in chunk order; the small parts
  // between and after them (the means, the covariances' Cholesky factors) on the
  // calling thread. With one chunk: the kernel itself.
  const gmmMStepRuns: GmmMStepRuns = (n, d, k, covType, x, weights, regCovar, runs) => {
    const per = chunkRows(n, GMM_CHUNK_MIN);
    const chunks = taskCount(n, per);
    if (chunks === 1) {
      return runs.map((r) => base.gmmMStep(n, d, k, covType, x, r.resp, regCovar, r.nk, r.means, r.covariances, r.prec, r.logDet, r.logWeights, r.scratch, weights));
    }
    const split = runner.threads > 1;
    const accSize = base.gmmScatterSize(d, k, covType);
    const partialStride = roundUp(Math.max(k + k * d, accSize) * 8, LINE);
    const scratchStride = roundUp(d * 8, LINE);
    const { block, free } = lineBlocks(allocator, 'M-step chunk sums');
    try {
      // Every chunk sums into a block of its own, the first too: summing into the run's own buffers, it
      // would write lines that the other chunks read (the means beside the covariances).
      const partials = runs.map(() => block(partialStride * chunks));
      const { threadScratch, table } = gmmJob(runs.length, scratchStride, split, block, (t, r) => {
        const run = runs[r]!;
        t.fill(0);
        t[GMM_RUN.resp] = run.resp; t[GMM_RUN.means] = run.means;
        t[GMM_RUN.partials] = partials[r]!;
      });
      const g = runner.args;
      g[MSTEP.n] = n; g[MSTEP.d] = d; g[MSTEP.k] = k; g[MSTEP.covType] = covType; g[MSTEP.x] = x; g[MSTEP.weights] = weights;
      g[MSTEP.chunkRows] = per; g[MSTEP.partialStride] = partialStride; g[MSTEP.scratch] = threadScratch;
      g[MSTEP.scratchStride] = scratchStride; g[MSTEP.runs] = table;
      const tasks = chunks * runs.length;
      const run = (kind: number) => { if (split) runner.run(kind, tasks); else runner.runLocal(kind, tasks); };
      // A run's totals: its first chunk's block, then the others added in chunk order
      // ([pointer, f64 count, f64 offset in a block]) — the sums of one pass over all rows into zeroed totals.
      const addPartials = (r: number, totals: readonly [number, number, number][]) => {
        for (let ch = 0; ch < chunks; ch++) {
          for (const [at, count, offset] of totals) {
            const total = new Float64Array(memory.buffer, at, count);
            const part = new Float64Array(memory.buffer, partials[r]! + ch * partialStride + offset * 8, count);
            if (ch === 0) total.set(part);
            else for (let j = 0; j < count; j++) total[j]! += part[j]!;
          }
        }
      };
      run(JOB_GMM_MSTEP_SUMS);
      runs.forEach((r, i) => {
        addPartials(i, [[r.nk, k, 0], [r.means, k * d, k]]);
        base.gmmMStepMeans(d, k, r.nk, r.means);
      });
      run(JOB_GMM_MSTEP_SCATTER);
      return runs.map((r, i) => {
        addPartials(i, [[r.covariances, accSize, 0]]);
        return base.gmmMStepFinish(d, k, covType, regCovar, r.nk, r.means, r.covariances, r.prec, r.logDet, r.logWeights);
      });
    } finally {
      free();
    }
  };

  const gmmMStep: Kernels['gmmMStep'] = (n, d, k, covType, x, resp, regCovar, nk, means, covariances, prec, logDet, logWeights, scratch, weights) =>
    gmmMStepRuns(n, d, k, covType, x, weights, regCovar, [{ resp, nk, means, covariances, prec, logDet, logWeights, scratch }])[0]!;

  const kernels: ParallelKernels = { ...base, gemm: splitGemm, kmeansAssign, gmmEStep, gmmMStep, kmeansDistances, rowMeanSquaredError, actForward };
  kernels.kmeansAssignRuns = kmeansAssignRuns;
  kernels.gmmRuns = { eStep: gmmEStepRuns, mStep: gmmMStepRuns };
  kernels.runPrograms = {
    get threads() { return runner.threads; },
    run(table, count, results) {
      runner.args[PROGRAM.table] = table;
      runner.args[PROGRAM.results] = results;
      runner.run(JOB_PROGRAM, count);
    },
    runPieces(table, count, results, phase = 0) {
      runner.args[PROGRAM.table] = table;
      runner.args[PROGRAM.results] = results;
      runner.args[PROGRAM.phase] = phase;
      runner.run(JOB_PIECES, count);
    },
  };
  return kernels;
}

/**
 * Runs micro-shard programs (program.ts) as one job: `table` holds `count` i32
 * pairs (program offset, length in f64), one per task; task t writes −1 or a bad
 * row into the i32 at results + 4t. `threads`: the threads a job can use now.
 */
export interface ProgramRunner {
  readonly threads: number;
  run(table: number, count: number, results: number): void;
  /**
   * The same for the pieces of a step's reduction or update (program.ts,
   * ProgramPieces): not counted as shards' passes. `phase`: tasks before it run
   * first; a task after it runs only when they all ended with no bad input
   * (tasks.ts, PROGRAM.phase).
   */
  runPieces(table: number, count: number, results: number, phase?: number): void;
}

/** The runtime's program runner, or null on kernels without a pool (the single-thread module, manytask/infer). */
export function programRunnerOf(kernels: Kernels): ProgramRunner | null {
  return (kernels as ParallelKernels).runPrograms ?? null;
}

/** One run of kmeansAssignRuns: a k-means restart's buffers (as kmeansAssign's arguments). */
export interface AssignRun {
  readonly centers: number;
  readonly labels: number;
  readonly minDist: number;
  readonly sums: number;
  readonly counts: number;
}

/**
 * kmeansAssign for several runs over the same points (k-means restarts), their
 * chunks in one job; returns each run's count of changed labels. Each run gets
 * exactly what kmeansAssign alone would give it.
 */
export type AssignRuns = (n: number, d: number, k: number, x: number, xNorms: number, runs: readonly AssignRun[]) => number[];

type ParallelKernels = Kernels & { kmeansAssignRuns?: AssignRuns; gmmRuns?: GmmRuns; runPrograms?: ProgramRunner };

/**
 * The runtime's kmeansAssignRuns, or, on kernels without it, the runs one after
 * another through kmeansAssign (the same results).
 */
export function assignRunsOf(kernels: Kernels, scratch: (run: number) => number): AssignRuns {
  const own = (kernels as ParallelKernels).kmeansAssignRuns;
  if (own !== undefined) return own;
  return (n, d, k, x, xNorms, runs) =>
    runs.map((r, i) => kernels.kmeansAssign(n, d, k, x, xNorms, r.centers, r.labels, r.minDist, r.sums, r.counts, scratch(i)));
}

/** One run of the GMM runs kernels: a start's buffers (as gmmEStep's and gmmMStep's arguments; scratch is d + k f64). */
export interface GmmRun {
  readonly means: number;
  readonly prec: number;
  readonly logDet: number;
  readonly logWeights: number;
  readonly resp: number;
  readonly scratch: number;
}

/** gmmEStep for several starts over the same points (GMM starts side by side), their chunks in one job; each start's total. */
export type GmmEStepRuns = (
  n: number, d: number, k: number, covType: number, x: number, weights: number,
  runs: readonly (GmmRun & { readonly logProbNorm: number })[],
) => number[];

/** gmmMStep for several starts, each pass's chunks in one job; each start's return code. */
export type GmmMStepRuns = (
  n: number, d: number, k: number, covType: number, x: number, weights: number, regCovar: number,
  runs: readonly (GmmRun & { readonly nk: number; readonly covariances: number })[],
) => number[];

export interface GmmRuns {
  readonly eStep: GmmEStepRuns;
  readonly mStep: GmmMStepRuns;
}

/**
 * The runtime's GMM runs kernels, or, on kernels without them, the runs one
 * after another through gmmEStep and gmmMStep (the same results). Each run gets
 * exactly what the kernel alone would give it.
 */
export function gmmRunsOf(kernels: Kernels): GmmRuns {
  const own = (kernels as ParallelKernels).gmmRuns;
  if (own !== undefined) return own;
  return {
    eStep: (n, d, k, covType, x, weights, runs) =>
      runs.map((r) => kernels.gmmEStep(n, d, k, covType, x, r.means, r.prec, r.logDet, r.logWeights, r.resp, r.logProbNorm, r.scratch, weights)),
    mStep: (n, d, k, covType, x, weights, regCovar, runs) =>
      runs.map((r) => kernels.gmmMStep(n, d, k, covType, x, r.resp, regCovar, r.nk, r.means, r.covariances, r.prec, r.logDet, r.logWeights, r.scratch, weights)),
  };
}

/**
 * Blocks for one call's chunk sums and scratch, each starting on a cache line
 * (LINE; the allocator aligns to 16 bytes), and `free` to give them all back.
 */
function lineBlocks(allocator: Allocator, what: string): { block: (bytes: number) => number; free: () => void } {
  const held: number[] = [];
  return {
    block: (bytes) => {
      const p = allocator.alloc(Math.max(bytes, 16) + LINE - 16, what);
      held.push(p);
      return roundUp(p, LINE);
    },
    free: () => { for (const p of held) allocator.free(p); },
  };
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
