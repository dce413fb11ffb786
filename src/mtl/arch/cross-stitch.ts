// Cross-stitch networks (Misra et al., CVPR 2016): one column (an MLP of
// `units`) per task; after each layer l a learnable T×T matrix α_l mixes the
// columns' activations, x̃_t = Σ_s α_l[t, s] · x_s, and x̃_t is column t's
// input to the next layer.
//
//   Z   = [x̃_0 | … | x̃_{T−1}] after the last layer      rows × (T·d), d = units[last]
//   R_t = tower_t(Z[:, t·d : (t+1)·d])                 (towerUnits: [] → that block itself)
//
// Initialization: α_l starts at the paper's blend α⁰ — alphaDiagonal (default
// 0.9) on the diagonal and (1 − alphaDiagonal)/(T − 1) off it, so each row sums
// to 1 (with one task, α⁰ = [[1]]). The parameter initializers cannot produce
// that matrix, so the learnable parameter is the offset from it:
//   α_l = α⁰ + cross.<l>.alphaOffset   (T×T, row t = output task t, column s = input task s; starts at 0)
// Its gradient is exactly dL/dα_l; Adam and SGD follow the same trajectory as
// with α_l itself, and weight decay pulls α_l towards α⁰ rather than towards 0.
// `alpha(l)` returns α_l.
//
// Parameters: `column.<task>.<l>.weight|bias` (layer l of task's column) and
// `cross.<l>.alphaOffset` — the shared part (every column feeds every task
// through α) — then `tower.<task>.<k>.weight|bias` (task-specific).

import type { Activation, Layer, LayerContext } from '../../nn/layers.js';
import type { ParameterHandle } from '../../nn/params.js';
import { heapF32, runtime } from '../../runtime/module.js';
import { ArgumentError } from '../../runtime/errors.js';
import { ArchitectureBase, DenseBlock, heapI32, SpecReader, zero } from './common.js';

export interface CrossStitchSpec {
  type: 'crossStitch';
  /** Widths of each column's layers (at least one); a cross-stitch unit follows each. */
  units: number[];
  /** Widths of each task's tower; [] for none. */
  towerUnits: number[];
  /** Of every column and tower layer. Default 'relu'. */
  activation?: Activation;
  /** Dropout rate after every column and tower layer while training. Default 0. */
  dropout?: number;
  /** α's initial diagonal, in [0, 1]. Default 0.9. */
  alphaDiagonal?: number;
}

interface Level {
  readonly width: number;
  /** One DenseBlock per task. */
  readonly columns: DenseBlock[];
  readonly offset: ParameterHandle;
  // Buffers: α (T×T, computed each forward), the mixed outputs (per task, rows ×
  // width; the last level writes into Z instead), the mixed outputs' gradients,
  // and the pointer tables the kernel reads (T u32 each).
  alpha: number;
  mixed: number[];
  dMixed: number[];
  inTable: number;
  outTable: number;
  dOutTable: number;
  dInTable: number;
}

export class CrossStitch extends ArchitectureBase {
  readonly type = 'crossStitch';
  readonly sharedPrefixes: readonly string[] = ['column', 'cross'];
  readonly units: readonly number[];
  readonly alphaDiagonal: number;
  #levels: Level[] = [];
  #alpha0 = new Float64Array(0);
  #z = 0;
  #copy: number[] = [];
  #dZ: number[] = [];

  constructor(spec: Record<string, unknown>) {
    const r = new SpecReader('crossStitch', spec, ['units', 'towerUnits', 'activation', 'dropout', 'alphaDiagonal']);
    const units = r.units('units', false);
    const towerUnits = r.units('towerUnits', true);
    super({ towerUnits, activation: r.activation(), dropout: r.fraction('dropout', 0, 0, 1, false) });
    this.units = units;
    this.alphaDiagonal = r.fraction('alphaDiagonal', 0.9, 0, 1, true);
  }

