// The forward pass of a saved model for `manytask/infer`: the layout of
// src/io/layout.ts run with the forward kernels only, no layer objects, no
// gradients, no training state.
//
// It computes what MultiTaskModel.predict computes, bit for bit: the same
// kernels on the same inputs in the same order (each Dense is one gemm with the
// bias and ReLU in its epilogue, or gemm then actForward; gates are a Dense,
// softmaxRows and mixForward; cross-stitch units crossStitchForward; heads read
// [R_t | the predictions of their sources]), over the same chunks of at most
// 1024 rows. Where the training code copies a block into a wider buffer only to
// copy it out again (Z's blocks), this reads the block where it was computed:
// the values are the same, and no kernel's arithmetic depends on a row stride.
// tests/unit/model-file.test.js checks every architecture against predict.

import { Act } from '../runtime/abi.js';
import { heapF32, runtime } from '../runtime/module.js';
import { Holding } from '../runtime/holdings.js';
import type { DenseOp, Mlp, ModelLayout } from './layout.js';

/** Rows per forward pass, as MultiTaskModel.predict. */
const CHUNK = 1024;

export class Predictor {
  readonly #layout: ModelLayout;
  /** The parameter block (bytes); its layout is the file's. */
  readonly #params: number;
  // Index lists and cross-stitch α, allocated once.
  #idxTask: number[] = [];
  #idxAll = 0;
  #alpha: number[] = [];
  /** Per-batch buffers, reallocated when the capacity grows. */
  #buffers: number[] = [];
  #capacity = 0;
  #out = new Map<DenseOp, number>();
  #x = 0;
  #e: number[] = [];
  #h: number[][] = [];
  #hShared: number[] = [];
  #z = 0;
  #m: number[] = [];
  #cols: number[][] = [];
  #headIn: number[] = [];
  #tables: number[] = [];
  /** Every block above: the weights, the fixed tables and the per-batch buffers. */
  readonly #memory = new Holding('InferenceModel');

  constructor(layout: ModelLayout, weights: Float32Array) {
    this.#layout = layout;
    this.#params = this.#memory.alloc(this, Math.max(weights.length, 4) * 4);
    heapF32().set(weights, this.#params >>> 2);
    const a = layout.arch;
    const T = layout.tasks.length;
    const ints = (values: number[]): number => {
      const p = this.#memory.alloc(this, Math.max(values.length, 1) * 4);
      new Int32Array(runtime('loadModel').memory.buffer, p, values.length).set(values);
      return p;
    };
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
    if (a.type === 'gated') {
      const N = a.S + T * a.K;
      this.#idxTask = range(0, T).map((t) => ints([...range(0, a.S), ...range(a.S + t * a.K, a.K)]));
      this.#idxAll = ints(range(0, N));
    } else if (a.type === 'omoe') {
      this.#idxAll = ints(range(0, a.experts.length));
    } else if (a.type === 'crossStitch') {
      // α_l = α⁰ + offset, rounded to f32 (as CrossStitch.sharedForward computes it).
      this.#alpha = a.levels.map((lv) => {
        const p = this.#memory.alloc(this, T * T * 4);
        const heap = heapF32(), off = (this.#params >>> 2) + lv.alpha;
        for (let i = 0; i < T * T; i++) heap[(p >>> 2) + i] = a.alpha0[i]! + heap[off + i]!;
        return p;
      });
    }
  }

  /** Per-task outputs (probabilities or values, rows × width) of `rows` encoded rows. */
  run(x: Float32Array, rows: number): Float32Array[] {
    const L = this.#layout;
    const F = L.inputSize;
    const out = L.tasks.map((t) => new Float32Array(rows * t.width));
    const chunk = Math.min(rows, CHUNK);
    this.#ensure(chunk);
    for (let start = 0; start < rows; start += chunk) {
      const n = Math.min(chunk, rows - start);
      heapF32().set(x.subarray(start * F, (start + n) * F), this.#x >>> 2);
      const preds = this.#forward(n);
      L.tasks.forEach((t, i) => {
        const p = preds[i]! >>> 2;
        out[i]!.set(heapF32().subarray(p, p + n * t.width), start * t.width);
      });
    }
    return out;
  }

  dispose(): void {
    this.#memory.release();
    this.#buffers = [];
  }

  #dense(op: DenseOp, x: number, rows: number): number {
    const k = runtime('predict').kernels;
    const y = this.#out.get(op)!, P = this.#params;
    const fused = op.act === Act.identity || op.act === Act.relu;
    k.gemm(0, 0, rows, op.out, op.inp, 1, x, op.inp, P + op.w * 4, op.out, 0, y, op.out, P + op.b * 4, fused ? op.act : Act.identity);
    if (!fused) k.actForward(op.act, rows * op.out, y, y, op.alpha);
    return y;
  }

