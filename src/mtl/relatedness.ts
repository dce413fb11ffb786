// Declared relatedness between tasks, used as a regularizer that pulls the
// task-specific parameters of related tasks together (Evgeniou & Pontil 2004
// style): λ · Σ_{s<t} A_st · ‖θ_s − θ_t‖² over every pair of tensors owned by s
// and t that play the same role in their task and have equal shapes (s's head
// layer 0 weight ↔ t's, s's tower layer k ↔ t's, …). Owners and roles are declared
// with each tensor (src/graph/description.ts); names are never parsed.

import { ArgumentError } from '../runtime/errors.js';
import { runtime } from '../runtime/module.js';
import { Holding } from '../runtime/holdings.js';
import { checkF32, checkKeys, checkOptionsObject, show } from '../runtime/validate.js';
import type { ParameterInfo, Parameters } from '../nn/params.js';

export interface RelatednessOptions {
  /** T×T symmetric, non-negative, in task order; or pairs [taskA, taskB, weight]. */
  matrix?: number[][];
  pairs?: [string, string, number][];
  /** λ, the regularizer's strength (default 1e-3). */
  strength?: number;
}

interface TensorPair { a: number; b: number; size: number; coef: number }

export class Relatedness {
  readonly matrix: number[][];
  readonly strength: number;
  readonly #pairs: TensorPair[] = [];
  readonly #params: Parameters;
  /** Scratch for θ_s − θ_t, as long as the longest tied tensor. */
  #diff = 0;
  readonly #memory = new Holding('Relatedness');

  constructor(options: RelatednessOptions, tasks: readonly string[], params: Parameters) {
    const opts = checkOptionsObject('relatedness', options);
    checkKeys('relatedness', opts, ['matrix', 'pairs', 'strength']);
    const T = tasks.length;
    this.strength = opts.strength === undefined ? 1e-3 : checkF32('relatedness', 'strength', opts.strength);
    if (this.strength < 0) throw new ArgumentError(`relatedness: strength must be ≥ 0, got ${this.strength}`);
    const m = Array.from({ length: T }, () => new Array<number>(T).fill(0));
    if ((opts.matrix === undefined) === (opts.pairs === undefined)) throw new ArgumentError('relatedness: give either matrix or pairs');
    if (opts.matrix !== undefined) {
      const mat = opts.matrix as unknown[];
      if (!Array.isArray(mat) || mat.length !== T || mat.some((r) => !Array.isArray(r) || r.length !== T)) {
        throw new ArgumentError(`relatedness: matrix must be ${T}×${T} (tasks ${tasks.join(', ')}), got ${show(mat)}`);
      }
      for (let s = 0; s < T; s++) for (let t = 0; t < T; t++) m[s]![t] = (mat[s] as number[])[t]!;
    } else {
      const index = new Map(tasks.map((n, i) => [n, i]));
      for (const p of opts.pairs as unknown[]) {
        if (!Array.isArray(p) || p.length !== 3) throw new ArgumentError(`relatedness: each pair is [taskA, taskB, weight], got ${show(p)}`);
        const [a, b, w] = p as [unknown, unknown, unknown];
        const i = index.get(a as string), j = index.get(b as string);
        if (i === undefined || j === undefined) throw new ArgumentError(`relatedness: unknown task in pair ${JSON.stringify(p)} (tasks: ${tasks.join(', ')})`);
        m[i]![j] = w as number;
        m[j]![i] = w as number;
      }
    }
    for (let s = 0; s < T; s++) {
      for (let t = 0; t < T; t++) {
        const v = m[s]![t]!;
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ArgumentError(`relatedness: entry [${s}][${t}] must be a finite number ≥ 0, got ${show(v)}`);
        if (v !== m[t]![s]) throw new ArgumentError(`relatedness: the matrix must be symmetric ([${s}][${t}] = ${v}, [${t}][${s}] = ${m[t]![s]})`);
      }
    }
    this.matrix = m;
    this.#params = params;
    // A task's tensors by their role within the task (declared with each tensor, never read from names).
    const byRole = tasks.map(() => new Map<string, ParameterInfo>());
    for (const p of params.list()) if (p.owner >= 0 && p.owner < T && p.role !== '') byRole[p.owner]!.set(p.role, p);
    for (let s = 0; s < T; s++) {
      for (let t = s + 1; t < T; t++) {
        const w = m[s]![t]!;
        if (w === 0) continue;
        if (!Number.isFinite(Math.fround(2 * this.strength * w))) {
          throw new ArgumentError(`relatedness: strength × weight of tasks "${tasks[s]}" and "${tasks[t]}" (${this.strength} × ${w}) is beyond the float32 range the gradients are computed in`);
        }
        let found = 0;
        for (const [role, p] of byRole[s]!) {
          const q = byRole[t]!.get(role);
          if (!q || q.shape[0] !== p.shape[0] || q.shape[1] !== p.shape[1]) continue;
          this.#pairs.push({ a: p.offset, b: q.offset, size: p.size, coef: 2 * this.strength * w });
          found++;
        }
        if (found === 0) {
          throw new ArgumentError(`relatedness: tasks "${tasks[s]}" and "${tasks[t]}" have no task-specific parameters of equal shape to tie together (give them the same head/tower sizes)`);
        }
      }
    }
    if (this.#pairs.length > 0) this.#diff = this.#memory.alloc(this, Math.max(...this.#pairs.map((q) => q.size)) * 4);
  }

  /**
   * Adds the regularizer's gradient into the gradient block: for each tied pair,
   * d = θ_s − θ_t (exact when they are equal, so equal tensors add exactly 0), then
   * g_s += c·d and g_t −= c·d.
   */
  addGradients(): void {
    if (this.strength === 0 || this.#pairs.length === 0) return;
    const k = runtime('relatedness').kernels;
    const p = this.#params.params, g = this.#params.grads, diff = this.#diff;
    for (const { a, b, size, coef } of this.#pairs) {
      k.copyBlock(1, size, p + a * 4, size, diff, size);
      k.axpy(size, -1, p + b * 4, diff);
      k.axpy(size, coef, diff, g + a * 4);
      k.axpy(size, -coef, diff, g + b * 4);
    }
  }

  dispose(): void {
    this.#memory.release();
    this.#diff = 0;
  }

  /** The regularizer's value, λ Σ A_st ‖θ_s − θ_t‖². */
  penalty(): number {
    const k = runtime('relatedness').kernels;
    let sum = 0;
    const p = this.#params.params;
    for (const { a, b, size, coef } of this.#pairs) {
      // ‖a − b‖² = a·a − 2a·b + b·b
      const pa = p + a * 4, pb = p + b * 4;
      sum += (coef / 2) * (k.dot(size, pa, pa) - 2 * k.dot(size, pa, pb) + k.dot(size, pb, pb));
    }
    return sum;
  }
}
