// A task's head: optional hidden Dense layers on the architecture's output R_t
// (plus the predictions of the tasks it reads from), then a linear output layer
// to the task's logits. Its parameters are named `head.<task>.<i>.weight|bias`.

import { Act } from '../runtime/abi.js';
import { runtime } from '../runtime/module.js';
import { Holding } from '../runtime/holdings.js';
import { Dense, Sequential, type LayerContext } from '../nn/layers.js';
import type { TaskSpec } from './tasks.js';

export class TaskHead {
  readonly spec: TaskSpec;
  /** Output columns: 1 (binary, regression) or the class/label count. */
  readonly width: number;
  readonly inputWidth: number;
  readonly net: Sequential;
  #out = 0;
  #probs = 0;
  readonly #memory = new Holding('TaskHead');

  constructor(spec: TaskSpec, width: number, inputWidth: number, ctx: LayerContext) {
    this.spec = spec;
    this.width = width;
    this.inputWidth = inputWidth;
    const act = spec.headActivation ?? 'relu';
    const layers = [...(spec.headUnits ?? []).map((u) => new Dense(u, { activation: act })), new Dense(width)];
    this.net = new Sequential(layers);
    this.net.build(inputWidth, ctx, `head.${spec.name}`);
  }

  allocate(maxRows: number): void {
    this.net.allocate(maxRows);
    this.#memory.free(this.#probs);
    this.#probs = this.#memory.alloc(this, maxRows * this.width * 4);
  }

  forward(x: number, rows: number, training: boolean): number {
    this.#out = this.net.forward(x, rows, training);
    return this.#out;
  }

  backward(dLogits: number, rows: number): number {
    return this.net.backward(dLogits, rows, true);
  }

  /**
   * The task's prediction from the last forward: probabilities (sigmoid for
   * binary/multilabel, softmax for multiclass) or the values (regression).
   */
  predictions(rows: number): number {
    const k = runtime('TaskHead').kernels;
    const n = rows * this.width;
    switch (this.spec.kind) {
      case 'regression':
      case 'reconstruction':
        return this.#out;
      case 'multiclass':
      case 'clustering':
        k.softmaxRows(rows, this.width, this.#out, this.#probs);
        return this.#probs;
      default:
        k.actForward(Act.sigmoid, n, this.#out, this.#probs, 0);
        return this.#probs;
    }
  }

  /** Adds dL/dlogits into `dLogits` given dL/dpredictions (for a task that feeds another's head). */
  backpropPredictions(dPred: number, rows: number, dLogits: number): void {
    const k = runtime('TaskHead').kernels;
    const n = rows * this.width;
    switch (this.spec.kind) {
      case 'regression':
      case 'reconstruction':
        k.add(n, dLogits, dPred, dLogits);
        return;
      case 'multiclass':
      case 'clustering':
        // dz = p ⊙ (dp − Σ p·dp), in place in dPred, then added.
        k.softmaxRowsBackward(rows, this.width, this.#probs, dPred, dPred);
        k.add(n, dLogits, dPred, dLogits);
        return;
      default:
        // σ'(z) = p(1 − p), in place in dPred, then added.
        k.actBackward(Act.sigmoid, n, this.#out, this.#probs, dPred, dPred, 0);
        k.add(n, dLogits, dPred, dLogits);
    }
  }

  dispose(): void {
    this.net.dispose();
    this.#memory.release();
    this.#probs = 0;
  }
}
