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
  JOB_KMEANS_DISTANCES, JOB_ROW_MSE, ROW_MSE, taskCount,
} from './tasks.js';

/** Multiply-adds below which a GEMM runs on one thread (dispatch costs more than it saves; bench/threads.mjs). */
export const GEMM_SPLIT_MACS = 1 << 19;
/** A GEMM part never has fewer rows than this (a multiple of 4; see above). */
export const GEMM_MIN_ROWS = 16;
/** Row-split kernels: at least this many rows per part. */
const ROW_SPLIT_MIN = 256;
/** Multiply-adds (rows × d × k) below which the chunks of a k-means assignment all run on the calling thread. */
export const ASSIGN_SPLIT_MACS = 1 << 17;
/** Elementwise activations: at least this many elements per part, and the split only above twice that. */
const ACT_SPLIT_MIN = 1 << 16;

/** Chunks of the row-sum kernels: at least CHUNK_MIN rows, at most MAX_CHUNKS chunks. */
const KMEANS_CHUNK_MIN = 1024;
const GMM_CHUNK_MIN = 256;
const MAX_CHUNKS = 64;

/**
 * Rows per chunk for n rows: a multiple of `min` (so k-means' 1024-row blocks
 * stay whole), set by n alone. The last chunk takes the rest (taskCount).
 */
