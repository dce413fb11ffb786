// What every architecture shares: spec validation, MLP blocks built from the
// nn layers, per-batch buffers, the per-task towers, and the Architecture
// bookkeeping (built once, task count, sizes, dispose).

import type { Architecture, ArchitectureContext } from './types.js';
import { Dense, Dropout, Sequential, type Activation, type Layer, type LayerContext } from '../../nn/layers.js';
import { heapF32, runtime } from '../../runtime/module.js';
import { ArgumentError, DisposedError, ShapeError } from '../../runtime/errors.js';
import { checkDim, checkKeys, show } from '../../runtime/validate.js';
import { Holding } from '../../runtime/holdings.js';

// ---------------------------------------------------------------------------
// Spec validation. Counts and sizes → ShapeError; names, types, ranges → ArgumentError.

/** Every activation name Dense accepts (the Record makes the compiler flag a missing one). */
const ACTIVATION_NAMES: Record<Activation, true> = {
  identity: true, linear: true, relu: true, leakyRelu: true, leaky_relu: true,
  elu: true, gelu: true, sigmoid: true, tanh: true, softplus: true,
};

export class SpecReader {
  readonly #where: string;
  readonly #spec: Record<string, unknown>;

  constructor(type: string, spec: Record<string, unknown>, known: readonly string[]) {
    this.#where = `architecture "${type}"`;
    this.#spec = spec;
    checkKeys(this.#where, spec, ['type', ...known]);
  }

  #required(name: string): unknown {
    const v = this.#spec[name];
    if (v === undefined) throw new ArgumentError(`${this.#where}: missing option "${name}"`);
    return v;
  }

  count(name: string, min = 1): number {
    const v = this.#required(name);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw new ShapeError(`${this.#where}: ${name} must be an integer ≥ ${min}, got ${show(v)}`);
    }
    return v;
  }

  /** An array of layer widths; `allowEmpty` for towers (no tower: the task part is the identity). */
  units(name: string, allowEmpty: boolean): number[] {
    const v = this.#required(name);
    if (!Array.isArray(v)) throw new ArgumentError(`${this.#where}: ${name} must be an array of layer widths, got ${show(v)}`);
    if (v.length === 0 && !allowEmpty) throw new ShapeError(`${this.#where}: ${name} must list at least one layer width`);
    return v.map((u: unknown, i) => checkDim(this.#where, `${name}[${i}]`, u));
  }

  activation(): Activation {
    const v = this.#spec['activation'];
    if (v === undefined) return 'relu';
    if (typeof v !== 'string' || !Object.hasOwn(ACTIVATION_NAMES, v)) {
      throw new ArgumentError(`${this.#where}: unknown activation ${show(v)} (known: ${Object.keys(ACTIVATION_NAMES).join(', ')})`);
    }
    return v as Activation;
  }

  /** A number in [lo, hi) (or [lo, hi] with closed), with a default. */
  fraction(name: string, fallback: number, lo: number, hi: number, closed: boolean): number {
    const v = this.#spec[name];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || (closed ? v > hi : v >= hi)) {
      throw new ArgumentError(`${this.#where}: ${name} must be a number in [${lo}, ${hi}${closed ? ']' : ')'}, got ${show(v)}`);
    }
    return v;
  }
}

// ---------------------------------------------------------------------------
// Layers.

/** What every MLP of an architecture uses. */
export interface MlpOptions {
  readonly activation: Activation;
  readonly dropout: number;
}

/**
 * One Dense (with the activation) and, if dropout > 0, a Dropout after it; the
 * Dense's parameters are named `<prefix>.weight` and `<prefix>.bias`, so names
 * do not depend on whether dropout is on.
 */
export class DenseBlock extends Sequential {
  constructor(units: number, opts: MlpOptions) {
    const dense = new Dense(units, { activation: opts.activation });
    super(opts.dropout > 0 ? [dense, new Dropout(opts.dropout)] : [dense]);
  }

  protected override onBuild(inputSize: number, ctx: LayerContext, prefix: string): number {
    let size = inputSize;
    for (const layer of this.layers) size = layer.build(size, ctx, prefix);
    return size;
  }
}

/** An MLP of DenseBlocks: layer k's parameters are `<prefix>.<k>.weight` / `.bias`. */
export function mlp(units: readonly number[], opts: MlpOptions): Sequential {
  return new Sequential(units.map((u) => new DenseBlock(u, opts)));
}

// ---------------------------------------------------------------------------
// Memory.

/** Per-batch buffers of an architecture, freed together when the capacity changes. */
export class Buffers {
  readonly #memory = new Holding('Architecture');

