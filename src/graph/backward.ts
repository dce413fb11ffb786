// The backward pass of a description's operations: reverse-mode over the op list,
// each op's gradient beside the forward in src/graph/forward.ts. Training only
// (the inference bundle never reaches this file).
//
// Gradients of values: a value read by several operations receives one
// contribution from each, in the reverse order of the operations (the natural
// order of a backward pass): the first contribution is written, later ones are
// added. Blocks an operation does not reach (a mixture's other experts, the rest of
// a sliced value) are zeroed when it is the first to write. Gradients of tensors
// are written (each tensor is read by one operation).
//
// Every write goes through the kernels (st.k), zeroing included, but for the Gumbel
// choice's dα and the cross-stitch pointer tables: so a micro-shard's pass can be
// recorded as a program of kernel calls that a worker runs (src/threads/program.ts).

import { Act, Pool } from '../runtime/abi.js';
import type { Op } from './description.js';
import { fusedAct, type ForwardState } from './forward.js';

export interface BackwardState extends ForwardState {
  /** The gradient block (same layout as the parameters). */
  readonly grads: number;
  /** Per value, its gradient buffer (0: not wanted). The caller points an op list's inputs and output where it wants them. */
  readonly grad: number[];
  /** Per value, 1 while nothing has been written to its gradient in this pass. */
  readonly fresh: Uint8Array;
  /** rows × (the widest value) floats each, for an activation's gradient and for a contribution that must be added. */
  readonly scratch: readonly [number, number];
  /** Per dropout operation, its mask buffer. */
  readonly masks: ReadonlyMap<Op, number>;
}

/**
 * Backpropagates through `ops` for `rows` rows: the gradients of their outputs must
 * be in place (grad[v] written, fresh[v] = 0). Writes the gradients of the tensors
 * they use and adds into the gradients of the values they read where grad[v] ≠ 0.
 */
