// Shared-bottom (hard parameter sharing; Caruana 1997): one trunk MLP on the
// input, then one tower MLP per task.
//
//   Z   = trunk(x)                       rows × units[last]
//   R_t = tower_t(Z)                     (towerUnits: [] → R_t = Z)
//
// Parameters: `shared.<k>.weight|bias` (trunk layer k, shared),
// `tower.<task>.<k>.weight|bias` (task-specific).

import type { Sequential, Activation, Layer, LayerContext } from '../../nn/layers.js';
import { runtime } from '../../runtime/module.js';
import { ArchitectureBase, mlp, SpecReader } from './common.js';

export interface SharedBottomSpec {
  type: 'sharedBottom';
  /** Widths of the trunk's layers (at least one). */
  units: number[];
  /** Widths of each task's tower; [] for none. */
  towerUnits: number[];
  /** Of every layer (trunk and towers). Default 'relu'. */
  activation?: Activation;
  /** Dropout rate after every layer while training. Default 0. */
  dropout?: number;
}

export class SharedBottom extends ArchitectureBase {
  readonly type = 'sharedBottom';
  readonly sharedPrefixes: readonly string[] = ['shared'];
  readonly units: readonly number[];
  readonly #trunk: Sequential;
  #copy: number[] = [];
  #dZ: number[] = [];

  constructor(spec: Record<string, unknown>) {
    const r = new SpecReader('sharedBottom', spec, ['units', 'towerUnits', 'activation', 'dropout']);
    const units = r.units('units', false);
    const towerUnits = r.units('towerUnits', true);
    super({ towerUnits, activation: r.activation(), dropout: r.fraction('dropout', 0, 0, 1, false) });
    this.units = units;
    this.#trunk = mlp(units, this.mlpOptions);
  }

  protected buildShared(ctx: LayerContext): number[] {
    const d = this.#trunk.build(this.inputSize, ctx, 'shared');
    return Array.from({ length: this.taskCount }, () => d);
  }

  protected sharedWidth(): number { return this.#trunk.outputSize; }

  protected allocateBuffers(maxRows: number): void {
    this.#trunk.allocate(maxRows);
    const n = maxRows * this.#trunk.outputSize;
    // Without towers R_t and dZ_t are copies (the caller's Z and dR_t are not ours to hand back).
    this.#copy = this.towerUnits.length === 0 ? Array.from({ length: this.taskCount }, () => this.buffers.floats(n)) : [];
    this.#dZ = this.towerUnits.length === 0 ? Array.from({ length: this.taskCount }, () => this.buffers.floats(n)) : [];
  }

  protected layers(): Iterable<Layer> { return [this.#trunk]; }

  protected sharedForward(x: number, rows: number, training: boolean): number {
    return this.#trunk.forward(x, rows, training);
  }

  protected taskForward(task: number, _x: number, z: number, rows: number, training: boolean): number {
    if (this.towerUnits.length > 0) return this.towerForward(task, z, rows, training);
    const d = this.#trunk.outputSize, out = this.#copy[task]!;
    runtime('sharedBottom.forwardTask').kernels.copyBlock(rows, d, z, d, out, d);
    return out;
  }

  protected taskBackward(task: number, dRep: number, rows: number): number {
    // The tower's input gradient is our own buffer; without a tower, copy dR_t.
    if (this.towerUnits.length > 0) return this.towerBackward(task, dRep, rows);
    const d = this.#trunk.outputSize, out = this.#dZ[task]!;
    runtime('sharedBottom.backwardTask').kernels.copyBlock(rows, d, dRep, d, out, d);
    return out;
  }

  protected sharedBackward(dZ: number, rows: number): void {
    this.#trunk.backward(dZ, rows, false);
  }

  config(): Record<string, unknown> {
    return {
      type: this.type, units: [...this.units], towerUnits: [...this.towerUnits],
      activation: this.mlpOptions.activation, dropout: this.mlpOptions.dropout,
    };
  }
}
