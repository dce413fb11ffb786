// Measured inter-task affinity: the cosine between tasks' gradients on the
// shared representation (dL_s/dZ · dL_t/dZ over ‖·‖‖·‖), averaged over the steps
// where both tasks had labels, reported as a T×T matrix with suggested groups.
// Where two tasks' gradients of Z cannot overlap (crossStitch: each task reads its
// own block, src/mtl/overlap.ts), the trainer gives it the shared parameters' instead.
// (Fifty et al. 2021 measure "lookahead" affinity; gradient cosine is the
// cheaper signal they compare it with, and costs one dot product per pair here.)

import { ArgumentError } from '../runtime/errors.js';
import { checkDim, checkKeys, checkOptionsObject, show } from '../runtime/validate.js';

export interface AffinityOptions {
  /** Only 'gradientCosine' for now. */
  method?: 'gradientCosine';
  /** Measure every this many steps (default 10: each measured step costs one extra backward pass per task part, and on crossStitch one of the shared part per task). */
  every?: number;
  /** Two groups merge while their mean affinity exceeds this (default 0). */
  groupThreshold?: number;
}

export interface TaskAffinity {
  readonly tasks: readonly string[];
  /**
   * matrix[s][t]: mean gradient cosine (1 on the diagonal; NaN where never measured
   * together), of the gradients of the shared representation, or of the shared
   * parameters on an architecture whose tasks' gradients there cannot overlap (crossStitch).
   */
  readonly matrix: number[][];
  /** How many steps each pair was measured on. */
  readonly samples: number[][];
  /** Suggested groups: average-linkage clustering of the matrix, merging while affinity > groupThreshold. */
  readonly groups: string[][];
  readonly method: 'gradientCosine';
}

export class AffinityMeter {
  readonly tasks: readonly string[];
  readonly every: number;
  readonly threshold: number;
  readonly #sum: Float64Array;
  readonly #count: Float64Array;

  constructor(tasks: readonly string[], options?: AffinityOptions) {
    const opts = checkOptionsObject('affinity', options);
    checkKeys('affinity', opts, ['method', 'every', 'groupThreshold']);
    if (opts.method !== undefined && opts.method !== 'gradientCosine') {
      throw new ArgumentError(`affinity: method must be 'gradientCosine', got ${show(opts.method)}`);
    }
    this.every = opts.every === undefined ? 10 : checkDim('affinity', 'every', opts.every);
    this.threshold = opts.groupThreshold === undefined ? 0 : (opts.groupThreshold as number);
    if (!Number.isFinite(this.threshold) || this.threshold < -1 || this.threshold > 1) {
      throw new ArgumentError(`affinity: groupThreshold must be in [-1, 1], got ${show(opts.groupThreshold)}`);
    }
    this.tasks = tasks;
    const T = tasks.length;
    this.#sum = new Float64Array(T * T);
    this.#count = new Float64Array(T * T);
  }

  due(step: number): boolean {
    return step % this.every === 0;
  }

  /** Adds one step's Gram matrix of per-task gradients. */
  record(gram: Float64Array, active: Uint8Array): void {
    const T = this.tasks.length;
    for (let s = 0; s < T; s++) {
      for (let t = s + 1; t < T; t++) {
        const gs = gram[s * T + s]!, gt = gram[t * T + t]!;
        if (!active[s] || !active[t] || !(gs > 0) || !(gt > 0)) continue;
        const c = gram[s * T + t]! / Math.sqrt(gs * gt);
        this.#sum[s * T + t]! += c;
        this.#count[s * T + t]!++;
      }
    }
  }

  reset(): void {
    this.#sum.fill(0);
    this.#count.fill(0);
  }

  result(): TaskAffinity {
    const T = this.tasks.length;
    const matrix = Array.from({ length: T }, (_, s) => Array.from({ length: T }, (_, t) => {
      if (s === t) return 1;
      const [a, b] = s < t ? [s, t] : [t, s];
      const n = this.#count[a * T + b]!;
      return n > 0 ? this.#sum[a * T + b]! / n : NaN;
    }));
    const samples = Array.from({ length: T }, (_, s) => Array.from({ length: T }, (_, t) => {
      if (s === t) return 0;
      const [a, b] = s < t ? [s, t] : [t, s];
      return this.#count[a * T + b]!;
    }));
    return { tasks: [...this.tasks], matrix, samples, groups: groupTasks(this.tasks, matrix, this.threshold), method: 'gradientCosine' };
  }
}

/** Average-linkage agglomerative grouping: merge the closest pair of groups while their mean affinity > threshold. */
export function groupTasks(tasks: readonly string[], matrix: readonly (readonly number[])[], threshold: number): string[][] {
  const where = 'groupTasks';
  if (!Array.isArray(tasks) || tasks.some((t) => typeof t !== 'string')) {
    throw new ArgumentError(`${where}: tasks must be an array of task names, got ${show(tasks)}`);
  }
  const T = tasks.length;
  if (!Array.isArray(matrix) || matrix.length !== T || matrix.some((r) => !Array.isArray(r) || r.length !== T || r.some((v) => typeof v !== 'number'))) {
    throw new ArgumentError(`${where}: matrix must be ${T}×${T} numbers (one row and column per task), got ${show(matrix)}`);
  }
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) throw new ArgumentError(`${where}: threshold must be a number, got ${show(threshold)}`);
  let groups = tasks.map((_, i) => [i]);
  for (;;) {
    let best = -Infinity, bi = -1, bj = -1;
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        let sum = 0, n = 0;
        for (const a of groups[i]!) for (const b of groups[j]!) { const v = matrix[a]![b]!; if (!Number.isNaN(v)) { sum += v; n++; } }
        const mean = n > 0 ? sum / n : -Infinity;
        if (mean > best) { best = mean; bi = i; bj = j; }
      }
    }
    if (bi < 0 || !(best > threshold)) break;
    groups = [...groups.filter((_, k) => k !== bi && k !== bj), [...groups[bi]!, ...groups[bj]!].sort((a, b) => a - b)];
  }
  return groups.sort((a, b) => a[0]! - b[0]!).map((g) => g.map((i) => tasks[i]!));
}