  #mlp(layers: Mlp | null, x: number, rows: number): number {
    for (const op of layers ?? []) x = this.#dense(op, x, rows);
    return x;
  }

  /** One chunk in the x buffer → each task's predictions pointer. */
  #forward(rows: number): number[] {
    const k = runtime('predict').kernels;
    const L = this.#layout, a = L.arch, d = L.d, T = L.tasks.length, x = this.#x;
    // The shared part, then each task's representation R_t (before its tower).
    let rep: (t: number) => number;
    if (a.type === 'sharedBottom') {
      const z = this.#mlp(a.trunk, x, rows);
      rep = () => z;
    } else if (a.type === 'omoe') {
      const n = a.experts.length;
      a.experts.forEach((e, i) => k.copyBlock(rows, d, this.#mlp(e, x, rows), d, this.#e[0]! + i * d * 4, n * d));
      const g = this.#dense(a.gate, x, rows);
      k.softmaxRows(rows, n, g, g);
      k.mixForward(rows, n, d, this.#e[0]!, n * d, this.#idxAll, g, this.#z, d);
      rep = () => this.#z;
    } else if (a.type === 'gated') {
      const N = a.S + T * a.K, perGate = a.S + a.K;
      // h_t / h_s of the previous level (x at level 0).
      let hTask: number[] = Array.from({ length: T }, () => x), hShared = x;
      a.levels.forEach((lv, l) => {
        const e = this.#e[l]!;
        lv.experts.forEach((ex, i) => {
          const o = lv.owner[i]!;
          k.copyBlock(rows, d, this.#mlp(ex, o < 0 ? hShared : hTask[o]!, rows), d, e + i * d * 4, N * d);
        });
        if (lv.sharedGate === null) return;
        const next = this.#h[l]!;
        lv.taskGates.forEach((gate, t) => {
          const g = this.#dense(gate, hTask[t]!, rows);
          k.softmaxRows(rows, perGate, g, g);
          k.mixForward(rows, perGate, d, e, N * d, this.#idxTask[t]!, g, next[t]!, d);
        });
        const g = this.#dense(lv.sharedGate, hShared, rows);
        k.softmaxRows(rows, N, g, g);
        k.mixForward(rows, N, d, e, N * d, this.#idxAll, g, this.#hShared[l]!, d);
        hTask = next;
        hShared = this.#hShared[l]!;
      });
      const z = this.#e[a.levels.length - 1]!;
      rep = (t) => {
        const g = this.#dense(a.lastGates[t]!, hTask[t]!, rows);
        k.softmaxRows(rows, perGate, g, g);
        k.mixForward(rows, perGate, d, z, N * d, this.#idxTask[t]!, g, this.#m[t]!, d);
        return this.#m[t]!;
      };
    } else {
      const ints = new Int32Array(runtime('predict').memory.buffer);
      a.levels.forEach((lv, l) => {
        const [inT, outT] = [this.#tables[2 * l]!, this.#tables[2 * l + 1]!];
        lv.columns.forEach((col, t) => {
          ints[(inT >>> 2) + t] = this.#dense(col, l === 0 ? x : this.#cols[l - 1]![t]!, rows);
          ints[(outT >>> 2) + t] = this.#cols[l]![t]!;
        });
        k.crossStitchForward(rows, T, lv.width, inT, lv.width, this.#alpha[l]!, outT, lv.width);
      });
      rep = (t) => this.#cols[a.levels.length - 1]![t]!;
    }
    // Towers and heads, every task after its sources.
    const preds: number[] = new Array<number>(T).fill(0);
    for (const t of L.order) {
      const task = L.tasks[t]!;
      let input = this.#mlp(task.tower, rep(t), rows);
      if (task.inputsFrom.length > 0) {
        const inWidth = task.head[0]!.inp;
        const buf = this.#headIn[t]!;
        k.copyBlock(rows, task.repWidth, input, task.repWidth, buf, inWidth);
        let col = task.repWidth;
        for (const s of task.inputsFrom) {
          const w = L.tasks[s]!.width;
          k.copyBlock(rows, w, preds[s]!, w, buf + col * 4, inWidth);
          col += w;
        }
        input = buf;
      }
      const logits = this.#mlp(task.head, input, rows);
      if (task.kind === 'multiclass' || task.kind === 'clustering') k.softmaxRows(rows, task.width, logits, logits);
      else if (task.kind !== 'regression' && task.kind !== 'reconstruction') k.actForward(Act.sigmoid, rows * task.width, logits, logits, 0);
      preds[t] = logits;
    }
    return preds;
  }

  #ensure(rows: number): void {
    if (rows <= this.#capacity) return;
    for (const p of this.#buffers) this.#memory.free(p);
    this.#buffers = [];
    const f = (floats: number): number => {
      const p = this.#memory.alloc(this, Math.max(floats, 1) * 4);
      this.#buffers.push(p);
      return p;
    };
    const L = this.#layout, a = L.arch, d = L.d, T = L.tasks.length;
    const rd = rows * d;
    this.#out = new Map();
    const outputs = (ops: Mlp | null) => { for (const op of ops ?? []) this.#out.set(op, f(rows * op.out)); };
    this.#x = f(rows * L.inputSize);
    if (a.type === 'sharedBottom') outputs(a.trunk);
    else if (a.type === 'omoe') {
      a.experts.forEach(outputs);
      outputs([a.gate]);
      this.#e = [f(rd * a.experts.length)];
      this.#z = f(rd);
    } else if (a.type === 'gated') {
      const N = a.S + T * a.K;
      for (const lv of a.levels) {
        lv.experts.forEach(outputs);
        outputs(lv.taskGates);
        if (lv.sharedGate) outputs([lv.sharedGate]);
      }
      outputs(a.lastGates);
      this.#e = a.levels.map(() => f(rd * N));
      this.#h = a.levels.map(() => Array.from({ length: T }, () => f(rd)));
      this.#hShared = a.levels.map(() => f(rd));
      this.#m = Array.from({ length: T }, () => f(rd));
    } else {
      for (const lv of a.levels) outputs(lv.columns);
      this.#cols = a.levels.map((lv) => Array.from({ length: T }, () => f(rows * lv.width)));
      this.#tables = a.levels.flatMap(() => [f(T), f(T)]);
    }
    for (const t of L.tasks) {
      outputs(t.tower);
      outputs(t.head);
    }
    this.#headIn = L.tasks.map((t) => (t.inputsFrom.length > 0 ? f(rows * t.head[0]!.inp) : 0));
    this.#capacity = rows;
  }
}