  floats(n: number): number {
    return this.#memory.alloc(this, Math.max(n, 1) * 4);
  }

  /** n i32 values (index lists, pointer tables). */
  ints(values: readonly number[] | number): number {
    const n = typeof values === 'number' ? values : values.length;
    const p = this.floats(n);
    if (typeof values !== 'number') heapI32().set(values, p >>> 2);
    return p;
  }

  free(): void {
    this.#memory.release();
  }
}

let i32View = new Int32Array(0);

/** An Int32Array over all of linear memory, re-derived only when memory has grown. */
export function heapI32(): Int32Array {
  const buffer = runtime('heapI32').memory.buffer;
  if (i32View.buffer !== buffer) i32View = new Int32Array(buffer);
  return i32View;
}

/** Sets rows·cols floats at ptr to zero. */
export function zero(ptr: number, floats: number): void {
  heapF32().fill(0, ptr >>> 2, (ptr >>> 2) + floats);
}

// ---------------------------------------------------------------------------
// The common part of every architecture.

export interface TowerOptions extends MlpOptions {
  readonly towerUnits: readonly number[];
}

/**
 * Bookkeeping shared by the architectures, and the towers: task t's part ends
 * in tower_t, an MLP named `tower.<task>.<k>` (none when towerUnits is []).
 * Subclasses compute the tower input from (x, Z) and route its gradient to dZ.
 */
export abstract class ArchitectureBase implements Architecture {
  abstract readonly type: string;
  protected readonly towerUnits: readonly number[];
  protected readonly mlpOptions: MlpOptions;
  protected readonly buffers = new Buffers();
  #built = false;
  #disposed = false;
  #tasks = 0;
  #capacity = 0;
  // Rows of the last forward (0: none since the buffers were allocated), which backward must match.
  #sharedRows = 0;
  #taskRows: number[] = [];
  #inputSize = 0;
  #sharedSize = 0;
  #outputSizes: number[] = [];
  #towers: Array<Sequential | null> = [];
  #ctx: ArchitectureContext | null = null;

  constructor(opts: TowerOptions) {
    this.towerUnits = [...opts.towerUnits];
    this.mlpOptions = { activation: opts.activation, dropout: opts.dropout };
  }