export function chunkRows(n: number, min: number): number {
  return Math.max(min, Math.ceil(n / MAX_CHUNKS / min) * min);
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
    if (threads < 2 || M < 2 * GEMM_MIN_ROWS || M * N * K < GEMM_SPLIT_MACS) {
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

  const kmeansAssign: Kernels['kmeansAssign'] = (n, d, k, x, xNorms, centers, labels, minDist, sums, counts, scratch) => {
    const per = chunkRows(n, KMEANS_CHUNK_MIN);
    const chunks = taskCount(n, per);
    const split = runner.threads > 1 && n * d * k >= ASSIGN_SPLIT_MACS;
    if (chunks === 1 && !split) return base.kmeansAssign(n, d, k, x, xNorms, centers, labels, minDist, sums, counts, scratch);
    const scratchStride = roundUp(base.kmeansScratchBytes(d, k), 16);
    const sumBytes = k * d * 8;
    const deltaStride = roundUp(sumBytes + k * 4, 16);
    const blocks: number[] = [];
    const block = (bytes: number) => { const p = allocator.alloc(Math.max(bytes, 16), 'k-means chunk sums'); blocks.push(p); return p; };
    try {
      const threadScratch = block(scratchStride * (split ? runner.capacity : 1));
      const deltas = sums !== 0 && chunks > 1 ? block(deltaStride * (chunks - 1)) : 0;
      const changed = block(chunks * 4);
      const g = runner.args;
      g[ASSIGN.n] = n; g[ASSIGN.d] = d; g[ASSIGN.k] = k; g[ASSIGN.x] = x; g[ASSIGN.xNorms] = xNorms;
      g[ASSIGN.centers] = centers; g[ASSIGN.labels] = labels; g[ASSIGN.minDist] = minDist; g[ASSIGN.sums] = sums;
      g[ASSIGN.counts] = counts; g[ASSIGN.scratch] = threadScratch; g[ASSIGN.scratchStride] = scratchStride;
      g[ASSIGN.chunkRows] = per; g[ASSIGN.deltas] = deltas; g[ASSIGN.deltaStride] = deltaStride; g[ASSIGN.changed] = changed;
      if (split) runner.run(JOB_KMEANS_ASSIGN, chunks); else runner.runLocal(JOB_KMEANS_ASSIGN, chunks);
      const buffer = memory.buffer;
      if (deltas !== 0) {
        // The chunks' totals, added in chunk order.
        const total = new Float64Array(buffer, sums, k * d);
        const size = new Int32Array(buffer, counts, k);
        for (let ch = 1; ch < chunks; ch++) {
          const at = deltas + (ch - 1) * deltaStride;
          const ds = new Float64Array(buffer, at, k * d);
          const dc = new Int32Array(buffer, at + sumBytes, k);
          for (let j = 0; j < k * d; j++) total[j]! += ds[j]!;
          for (let j = 0; j < k; j++) size[j]! += dc[j]!;
        }
      }
      let moved = 0;
      const ch = new Int32Array(buffer, changed, chunks);
      for (let i = 0; i < chunks; i++) moved += ch[i]!;
      return moved;
    } finally {
      for (const p of blocks) allocator.free(p);
    }
  };

  const gmmEStep: Kernels['gmmEStep'] = (n, d, k, covType, x, means, prec, logDet, logWeights, resp, logProbNorm, scratch) => {
    const per = chunkRows(n, GMM_CHUNK_MIN);
    const chunks = taskCount(n, per);
    const split = runner.threads > 1;
    if (chunks === 1) return base.gmmEStep(n, d, k, covType, x, means, prec, logDet, logWeights, resp, logProbNorm, scratch);
    const scratchStride = roundUp((d + k) * 8, 16);
    const blocks: number[] = [];
    const block = (bytes: number) => { const p = allocator.alloc(Math.max(bytes, 16), 'E-step chunk sums'); blocks.push(p); return p; };
    try {
      const threadScratch = block(scratchStride * (split ? runner.capacity : 1));
      const totals = block(chunks * 8);
      const g = runner.args;
      g[ESTEP.n] = n; g[ESTEP.d] = d; g[ESTEP.k] = k; g[ESTEP.covType] = covType; g[ESTEP.x] = x; g[ESTEP.means] = means;
      g[ESTEP.prec] = prec; g[ESTEP.logDet] = logDet; g[ESTEP.logWeights] = logWeights; g[ESTEP.resp] = resp;
      g[ESTEP.logProbNorm] = logProbNorm; g[ESTEP.scratch] = threadScratch; g[ESTEP.scratchStride] = scratchStride;
      g[ESTEP.chunkRows] = per; g[ESTEP.totals] = totals;
      if (split) runner.run(JOB_GMM_ESTEP, chunks); else runner.runLocal(JOB_GMM_ESTEP, chunks);
      const t = new Float64Array(memory.buffer, totals, chunks);
      let total = t[0]!;
      for (let i = 1; i < chunks; i++) total += t[i]!;
      return total;
    } finally {
      for (const p of blocks) allocator.free(p);
    }
  };

  const kmeansDistances: Kernels['kmeansDistances'] = (n, d, k, x, xNorms, centers, out, scratch) => {
    const threads = runner.threads;
    if (threads < 2 || n < 2 * ROW_SPLIT_MIN || n * d * k < GEMM_SPLIT_MACS) {
      base.kmeansDistances(n, d, k, x, xNorms, centers, out, scratch);
      return;
    }
    const stride = roundUp(base.kmeansScratchBytes(d, k), 16);
    const threadScratch = allocator.alloc(stride * runner.capacity, 'k-means scratch');
    try {
      const per = splitRows(n, threads, ROW_SPLIT_MIN, 4);
      const g = runner.args;
      g[DISTANCES.n] = n; g[DISTANCES.d] = d; g[DISTANCES.k] = k; g[DISTANCES.x] = x; g[DISTANCES.xNorms] = xNorms;
      g[DISTANCES.centers] = centers; g[DISTANCES.out] = out; g[DISTANCES.scratch] = threadScratch;
      g[DISTANCES.scratchStride] = stride; g[DISTANCES.rowsPerTask] = per;
      runner.run(JOB_KMEANS_DISTANCES, taskCount(n, per));
    } finally {
      allocator.free(threadScratch);
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

  return { ...base, gemm: splitGemm, kmeansAssign, gmmEStep, kmeansDistances, rowMeanSquaredError, actForward };
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
