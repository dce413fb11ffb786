// One-gate Mixture-of-Experts (OMoE; the baseline of Ma et al., KDD 2018): n
// expert MLPs on the input mixed by ONE softmax gate shared by every task, then
// a tower per task. With a single gate the mixture is a shared representation,
// so this is shared-bottom whose bottom is a mixture of experts:
//
//   Z   = Σ_i softmax(x·W + b)_i · E_i(x)          rows × d, d = expertUnits[last]
//   R_t = tower_t(Z)                               (towerUnits: [] → R_t = Z)
//
// Parameters: `experts.<i>.<k>.weight|bias` and `gate.weight|bias` (shared),
// `tower.<task>.<k>.weight|bias` (task-specific).

import { Dense, type Activation, type Layer, type LayerContext, type Sequential } from '../../nn/layers.js';
import { runtime } from '../../runtime/module.js';
import { ArchitectureBase, mlp, SpecReader } from './common.js';

export interface OmoeSpec {
  type: 'omoe';
  /** Number of experts (n). */
  experts: number;
  /** Widths of each expert's layers (at least one). */
  expertUnits: number[];
  /** Widths of each task's tower; [] for none. */
  towerUnits: number[];
  /** Of every expert and tower layer (the gate is linear). Default 'relu'. */
  activation?: Activation;
  /** Dropout rate after every expert and tower layer while training. Default 0. */
  dropout?: number;
}

export class Omoe extends ArchitectureBase {
  readonly type = 'omoe';
  readonly sharedPrefixes: readonly string[] = ['experts', 'gate'];
  readonly expertUnits: readonly number[];
  readonly #experts: Sequential[];
  readonly #gate: Dense;
  #d = 0;
  #e = 0; #g = 0; #z = 0; #dE = 0; #dEi = 0; #dG = 0; #idx = 0;
  #copy: number[] = [];
  #dZ: number[] = [];

  constructor(spec: Record<string, unknown>) {
    const r = new SpecReader('omoe', spec, ['experts', 'expertUnits', 'towerUnits', 'activation', 'dropout']);
    const n = r.count('experts');
    const expertUnits = r.units('expertUnits', false);
    super({ towerUnits: r.units('towerUnits', true), activation: r.activation(), dropout: r.fraction('dropout', 0, 0, 1, false) });
    this.expertUnits = expertUnits;
    this.#experts = Array.from({ length: n }, () => mlp(expertUnits, this.mlpOptions));
    this.#gate = new Dense(n);
  }

  protected buildShared(ctx: LayerContext): number[] {
    this.#experts.forEach((e, i) => { this.#d = e.build(this.inputSize, ctx, `experts.${i}`); });
    this.#gate.build(this.inputSize, ctx, 'gate');
    return Array.from({ length: this.taskCount }, () => this.#d);
  }

  protected sharedWidth(): number { return this.#d; }

  protected allocateBuffers(maxRows: number): void {
    const n = this.#experts.length, d = this.#d, b = this.buffers;
    for (const e of this.#experts) e.allocate(maxRows);
    this.#gate.allocate(maxRows);
    this.#e = b.floats(maxRows * n * d);
    this.#dE = b.floats(maxRows * n * d);
    this.#dEi = b.floats(maxRows * d);
    this.#g = b.floats(maxRows * n);
    this.#dG = b.floats(maxRows * n);
    this.#z = b.floats(maxRows * d);
    this.#idx = b.ints(Array.from({ length: n }, (_, i) => i));
    this.#copy = this.towerUnits.length === 0 ? Array.from({ length: this.taskCount }, () => b.floats(maxRows * d)) : [];
    this.#dZ = this.towerUnits.length === 0 ? Array.from({ length: this.taskCount }, () => b.floats(maxRows * d)) : [];
  }

  protected *layers(): Iterable<Layer> {
    yield* this.#experts;
    yield this.#gate;
  }

  protected sharedForward(x: number, rows: number, training: boolean): number {
    const k = runtime('omoe.forwardShared').kernels;
    const n = this.#experts.length, d = this.#d;
    this.#experts.forEach((e, i) => k.copyBlock(rows, d, e.forward(x, rows, training), d, this.#e + i * d * 4, n * d));
    k.softmaxRows(rows, n, this.#gate.forward(x, rows, training), this.#g);
    k.mixForward(rows, n, d, this.#e, n * d, this.#idx, this.#g, this.#z, d);
    return this.#z;
  }

  protected taskForward(task: number, _x: number, z: number, rows: number, training: boolean): number {
    if (this.towerUnits.length > 0) return this.towerForward(task, z, rows, training);
    const d = this.#d, out = this.#copy[task]!;
    runtime('omoe.forwardTask').kernels.copyBlock(rows, d, z, d, out, d);
    return out;
  }

  protected taskBackward(task: number, dRep: number, rows: number): number {
    if (this.towerUnits.length > 0) return this.towerBackward(task, dRep, rows);
    const d = this.#d, out = this.#dZ[task]!;
    runtime('omoe.backwardTask').kernels.copyBlock(rows, d, dRep, d, out, d);
    return out;
  }

  protected sharedBackward(dZ: number, rows: number): void {
    const k = runtime('omoe.backwardShared').kernels;
    const n = this.#experts.length, d = this.#d;
    k.mixBackward(rows, n, d, this.#e, n * d, this.#idx, this.#g, dZ, d, this.#dE, this.#dG, 0);
    k.softmaxRowsBackward(rows, n, this.#g, this.#dG, this.#dG);
    this.#gate.backward(this.#dG, rows, false);
    this.#experts.forEach((e, i) => {
      k.copyBlock(rows, d, this.#dE + i * d * 4, n * d, this.#dEi, d);
      e.backward(this.#dEi, rows, false);
    });
  }

  config(): Record<string, unknown> {
    return {
      type: this.type, experts: this.#experts.length, expertUnits: [...this.expertUnits], towerUnits: [...this.towerUnits],
      activation: this.mlpOptions.activation, dropout: this.mlpOptions.dropout,
    };
  }
}