  get sharedSize(): number { this.#check('sharedSize'); return this.#sharedSize; }
  get outputSizes(): readonly number[] { this.#check('outputSizes'); return this.#outputSizes; }
  abstract readonly sharedPrefixes: readonly string[];
  protected get taskCount(): number { return this.#tasks; }
  protected get inputSize(): number { return this.#inputSize; }
  protected get context(): ArchitectureContext {
    if (this.#ctx === null) throw new ArgumentError(`architecture "${this.type}": call build first`);
    return this.#ctx;
  }

  build(ctx: ArchitectureContext): void {
    const where = `architecture "${this.type}"`;
    if (this.#disposed) throw new DisposedError(`an architecture "${this.type}"`);
    if (this.#built) throw new ArgumentError(`${where}: build can only be called once`);
    const names: unknown = ctx.taskNames;
    if (!Array.isArray(names) || names.length === 0) throw new ArgumentError(`${where}: taskNames must be a non-empty array of strings`);
    const seen = new Set<string>();
    for (const n of names) {
      if (typeof n !== 'string' || n === '' || n.includes('.') || seen.has(n)) {
        throw new ArgumentError(`${where}: task names must be distinct non-empty strings without "." (they are parameter name segments), got ${show(n)}`);
      }
      seen.add(n);
    }
    this.#inputSize = checkDim(where, 'inputSize', ctx.inputSize);
    this.#tasks = names.length;
    this.#ctx = ctx;
    const layerCtx: LayerContext = { params: ctx.params, rng: ctx.rng };
    const towerInputs = this.buildShared(layerCtx);
    this.#sharedSize = this.sharedWidth();
    this.#towers = ctx.taskNames.map((name, t) => {
      if (this.towerUnits.length === 0) return null;
      const tower = mlp(this.towerUnits, this.mlpOptions);
      tower.build(towerInputs[t]!, layerCtx, `tower.${name}`);
      return tower;
    });
    this.#outputSizes = towerInputs.map((n) => this.towerUnits.at(-1) ?? n);
    this.#built = true;
  }

  allocate(maxRows: number): void {
    this.#check('allocate');
    checkDim(`architecture "${this.type}" allocate`, 'maxRows', maxRows);
    this.buffers.free();
    for (const tower of this.#towers) tower?.allocate(maxRows);
    this.allocateBuffers(maxRows);
    this.#capacity = maxRows;
    this.#sharedRows = 0;
    this.#taskRows = Array.from({ length: this.#tasks }, () => 0);
  }

  forwardShared(x: number, rows: number, training: boolean): number {
    this.#checkRows('forwardShared', rows);
    const z = this.sharedForward(x, rows, training);
    this.#sharedRows = rows;
    return z;
  }

  forwardTask(task: number, x: number, z: number, rows: number, training: boolean): number {
    this.#checkTask('forwardTask', task);
    this.#checkRows('forwardTask', rows);
    const r = this.taskForward(task, x, z, rows, training);
    this.#taskRows[task] = rows;
    return r;
  }

  backwardTask(task: number, dRep: number, rows: number): number {
    this.#checkTask('backwardTask', task);
    this.#checkBackwardRows('backwardTask', rows, this.#taskRows[task]!, task);
    return this.taskBackward(task, dRep, rows);
  }

  backwardShared(dZ: number, rows: number): void {
    this.#checkBackwardRows('backwardShared', rows, this.#sharedRows, -1);
    this.sharedBackward(dZ, rows);
  }

  /** Declares the parts before the towers (gates included); returns each tower's input width. */
  protected abstract buildShared(ctx: LayerContext): number[];
  /** Floats per row of Z (called once, right after buildShared). */
  protected abstract sharedWidth(): number;
  /** Reserves the subclass's buffers (this.buffers was just freed). */
  protected abstract allocateBuffers(maxRows: number): void;
  /** The layers the subclass built, for dispose. */
  protected abstract layers(): Iterable<Layer>;

  // The four passes, called once the task index and rows are checked. Backward
  // runs only after a forward with the same rows since the last allocate.
  protected abstract sharedForward(x: number, rows: number, training: boolean): number;
  protected abstract taskForward(task: number, x: number, z: number, rows: number, training: boolean): number;
  protected abstract taskBackward(task: number, dRep: number, rows: number): number;
  protected abstract sharedBackward(dZ: number, rows: number): void;
  abstract config(): Record<string, unknown>;

  /** tower_t(input), or the input itself when there is no tower. */
  protected towerForward(task: number, input: number, rows: number, training: boolean): number {
    const tower = this.#towers[task];
    return tower ? tower.forward(input, rows, training) : input;
  }

  /** dL/d(tower input) from dL/dR_t (dRep itself when there is no tower); fills the tower's gradients. */
  protected towerBackward(task: number, dRep: number, rows: number): number {
    const tower = this.#towers[task];
    return tower ? tower.backward(dRep, rows, true) : dRep;
  }

  /** Checks a batch size against the allocated capacity. */
  #checkRows(where: string, rows: number): void {
    if (!Number.isInteger(rows) || rows < 1 || rows > this.#capacity) {
      if (this.#capacity === 0) this.#check(where);
      const detail = this.#capacity === 0 ? 'call allocate(maxRows) first' : `allocated for up to ${this.#capacity}`;
      throw new ShapeError(`${this.type}.${where}: rows must be an integer from 1 to the allocated capacity (${detail}), got ${show(rows)}`);
    }
  }

  /** `task` −1 for the shared part. */
  #checkBackwardRows(where: string, rows: number, forwardRows: number, task: number): void {
    if (forwardRows === rows) return;
    const forward = task < 0 ? 'forwardShared' : `forwardTask(${task}, …)`;
    if (forwardRows === 0) {
      this.#check(where);
      throw new ArgumentError(`${this.type}.${where}: call ${forward} first (since the last allocate)`);
    }
    if (rows !== forwardRows) {
      throw new ShapeError(`${this.type}.${where}: rows must be ${forwardRows}, as in the last ${forward}, got ${show(rows)}`);
    }
  }

  #checkTask(where: string, task: number): void {
    if (!Number.isInteger(task) || task < 0 || task >= this.#tasks) {
      throw new ArgumentError(`${this.type}.${where}: task must be an integer in [0, ${this.#tasks}), got ${show(task)}`);
    }
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#capacity = 0;
    this.#sharedRows = 0;
    this.#taskRows = [];
    if (!this.#built) return;
    for (const tower of this.#towers) tower?.dispose();
    for (const layer of this.layers()) layer.dispose();
    this.buffers.free();
  }

  #check(what: string): void {
    if (this.#disposed) throw new DisposedError(`an architecture "${this.type}"`);
    if (!this.#built) throw new ArgumentError(`architecture "${this.type}": call build first (before ${what})`);
  }
}
