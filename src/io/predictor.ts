// The forward pass of a saved model for `manytask/infer`: its description
// (src/mtl/describe.ts) run by the forward interpreter (src/graph/forward.ts)
// with no gradients and no training state, over chunks of at most PREDICT_CHUNK rows —
// the same operations on the same inputs as MultiTaskModel.predict, so the same
// floats. tests/unit/model-file.test.js checks every architecture against predict.

import { heapF32, heapI32, runtime } from '../runtime/module.js';
import { Holding } from '../runtime/holdings.js';
import { attentionExtras, PREDICT_CHUNK, runForward, type ForwardState, type OpExtras } from '../graph/forward.js';
import { flatten, type Op } from '../graph/description.js';
import type { ModelDescription } from '../mtl/describe.js';

export class Predictor {
  readonly #d: ModelDescription;
  /** The parameter block (bytes); its layout is the file's. */
  readonly #params: number;
  readonly #offsets: Int32Array;
  /** Per-batch buffers, reallocated when the capacity grows. */
  #buffers: number[] = [];
  #capacity = 0;
  #state: ForwardState | null = null;
  /** Every block: the weights and the per-batch buffers. */
  readonly #memory = new Holding('InferenceModel');

  constructor(description: ModelDescription, weights: Float32Array) {
    this.#d = description;
    this.#params = this.#memory.alloc(this, Math.max(weights.length, 4) * 4);
    heapF32().set(weights, this.#params >>> 2);
    this.#offsets = new Int32Array(description.tensors.length);
    let at = 0;
    description.tensors.forEach((t, i) => { this.#offsets[i] = at; at += Math.ceil((t.rows * t.cols) / 4) * 4; });
  }

  /** Per-task outputs (probabilities or values, rows × width) of `rows` encoded rows. */
  run(x: Float32Array, rows: number): Float32Array[] {
    const d = this.#d, F = d.inputSize;
    const out = d.tasks.map((t) => new Float32Array(rows * t.width));
    const chunk = Math.min(rows, PREDICT_CHUNK);
    const st = this.#ensure(chunk);
    for (let start = 0; start < rows; start += chunk) {
      const n = Math.min(chunk, rows - start);
      heapF32().set(x.subarray(start * F, (start + n) * F), st.value[0]! >>> 2);
      runForward(d.shared, n, d.values, st, false);
      for (const t of d.order) {
        const task = d.tasks[t]!;
        runForward(task.ops, n, d.values, st, false);
        runForward(task.head, n, d.values, st, false);
        if (task.prediction) runForward([task.prediction], n, d.values, st, false);
      }
      d.tasks.forEach((task, i) => {
        const p = st.value[task.predicted]! >>> 2;
        out[i]!.set(heapF32().subarray(p, p + n * task.width), start * task.width);
      });
    }
    return out;
  }

  dispose(): void {
    this.#memory.release();
    this.#buffers = [];
    this.#state = null;
  }

  #ensure(rows: number): ForwardState {
    if (this.#state && rows <= this.#capacity) return this.#state;
    const { kernels } = runtime('predict');
    for (const p of this.#buffers) this.#memory.free(p);
    this.#buffers = [];
    const alloc = (floats: number): number => {
      const p = this.#memory.alloc(this, Math.max(floats, 1) * 4);
      this.#buffers.push(p);
      return p;
    };
    const d = this.#d;
    const value = d.values.map((w) => alloc(rows * w));
    const extras = new Map<Op, OpExtras>();
    for (const op of flatten([...d.shared, ...d.tasks.flatMap((t) => [...t.ops, ...t.head])])) {
      if (op.kind === 'mix') {
        const blocks = alloc(op.blocks.length);
        heapI32().set(op.blocks, blocks >>> 2);
        extras.set(op, { blocks });
      } else if (op.kind === 'conv1d') {
        extras.set(op, { col: alloc(rows * op.kernel * d.values[op.x]!) });
      } else if (op.kind === 'layerNorm') {
        extras.set(op, { mean: alloc(rows * d.values[op.x]! / op.cols), rstd: alloc(rows * d.values[op.x]! / op.cols) });
      } else if (op.kind === 'attention') {
        extras.set(op, attentionExtras(op, d.values[op.y]!, rows, false, alloc));
      } else if (op.kind === 'crossStitch') {
        const T = op.xs.length;
        extras.set(op, { alpha: alloc(T * T), inTable: alloc(T), outTable: alloc(T) });
      }
    }
    this.#state = { k: kernels, params: this.#params, offsets: this.#offsets, value, extras, dropout: null };
    this.#capacity = rows;
    return this.#state;
  }
}