  protected buildShared(ctx: LayerContext): number[] {
    const T = this.taskCount, names = this.context.taskNames;
    let width = this.inputSize;
    this.units.forEach((u, l) => {
      const columns = names.map((name) => {
        const block = new DenseBlock(u, this.mlpOptions);
        block.build(width, ctx, `column.${name}.${l}`);
        return block;
      });
      const offset = ctx.params.declare(`cross.${l}.alphaOffset`, T, T, 'zeros');
      this.#levels.push({
        width: u, columns, offset,
        alpha: 0, mixed: [], dMixed: [], inTable: 0, outTable: 0, dOutTable: 0, dInTable: 0,
      });
      width = u;
    });
    const off = T === 1 ? 0 : (1 - this.alphaDiagonal) / (T - 1);
    this.#alpha0 = Float64Array.from({ length: T * T }, (_, i) => (i % (T + 1) === 0 ? (T === 1 ? 1 : this.alphaDiagonal) : off));
    return names.map(() => width);
  }

  protected sharedWidth(): number { return this.taskCount * this.units.at(-1)!; }

  protected allocateBuffers(maxRows: number): void {
    const T = this.taskCount, b = this.buffers, L = this.#levels.length;
    const d = this.units.at(-1)!;
    this.#z = b.floats(maxRows * T * d);
    this.#levels.forEach((lv, l) => {
      for (const c of lv.columns) c.allocate(maxRows);
      lv.alpha = b.floats(T * T);
      lv.mixed = l === L - 1 ? [] : lv.columns.map(() => b.floats(maxRows * lv.width));
      lv.dMixed = lv.columns.map(() => b.floats(maxRows * lv.width));
      const out = l === L - 1 ? lv.columns.map((_, t) => this.#z + t * d * 4) : lv.mixed;
      lv.inTable = b.ints(T);
      lv.outTable = b.ints(out);
      lv.dOutTable = b.ints(T);
      lv.dInTable = b.ints(lv.dMixed);
    });
    this.#copy = Array.from({ length: T }, () => b.floats(maxRows * d));
    this.#dZ = Array.from({ length: T }, () => b.floats(maxRows * T * d));
  }

  protected *layers(): Iterable<Layer> {
    for (const lv of this.#levels) yield* lv.columns;
  }

  /** The cross-stitch matrix of layer `level` (T×T row-major: row t = output task t, column s = input task s). */
  alpha(level: number): Float64Array {
    const lv = this.#levels[level];
    if (lv === undefined) throw new ArgumentError(`crossStitch.alpha: level must be an integer in [0, ${this.#levels.length}), got ${level}`);
    const offset = this.context.params.get(`cross.${level}.alphaOffset`);
    return this.#alpha0.map((a, i) => a + offset[i]!);
  }

  protected sharedForward(x: number, rows: number, training: boolean): number {
    const k = runtime('crossStitch.forwardShared').kernels;
    const T = this.taskCount, L = this.#levels.length, params = this.context.params;
    const heap = heapF32(), ints = heapI32(), a0 = this.#alpha0;
    for (let l = 0; l < L; l++) {
      const lv = this.#levels[l]!;
      const prev = l > 0 ? this.#levels[l - 1]! : null;
      for (let t = 0; t < T; t++) {
        ints[(lv.inTable >>> 2) + t] = lv.columns[t]!.forward(prev === null ? x : prev.mixed[t]!, rows, training);
      }
      const at = lv.alpha >>> 2, off = params.ptr(lv.offset) >>> 2;
      for (let i = 0; i < T * T; i++) heap[at + i] = a0[i]! + heap[off + i]!;
      const ldY = l === L - 1 ? T * lv.width : lv.width;
      k.crossStitchForward(rows, T, lv.width, lv.inTable, lv.width, lv.alpha, lv.outTable, ldY);
    }
    return this.#z;
  }

  protected taskForward(task: number, _x: number, z: number, rows: number, training: boolean): number {
    const T = this.taskCount, d = this.units.at(-1)!, copy = this.#copy[task]!;
    runtime('crossStitch.forwardTask').kernels.copyBlock(rows, d, z + task * d * 4, T * d, copy, d);
    return this.towerForward(task, copy, rows, training);
  }

  protected taskBackward(task: number, dRep: number, rows: number): number {
    const T = this.taskCount, d = this.units.at(-1)!, dZ = this.#dZ[task]!;
    const dIn = this.towerBackward(task, dRep, rows);
    if (T > 1) zero(dZ, rows * T * d);
    runtime('crossStitch.backwardTask').kernels.copyBlock(rows, d, dIn, d, dZ + task * d * 4, T * d);
    return dZ;
  }

  protected sharedBackward(dZ: number, rows: number): void {
    const k = runtime('crossStitch.backwardShared').kernels;
    const T = this.taskCount, L = this.#levels.length, params = this.context.params, ints = heapI32();
    for (let l = L - 1; l >= 0; l--) {
      const lv = this.#levels[l]!;
      const last = l === L - 1;
      // The gradient reaching this level's mix: dZ's task blocks, or the next level's column input gradients (set below).
      if (last) for (let t = 0; t < T; t++) ints[(lv.dOutTable >>> 2) + t] = dZ + t * lv.width * 4;
      k.crossStitchBackward(rows, T, lv.width, lv.inTable, lv.width, lv.alpha, lv.dOutTable, last ? T * lv.width : lv.width,
        lv.dInTable, lv.width, params.gradPtr(lv.offset));
      const prev = l > 0 ? this.#levels[l - 1]! : null;
      for (let t = 0; t < T; t++) {
        const dIn = lv.columns[t]!.backward(lv.dMixed[t]!, rows, prev !== null);
        if (prev !== null) ints[(prev.dOutTable >>> 2) + t] = dIn;
      }
    }
  }

  config(): Record<string, unknown> {
    return {
      type: this.type, units: [...this.units], towerUnits: [...this.towerUnits],
      activation: this.mlpOptions.activation, dropout: this.mlpOptions.dropout, alphaDiagonal: this.alphaDiagonal,
    };
  }
}