export function runBackward(ops: readonly Op[], rows: number, widths: readonly number[], st: BackwardState): void {
  const { k, grad, fresh, value } = st;
  /** Where a contribution to v's gradient goes: v's buffer when it is the first, else scratch 1 (then `settle` adds it). */
  const target = (v: number): number => (fresh[v] ? grad[v]! : st.scratch[1]);
  const settle = (v: number, n: number): void => {
    if (fresh[v]) fresh[v] = 0;
    else k.add(n, grad[v]!, st.scratch[1], grad[v]!);
  };
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i]!;
    switch (op.kind) {
      case 'dense': {
        const m = widths[op.x]!, n = widths[op.y]!, y = value[op.y]!, gy = grad[op.y]!;
        let dz = gy;
        if (op.act !== Act.identity) {
          // With ReLU fused, y > 0 exactly where z > 0, so y stands in for z.
          const z = fusedAct(op.act) ? y : st.extras.get(op)!.pre!;
          k.actBackward(op.act, rows * n, z, y, gy, st.scratch[0], op.alpha);
          dz = st.scratch[0];
        }
        k.gemm(1, 0, m, n, rows, 1, value[op.x]!, m, dz, n, 0, st.grads + st.offsets[op.w]! * 4, n, 0, Act.identity);
        if (op.b >= 0) k.colSums(rows, n, dz, st.grads + st.offsets[op.b]! * 4);
        if (grad[op.x] !== 0) {
          k.gemm(0, 1, rows, m, n, 1, dz, n, st.params + st.offsets[op.w]! * 4, n, 0, target(op.x), m, 0, Act.identity);
          settle(op.x, rows * m);
        }
        break;
      }
      case 'conv1d': {
        const L = op.steps, cin = widths[op.x]! / L, cout = widths[op.y]! / L, kc = op.kernel * cin, n = rows * L;
        const ex = st.extras.get(op)!, y = value[op.y]!, gy = grad[op.y]!;
        let dz = gy;
        if (op.act !== Act.identity) {
          const z = fusedAct(op.act) ? y : ex.pre!;
          k.actBackward(op.act, n * cout, z, y, gy, st.scratch[0], op.alpha);
          dz = st.scratch[0];
        }
        // dW = colᵀ·dz, db = Σ dz, dcol = dz·Wᵀ, then dx by col2im.
        k.gemm(1, 0, kc, cout, n, 1, ex.col!, kc, dz, cout, 0, st.grads + st.offsets[op.w]! * 4, cout, 0, Act.identity);
        if (op.b >= 0) k.colSums(n, cout, dz, st.grads + st.offsets[op.b]! * 4);
        if (grad[op.x] !== 0) {
          k.gemm(0, 1, n, kc, cout, 1, dz, cout, st.params + st.offsets[op.w]! * 4, cout, 0, ex.dcol!, kc, 0, Act.identity);
          k.conv1dCol2im(rows, L, cin, op.kernel, op.dilation, ex.dcol!, target(op.x));
          settle(op.x, rows * widths[op.x]!);
        }
        break;
      }
      case 'temporalPool':
        if (grad[op.x] === 0) break;
        k.temporalPoolBackward(Pool[op.mode], rows, op.steps, widths[op.y]!, value[op.x]!, value[op.y]!, grad[op.y]!, target(op.x));
        settle(op.x, rows * widths[op.x]!);
        break;
      case 'dropout': {
        if (grad[op.x] === 0) break;
        const n = rows * widths[op.x]!;
        k.mul(n, grad[op.y]!, st.masks.get(op)!, target(op.x));
        settle(op.x, n);
        break;
      }
      case 'softmax':
        if (grad[op.x] === 0) break;
        k.softmaxRowsBackward(rows, widths[op.x]!, value[op.y]!, grad[op.y]!, target(op.x));
        settle(op.x, rows * widths[op.x]!);
        break;
      case 'act':
        if (grad[op.x] === 0) break;
        k.actBackward(op.act, rows * widths[op.x]!, value[op.x]!, value[op.y]!, grad[op.y]!, target(op.x), op.alpha);
        settle(op.x, rows * widths[op.x]!);
        break;
      case 'concat': {
        const wy = widths[op.y]!;
        let col = 0;
        for (const x of op.xs) {
          const w = widths[x]!;
          if (grad[x] !== 0) {
            k.copyRows(rows, w, grad[op.y]! + col * 4, wy, grad[x]!, w, fresh[x] ? 0 : 1);
            fresh[x] = 0;
          }
          col += w;
        }
        break;
      }
      case 'slice': {
        if (grad[op.x] === 0) break;
        const w = widths[op.y]!, wx = widths[op.x]!;
        if (fresh[op.x] && w < wx) k.fillZero(rows * wx, grad[op.x]!);
        k.copyRows(rows, w, grad[op.y]!, w, grad[op.x]! + op.from * 4, wx, fresh[op.x] ? 0 : 1);
        fresh[op.x] = 0;
        break;
      }
      case 'mix': {
        const d = widths[op.y]!, we = widths[op.e]!, n = op.blocks.length;
        const blocks = st.extras.get(op)!.blocks!;
        let accumulate = 1;
        if (grad[op.e] !== 0 && fresh[op.e]) {
          // The first to write: blocks the gate does not mix get zeros.
          if (n * d < we) k.fillZero(rows * we, grad[op.e]!);
          accumulate = 0;
          fresh[op.e] = 0;
        }
        // The experts' gradient needs a place even when nothing reads it (then it is scratch).
        const dE = grad[op.e] !== 0 ? grad[op.e]! : st.scratch[0];
        k.mixBackward(rows, n, d, value[op.e]!, we, blocks, value[op.gate]!, grad[op.y]!, d, dE, target(op.gate), accumulate);
        settle(op.gate, rows * n);
        break;
      }
      case 'branches':
        for (const branch of op.branches) runBackward(branch, rows, widths, st);
        break;
      case 'dselect': {
        // Its inputs (the smooth step's output and the selectors' softmax) feed only it: written, not added.
        const kk = widths[op.a]!;
        k.dselectBackward(rows, kk, op.bits, widths[op.y]!, value[op.s]!, value[op.a]!, grad[op.y]!, grad[op.s]!, grad[op.a]!);
        fresh[op.s] = 0;
        fresh[op.a] = 0;
        break;
      }
      case 'gumbel': {
        // Every row holds the same softmax((α + g)/τ): dα = softmax′ᵀ(Σ_rows dy) / τ.
        const n = widths[op.y]!;
        k.colSums(rows, n, grad[op.y]!, st.scratch[0]);
        k.softmaxRowsBackward(1, n, value[op.y]!, st.scratch[0], st.scratch[1]);
        k.divideByScalar(n, st.scratch[1], op.temperature, st.grads + st.offsets[op.alpha]! * 4);
        break;
      }
      case 'embedding': {
        // The table's only reader: its gradient is zero but for the rows this batch used.
        const wx = widths[op.x]!, wy = widths[op.y]!, d = wy / op.cols.length, g = st.grads + st.offsets[op.table]! * 4;
        k.fillZero(op.entries * d, g);
        op.cols.forEach((c, j) => k.embeddingScatterAdd(rows, d, value[op.x]!, wx, c, grad[op.y]! + j * d * 4, wy, g));
        break;
      }
      case 'positional': {
        const w = widths[op.x]!;
        k.colSums(rows, w, grad[op.y]!, st.grads + st.offsets[op.p]! * 4);
        if (grad[op.x] !== 0) {
          k.copyRows(rows, w, grad[op.y]!, w, grad[op.x]!, w, fresh[op.x] ? 0 : 1);
          fresh[op.x] = 0;
        }
        break;
      }
      case 'add': {
        const w = widths[op.y]!;
        for (const x of op.xs) {
          if (grad[x] === 0) continue;
          k.copyRows(rows, w, grad[op.y]!, w, grad[x]!, w, fresh[x] ? 0 : 1);
          fresh[x] = 0;
        }
        break;
      }
      case 'layerNorm': {
        // The tensors' gradients are written whatever reads x; dx needs somewhere to go.
        const ex = st.extras.get(op)!, n = rows * widths[op.x]!;
        const dx = grad[op.x] !== 0 ? target(op.x) : st.scratch[1];
        k.layerNormBackward(n / op.cols, op.cols, value[op.x]!, st.params + st.offsets[op.gamma]! * 4, ex.mean!, ex.rstd!, grad[op.y]!, dx,
          st.grads + st.offsets[op.gamma]! * 4, st.grads + st.offsets[op.beta]! * 4);
        if (grad[op.x] !== 0) settle(op.x, n);
        break;
      }
      case 'attention': {
        if (grad[op.x] === 0) break;
        const ex = st.extras.get(op)!, d = widths[op.y]! / op.steps;
        k.attentionBackward(rows, op.steps, op.heads, d / op.heads, op.causal ? 1 : 0, value[op.x]!, ex.probs!, grad[op.y]!, target(op.x), ex.scratch!);
        settle(op.x, rows * widths[op.x]!);
        break;
      }
      case 'crossStitch': {
        const ex = st.extras.get(op)!, T = op.xs.length, d = widths[op.xs[0]!]!;
        for (let t = 0; t < T; t++) {
          k.writePointer(ex.gradOutTable!, t, grad[op.ys[t]!]!);
          // Each column's output feeds only this unit, so its gradient is written here first.
          k.writePointer(ex.gradInTable!, t, grad[op.xs[t]!]!);
          fresh[op.xs[t]!] = 0;
        }
        k.crossStitchBackward(rows, T, d, ex.inTable!, d, ex.alpha!, ex.gradOutTable!, d, ex.gradInTable!, d, st.grads + st.offsets[op.alpha]! * 4);
        break;
      }
    }
  }
}

