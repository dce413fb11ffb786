// The forward pass of a description's operations (src/graph/description.ts) on
// the kernels: what `manytask/infer` runs to predict and what the training engine
// (src/mtl/engine.ts) runs before its backward pass — one piece of code, so the
// two compute the same floats. No training state here: dropout is a hook the
// engine fills in; without it dropout is the identity. The engine runs LTB's Gumbel
// choice and the cross-stitch units itself (the `own` hook), with kernels of the
// same arithmetic as the loops here (tests/unit/arch.test.js compares the bits).
//
// Each dense layer is one GEMM with the bias (and ReLU) in its epilogue, or the
// GEMM then the activation; gates are a dense layer, a row softmax and the mixing
// kernel; blocks move with copyBlock. Buffers are rows × width, row-major.

import { Act, Dist, GAUSSIAN_MIN_VARIANCE, Pool, type Kernels } from '../runtime/abi.js';
import { heapF32, heapI32 } from '../runtime/module.js';
import { ArgumentError } from '../runtime/errors.js';
import type { Op } from './description.js';

/**
 * Rows per forward pass when predicting: MultiTaskModel.predict and evaluate, and
 * manytask/infer. Both must cut the rows the same way to give the same floats
 * (GEMM takes another path below 4 rows).
 */
export const PREDICT_CHUNK = 1024;

/** Where a forward pass reads and writes. Pointers are byte offsets into WASM memory. */
export interface ForwardState {
  readonly k: Kernels;
  /** The parameter block. */
  readonly params: number;
  /** Each tensor's offset in the block, in floats. */
  readonly offsets: ArrayLike<number>;
  /** Per value, its buffer (value 0: the input). A dropout outside training points its output at its input. */
  readonly value: number[];
  /** Per operation, what it needs besides its values (see OpExtras). */
  readonly extras: ReadonlyMap<Op, OpExtras>;
  /** Training only: draws a dropout mask, applies it to the n floats at x, and returns where the output is. */
  readonly dropout: ((op: Op & { kind: 'dropout' }, n: number, x: number) => number) | null;
  /**
   * The training engine's: runs `op` itself and returns true, or returns false. It runs
   * LTB's Gumbel choice (in training, a sample: rows × n, every row the same) and the
   * cross-stitch units with kernels only, so that a recorded pass holds them; the
   * predictor has no hook, and the loops below run them.
   */
  readonly own?: (op: Op, rows: number, training: boolean) => boolean;
}

/**
 * Per-operation memory: the i32 block list of a mix; the α buffer and the T-entry
 * pointer tables of a cross-stitch unit; a dense layer's pre-activation buffer when
 * training keeps it apart from the output (0: the activation runs in place).
 */
export interface OpExtras {
  readonly blocks?: number;
  readonly alpha?: number;
  readonly inTable?: number;
  readonly outTable?: number;
  readonly pre?: number;
  /** Training: a Gumbel parent choice's n floats for its noisy logits. */
  readonly noise?: number;
  /** The training engine's: a cross-stitch unit's α⁰, T·T f64 (crossStitchAlpha's input). */
  readonly alpha0?: number;
  /** Training: a cross-stitch unit's pointer tables for its gradients. */
  readonly gradInTable?: number;
  readonly gradOutTable?: number;
  /** A conv1d's im2col buffer: (rows·steps) × (kernel·C_in) floats (kept for its backward). */
  readonly col?: number;
  /** Training: a conv1d's gradient of its im2col buffer, as large. */
  readonly dcol?: number;
  /** A layerNorm's per-group mean and 1/σ (rows · width/cols floats each; kept for its backward). */
  readonly mean?: number;
  readonly rstd?: number;
  /** An attention's weights: rows × heads × steps × steps floats kept for its backward, or (predicting only) one steps × steps block. */
  readonly probs?: number;
  /** Whether `probs` keeps every row's weights (training engines) or one block (the predictor). */
  readonly keep?: boolean;
  /** An attention's steps × max(steps, dk) floats of scratch (a head's keys transposed; its backward's dS). */
  readonly scratch?: number;
}

/**
 * An attention's buffers for `rows` rows (its output `width` floats per row): the
 * weights, every row's when `keep` (a backward pass will read them), and the scratch.
 */
export function attentionExtras(op: Op & { kind: 'attention' }, width: number, rows: number, keep: boolean, alloc: (floats: number) => number): OpExtras {
  const dk = width / op.steps / op.heads;
  return { probs: alloc((keep ? rows * op.heads : 1) * op.steps * op.steps), scratch: alloc(op.steps * Math.max(op.steps, dk)), keep };
}

/** Whether a dense layer's activation runs in the GEMM epilogue (so no pre-activation is kept). */
export function fusedAct(act: number): boolean {
  return act === Act.identity || act === Act.relu;
}

/** Runs `ops` for `rows` rows. `widths` are the description's value widths. */
export function runForward(ops: readonly Op[], rows: number, widths: readonly number[], st: ForwardState, training: boolean): void {
  const { k, value } = st;
  for (const op of ops) {
    if (st.own?.(op, rows, training)) continue;
    switch (op.kind) {
      case 'dense': {
        const inp = widths[op.x]!, out = widths[op.y]!, y = value[op.y]!;
        const fused = fusedAct(op.act);
        const z = fused ? y : st.extras.get(op)?.pre || y;
        const w = st.params + st.offsets[op.w]! * 4, b = op.b < 0 ? 0 : st.params + st.offsets[op.b]! * 4;
        k.gemm(0, 0, rows, out, inp, 1, value[op.x]!, inp, w, out, 0, z, out, b, fused ? op.act : Act.identity);
        if (!fused) k.actForward(op.act, rows * out, z, y, op.alpha);
        break;
      }
      case 'conv1d': {
        // im2col, then one GEMM over every (row, step) with the bias (and ReLU) in its epilogue.
        const L = op.steps, cin = widths[op.x]! / L, cout = widths[op.y]! / L, kc = op.kernel * cin, y = value[op.y]!;
        const ex = st.extras.get(op)!, fused = fusedAct(op.act), z = fused ? y : ex.pre || y;
        k.conv1dIm2col(rows, L, cin, op.kernel, op.dilation, value[op.x]!, ex.col!);
        const w = st.params + st.offsets[op.w]! * 4, b = op.b < 0 ? 0 : st.params + st.offsets[op.b]! * 4;
        k.gemm(0, 0, rows * L, cout, kc, 1, ex.col!, kc, w, cout, 0, z, cout, b, fused ? op.act : Act.identity);
        if (!fused) k.actForward(op.act, rows * L * cout, z, y, op.alpha);
        break;
      }
      case 'temporalPool':
        k.temporalPoolForward(Pool[op.mode], rows, op.steps, widths[op.y]!, value[op.x]!, value[op.y]!);
        break;
      case 'dropout':
        value[op.y] = training && st.dropout ? st.dropout(op, rows * widths[op.x]!, value[op.x]!) : value[op.x]!;
        break;
      case 'softmax':
        k.softmaxRows(rows, widths[op.x]!, value[op.x]!, value[op.y]!);
        break;
      case 'act':
        k.actForward(op.act, rows * widths[op.x]!, value[op.x]!, value[op.y]!, op.alpha);
        break;
      case 'concat': {
        const wy = widths[op.y]!;
        let col = 0;
        for (const x of op.xs) {
          const w = widths[x]!;
          k.copyBlock(rows, w, value[x]!, w, value[op.y]! + col * 4, wy);
          col += w;
        }
        break;
      }
      case 'slice': {
        const w = widths[op.y]!;
        k.copyBlock(rows, w, value[op.x]! + op.from * 4, widths[op.x]!, value[op.y]!, w);
        break;
      }
      case 'mix': {
        const d = widths[op.y]!;
        k.mixForward(rows, op.blocks.length, d, value[op.e]!, widths[op.e]!, st.extras.get(op)!.blocks!, value[op.gate]!, value[op.y]!, d);
        break;
      }
      case 'branches':
        for (const branch of op.branches) runForward(branch, rows, widths, st, training);
        break;
      case 'distribution':
        k.distributionForward(Dist[op.family], rows, widths[op.x]!, value[op.x]!, value[op.y]!, GAUSSIAN_MIN_VARIANCE);
        break;
      case 'gumbel': {
        // The fixed tree: every row takes the parent of the largest logit (the first of equals).
        const n = widths[op.y]!, y = value[op.y]! >>> 2, heap = heapF32(), a = (st.params >>> 2) + st.offsets[op.alpha]!;
        let best = 0;
        for (let j = 1; j < n; j++) if (heap[a + j]! > heap[a + best]!) best = j;
        heap.fill(0, y, y + rows * n);
        for (let r = 0; r < rows; r++) heap[y + r * n + best] = 1;
        break;
      }
      case 'embedding': {
        const wx = widths[op.x]!, wy = widths[op.y]!, d = wy / op.cols.length;
        op.cols.forEach((c, j) => {
          const bad = k.embeddingGather(rows, d, value[op.x]!, wx, c, st.params + st.offsets[op.table]! * 4, op.entries, value[op.y]! + j * d * 4, wy);
          // Indices come from the encoder; one that is not a row of the table (raw arrays, a forged file) is refused.
          if (bad >= 0) throw new ArgumentError(`feature ${c}, row ${bad} of the batch: not a table row (0…${op.entries - 1})`);
        });
        break;
      }
      case 'positional': {
        const w = widths[op.x]!;
        k.addBroadcast(rows, w, value[op.x]!, st.params + st.offsets[op.p]! * 4, value[op.y]!);
        break;
      }
      case 'add':
        k.addBroadcast(1, rows * widths[op.y]!, value[op.xs[0]]!, value[op.xs[1]]!, value[op.y]!);
        break;
      case 'layerNorm': {
        const ex = st.extras.get(op)!;
        k.layerNormForward(rows * (widths[op.x]! / op.cols), op.cols, value[op.x]!, st.params + st.offsets[op.gamma]! * 4,
          st.params + st.offsets[op.beta]! * 4, op.eps, value[op.y]!, ex.mean!, ex.rstd!);
        break;
      }
      case 'attention': {
        const d = widths[op.y]! / op.steps, ex = st.extras.get(op)!;
        k.attentionForward(rows, op.steps, op.heads, d / op.heads, op.causal ? 1 : 0, ex.keep ? 1 : 0, value[op.x]!, ex.probs!, value[op.y]!, ex.scratch!);
        break;
      }
      case 'dselect':
        k.dselectForward(rows, widths[op.a]!, op.bits, widths[op.y]!, value[op.s]!, value[op.a]!, value[op.y]!);
        break;
      case 'crossStitch': {
        const ex = st.extras.get(op)!, T = op.xs.length, d = widths[op.xs[0]!]!;
        const heap = heapF32(), ints = heapI32();
        // α = α⁰ + the learned offset, rounded to f32 (as the training engine's crossStitchAlpha).
        const a = ex.alpha! >>> 2, off = (st.params >>> 2) + st.offsets[op.alpha]!;
        for (let i = 0; i < T * T; i++) heap[a + i] = op.alpha0[i]! + heap[off + i]!;
        for (let t = 0; t < T; t++) {
          ints[(ex.inTable! >>> 2) + t] = value[op.xs[t]!]!;
          ints[(ex.outTable! >>> 2) + t] = value[op.ys[t]!]!;
        }
        k.crossStitchForward(rows, T, d, ex.inTable!, d, ex.alpha!, ex.outTable!, d);
        break;
      }
    }
  }
}
