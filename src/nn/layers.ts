// Layers with explicit forward/backward over buffers preallocated per batch
// size: no autograd graph, no allocation per step. Pointers are byte offsets in
// WASM memory; a layer's output buffer stays valid (and unchanged) until its
// next forward, which is what its backward relies on. A layer's public forward
// and backward check their pointers and rows; a Network and a Sequential run
// their layers through the unchecked run / runBackward, over their own buffers.

import { Act, type ActivationName } from '../runtime/abi.js';
import { ACTIVATIONS, checkActivation, type Activation } from '../runtime/activations.js';
import { runtime } from '../runtime/module.js';
import { ArgumentError, DisposedError, ShapeError } from '../runtime/errors.js';
import { Holding } from '../runtime/holdings.js';
import { checkBoolean, checkDim, checkF32, checkFiniteNumber, checkKeys, checkOptionsObject, show } from '../runtime/validate.js';
import { checkInitializer, type InitializerName } from './init.js';
import { Parameters, type ParameterHandle } from './params.js';
import { Rng } from './rng.js';
import { checkCount, checkPointer } from './pointers.js';

export interface LayerContext {
  readonly params: Parameters;
  /** The model's dropout stream. */
  readonly rng: Rng;
}

export type { Activation };

/** Per-layer scratch memory, freed and re-reserved when the batch capacity changes. */
class Scratch {
  readonly #memory = new Holding('Layer');
  alloc(floats: number): number {
    return this.#memory.alloc(this, floats * 4);
  }
  free(): void {
    this.#memory.release();
  }
}

export abstract class Layer {
  #inputSize = 0;
  #outputSize = 0;
  /** Rows the batch buffers hold (0: none, before allocate or after dispose). */
  #capacity = 0;
  /** Rows of the last forward pass (0: none since the buffers were made). */
  #rows = 0;
  /** The block of the input a public forward was given, to tell whether it is still there at backward (0: not checked). */
  #inputBlock = 0;
  #inputAt = 0;
  #disposed = false;
  protected readonly scratch = new Scratch();

  get inputSize(): number { return this.#inputSize; }
  get outputSize(): number { return this.#outputSize; }
  get isBuilt(): boolean { return this.#outputSize > 0; }

  /** Declares the layer's parameters under `prefix` for an input of `inputSize` features. */
  build(inputSize: number, ctx: LayerContext, prefix: string): number {
    const where = `${this.constructor.name}.build`;
    if (this.isBuilt) throw new ArgumentError(`a ${this.constructor.name} layer can only be used in one model`);
    checkDim(where, 'inputSize', inputSize);
    if (typeof ctx !== 'object' || ctx === null || !(ctx.params instanceof Parameters) || !(ctx.rng instanceof Rng)) {
      throw new ArgumentError(`${where}: ctx must be { params: Parameters, rng: Rng }, got ${show(ctx)}`);
    }
    if (typeof prefix !== 'string') throw new ArgumentError(`${where}: prefix must be a string, got ${show(prefix)}`);
    this.#inputSize = inputSize;
    this.#outputSize = this.onBuild(inputSize, ctx, prefix);
    return this.#outputSize;
  }

  /** (Re)reserves the per-batch buffers for up to maxRows rows (the outputs of an earlier forward are gone). */
  allocate(maxRows: number): void {
    const where = `${this.constructor.name}.allocate`;
    this.#usable(where);
    checkCount(where, 'maxRows', maxRows, 1);
    this.scratch.free();
    this.#capacity = 0;
    this.#rows = 0;
    this.onAllocate(maxRows);
    this.#capacity = maxRows;
  }

  /**
   * Computes the output for `rows` rows at the byte offset x (rows × inputSize
   * floats in a block of WASM memory, kept until backward); returns the output's
   * byte offset, valid until the next forward. Needs the layer built (in a Network)
   * and its buffers allocated for at least `rows` rows.
   */
  forward(x: number, rows: number, training: boolean): number {
    const where = `${this.constructor.name}.forward`;
    this.#usable(where);
    checkCount(where, 'rows', rows, 1);
    if (rows > this.#capacity) {
      throw new ShapeError(`${where}: rows is ${rows}, but the layer's buffers hold ${this.#capacity} (allocate(maxRows) first; a Network does it)`);
    }
    const block = checkPointer(where, 'x', x, rows * this.#inputSize * 4);
    checkBoolean(where, 'training', training);
    const y = this.run(x, rows, training);
    this.#inputBlock = block;
    this.#inputAt = x;
    return y;
  }

  /**
   * Given dL/dy for the last forward (rows × outputSize floats at dy), writes the
   * parameter gradients (overwriting them) and, if asked, returns dL/dx (else 0).
   */
  backward(dy: number, rows: number, needInputGrad: boolean): number {
    const where = `${this.constructor.name}.backward`;
    this.#usable(where);
    if (this.#rows === 0) throw new ArgumentError(`${where}: call forward first`);
    if (rows !== this.#rows) throw new ShapeError(`${where}: rows must be ${this.#rows} like the last forward, got ${show(rows)}`);
    checkPointer(where, 'dy', dy, rows * this.#outputSize * 4);
    checkBoolean(where, 'needInputGrad', needInputGrad);
    if (this.#inputBlock !== 0 && runtime(where).allocator.blockAt(this.#inputAt, rows * this.#inputSize * 4) !== this.#inputBlock) {
      throw new ArgumentError(`${where}: the input x of the last forward was freed since; backward reads it`);
    }
    return this.runBackward(dy, rows, needInputGrad);
  }

  /** @internal forward without the checks (a Network's or a Sequential's pass over its own buffers). */
  run(x: number, rows: number, training: boolean): number {
    this.#rows = rows;
    this.#inputBlock = 0;
    return this.onForward(x, rows, training);
  }

  /** @internal backward without the checks. */
  runBackward(dy: number, rows: number, needInputGrad: boolean): number {
    return this.onBackward(dy, rows, needInputGrad);
  }

  /** A JSON description (type and options) from which the layer can be rebuilt. */
  abstract config(): Record<string, unknown>;

  protected abstract onBuild(inputSize: number, ctx: LayerContext, prefix: string): number;
  protected abstract onAllocate(maxRows: number): void;
  /** The forward pass over `rows` rows at x; returns the output pointer. */
  protected abstract onForward(x: number, rows: number, training: boolean): number;
  /** The backward pass for the last forward. */
  protected abstract onBackward(dy: number, rows: number, needInputGrad: boolean): number;

  dispose(): void {
    this.scratch.free();
    this.#capacity = 0;
    this.#rows = 0;
    this.#disposed = true;
  }

  #usable(where: string): void {
    if (this.#disposed) throw new DisposedError(`a ${this.constructor.name} layer`);
    if (!this.isBuilt) throw new ArgumentError(`${where}: the layer is not built yet (give it to a Network)`);
  }
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

export interface DenseOptions {
  activation?: Activation;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform' (as Keras). */
  kernelInitializer?: InitializerName;
  /** Default 'zeros'. */
  biasInitializer?: InitializerName;
  /** Slope for leakyRelu (default 0.01, as PyTorch) or scale for elu (default 1). */
  alpha?: number;
}

/** y = activation(x·W + b), W of shape [inputs, units]; named `<prefix>.weight` and `<prefix>.bias`. */
export class Dense extends Layer {
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  readonly alpha: number;
  #params!: Parameters;
  #w!: ParameterHandle;
  #b: ParameterHandle | null = null;
  #fused = false;
  #x = 0;
  #z = 0;
  #y = 0;
  #dz = 0;
  #dx = 0;

  constructor(units: number, options?: DenseOptions) {
    super();
    const opts = checkOptionsObject('Dense', options);
    checkKeys('Dense', opts, ['activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'alpha']);
    this.units = checkDim('Dense', 'units', units);
    this.activation = opts.activation === undefined ? 'identity' : ACTIVATIONS[checkActivation('Dense', opts.activation)];
    this.useBias = opts.useBias === undefined ? true : checkBoolean('Dense', 'useBias', opts.useBias);
    this.kernelInitializer = opts.kernelInitializer === undefined ? 'glorotUniform' : checkInitializer('Dense kernelInitializer', opts.kernelInitializer);
    this.biasInitializer = opts.biasInitializer === undefined ? 'zeros' : checkInitializer('Dense biasInitializer', opts.biasInitializer);
    this.alpha = opts.alpha === undefined ? (this.activation === 'leakyRelu' ? 0.01 : 1) : checkF32('Dense', 'alpha', opts.alpha);
  }

  protected onBuild(inputSize: number, ctx: LayerContext, prefix: string): number {
    this.#params = ctx.params;
    this.#w = ctx.params.declare(join(prefix, 'weight'), inputSize, this.units, this.kernelInitializer);
    if (this.useBias) this.#b = ctx.params.declare(join(prefix, 'bias'), 1, this.units, this.biasInitializer, inputSize, this.units);
    // Identity and ReLU run inside the GEMM epilogue; the others need z kept for their gradient.
    this.#fused = this.activation === 'identity' || this.activation === 'relu';
    return this.units;
  }

  protected onAllocate(maxRows: number): void {
    this.#y = this.scratch.alloc(maxRows * this.units);
    this.#z = this.#fused ? this.#y : this.scratch.alloc(maxRows * this.units);
    this.#dz = this.activation === 'identity' ? 0 : this.scratch.alloc(maxRows * this.units);
    this.#dx = this.scratch.alloc(maxRows * this.inputSize);
  }

  protected onForward(x: number, rows: number, _training: boolean): number {
    const k = runtime('Dense.forward').kernels;
    const p = this.#params;
    this.#x = x;
    const act = Act[this.activation];
    k.gemm(0, 0, rows, this.units, this.inputSize, 1, x, this.inputSize, p.ptr(this.#w), this.units,
      0, this.#z, this.units, this.#b ? p.ptr(this.#b) : 0, this.#fused ? act : Act.identity);
    if (!this.#fused) k.actForward(act, rows * this.units, this.#z, this.#y, this.alpha);
    return this.#y;
  }

  protected onBackward(dy: number, rows: number, needInputGrad: boolean): number {
    const k = runtime('Dense.backward').kernels;
    const p = this.#params;
    const n = this.units, m = this.inputSize;
    let dz = dy;
    if (this.activation !== 'identity') {
      // With ReLU fused, y > 0 exactly where z > 0, so y stands in for z.
      k.actBackward(Act[this.activation], rows * n, this.#z, this.#y, dy, this.#dz, this.alpha);
      dz = this.#dz;
    }
    k.gemm(1, 0, m, n, rows, 1, this.#x, m, dz, n, 0, p.gradPtr(this.#w), n, 0, Act.identity);
    if (this.#b) k.colSums(rows, n, dz, p.gradPtr(this.#b));
    if (!needInputGrad) return 0;
    k.gemm(0, 1, rows, m, n, 1, dz, n, p.ptr(this.#w), n, 0, this.#dx, m, 0, Act.identity);
    return this.#dx;
  }

  config(): Record<string, unknown> {
    return {
      type: 'dense', units: this.units, activation: this.activation, useBias: this.useBias,
      kernelInitializer: this.kernelInitializer, biasInitializer: this.biasInitializer, alpha: this.alpha,
    };
  }
}

/** An element-wise activation as its own layer. */
export class ActivationLayer extends Layer {
  readonly activation: ActivationName;
  readonly alpha: number;
  #x = 0;
  #y = 0;
  #dx = 0;

  constructor(activation: Activation, options?: { alpha?: number }) {
    super();
    const opts = checkOptionsObject('Activation', options);
    checkKeys('Activation', opts, ['alpha']);
    this.activation = ACTIVATIONS[checkActivation('Activation', activation)];
    this.alpha = opts.alpha === undefined ? (this.activation === 'leakyRelu' ? 0.01 : 1) : checkF32('Activation', 'alpha', opts.alpha);
  }

  protected onBuild(inputSize: number): number { return inputSize; }

  protected onAllocate(maxRows: number): void {
    this.#y = this.scratch.alloc(maxRows * this.inputSize);
    this.#dx = this.scratch.alloc(maxRows * this.inputSize);
  }

  protected onForward(x: number, rows: number): number {
    this.#x = x;
    runtime('Activation.forward').kernels.actForward(Act[this.activation], rows * this.inputSize, x, this.#y, this.alpha);
    return this.#y;
  }

  protected onBackward(dy: number, rows: number, needInputGrad: boolean): number {
    if (!needInputGrad) return 0;
    runtime('Activation.backward').kernels.actBackward(Act[this.activation], rows * this.inputSize, this.#x, this.#y, dy, this.#dx, this.alpha);
    return this.#dx;
  }

  config(): Record<string, unknown> {
    return { type: 'activation', activation: this.activation, alpha: this.alpha };
  }
}

/** Inverted dropout: in training, zeroes each value with probability `rate` and scales the rest by 1/(1−rate). */
export class Dropout extends Layer {
  readonly rate: number;
  #rng!: Rng;
  #mask = 0;
  #y = 0;
  #dx = 0;
  #masked = false;

  constructor(rate: number) {
    super();
    checkFiniteNumber('Dropout', 'rate', rate);
    if (rate < 0 || rate >= 1) throw new ArgumentError(`Dropout: rate must be in [0, 1), got ${rate}`);
    this.rate = rate;
  }

  protected onBuild(inputSize: number, ctx: LayerContext): number {
    this.#rng = ctx.rng;
    return inputSize;
  }

  protected onAllocate(maxRows: number): void {
    this.#mask = this.scratch.alloc(maxRows * this.inputSize);
    this.#y = this.scratch.alloc(maxRows * this.inputSize);
    this.#dx = this.scratch.alloc(maxRows * this.inputSize);
  }

  protected onForward(x: number, rows: number, training: boolean): number {
    this.#masked = training && this.rate > 0;
    if (!this.#masked) return x;
    const n = rows * this.inputSize;
    runtime('Dropout.forward').kernels.rngDropoutMask(this.#rng.state, n, this.#mask, 1 - this.rate);
    runtime('Dropout.forward').kernels.mul(n, x, this.#mask, this.#y);
    return this.#y;
  }

  protected onBackward(dy: number, rows: number, needInputGrad: boolean): number {
    if (!needInputGrad) return 0;
    if (!this.#masked) return dy;
    runtime('Dropout.backward').kernels.mul(rows * this.inputSize, dy, this.#mask, this.#dx);
    return this.#dx;
  }

  config(): Record<string, unknown> {
    return { type: 'dropout', rate: this.rate };
  }
}

/** Normalizes each row over its features, then scales and shifts (`<prefix>.weight`, `<prefix>.bias`). */
export class LayerNorm extends Layer {
  readonly epsilon: number;
  #params!: Parameters;
  #gamma!: ParameterHandle;
  #beta!: ParameterHandle;
  #x = 0;
  #y = 0;
  #mean = 0;
  #rstd = 0;
  #dx = 0;

  constructor(options?: { epsilon?: number }) {
    super();
    const opts = checkOptionsObject('LayerNorm', options);
    checkKeys('LayerNorm', opts, ['epsilon']);
    this.epsilon = opts.epsilon === undefined ? 1e-5 : checkFiniteNumber('LayerNorm', 'epsilon', opts.epsilon);
    // The kernel takes ε as a float32: a positive ε below ~1.4e-45 would become 0 there.
    if (!(Math.fround(this.epsilon) > 0) || !Number.isFinite(Math.fround(this.epsilon))) {
      throw new ArgumentError(`LayerNorm: epsilon must be positive and within the float32 range (1.4e-45 to 3.4e38), got ${this.epsilon}`);
    }
  }

  protected onBuild(inputSize: number, ctx: LayerContext, prefix: string): number {
    this.#params = ctx.params;
    this.#gamma = ctx.params.declare(join(prefix, 'weight'), 1, inputSize, 'ones');
    this.#beta = ctx.params.declare(join(prefix, 'bias'), 1, inputSize, 'zeros');
    return inputSize;
  }

  protected onAllocate(maxRows: number): void {
    this.#y = this.scratch.alloc(maxRows * this.inputSize);
    this.#mean = this.scratch.alloc(maxRows);
    this.#rstd = this.scratch.alloc(maxRows);
    this.#dx = this.scratch.alloc(maxRows * this.inputSize);
  }

  protected onForward(x: number, rows: number): number {
    const p = this.#params;
    this.#x = x;
    runtime('LayerNorm.forward').kernels.layerNormForward(rows, this.inputSize, x, p.ptr(this.#gamma), p.ptr(this.#beta),
      this.epsilon, this.#y, this.#mean, this.#rstd);
    return this.#y;
  }

  protected onBackward(dy: number, rows: number, needInputGrad: boolean): number {
    const p = this.#params;
    runtime('LayerNorm.backward').kernels.layerNormBackward(rows, this.inputSize, this.#x, p.ptr(this.#gamma), this.#mean,
      this.#rstd, dy, this.#dx, p.gradPtr(this.#gamma), p.gradPtr(this.#beta));
    return needInputGrad ? this.#dx : 0;
  }

  config(): Record<string, unknown> {
    return { type: 'layerNorm', epsilon: this.epsilon };
  }
}

/** Layers applied in order; the i-th layer's parameters are named `<prefix>.<i>.…`. */
export class Sequential extends Layer {
  readonly layers: readonly Layer[];

  constructor(layers: readonly Layer[]) {
    super();
    if (!Array.isArray(layers) || layers.length === 0) {
      throw new ArgumentError(`Sequential: expected a non-empty array of layers, got ${show(layers)}`);
    }
    layers.forEach((l, i) => {
      if (!(l instanceof Layer)) throw new ArgumentError(`Sequential: item ${i} is ${show(l)}, not a layer`);
    });
    this.layers = [...layers];
  }

  protected onBuild(inputSize: number, ctx: LayerContext, prefix: string): number {
    let size = inputSize;
    this.layers.forEach((layer, i) => { size = layer.build(size, ctx, join(prefix, String(i))); });
    return size;
  }

  protected onAllocate(maxRows: number): void {
    for (const layer of this.layers) layer.allocate(maxRows);
  }

  protected onForward(x: number, rows: number, training: boolean): number {
    let h = x;
    for (const layer of this.layers) h = layer.run(h, rows, training);
    return h;
  }

  protected onBackward(dy: number, rows: number, needInputGrad: boolean): number {
    let g = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) g = this.layers[i]!.runBackward(g, rows, i > 0 || needInputGrad);
    return g;
  }

  config(): Record<string, unknown> {
    return { type: 'sequential', layers: this.layers.map((l) => l.config()) };
  }

  override dispose(): void {
    for (const layer of this.layers) layer.dispose();
    super.dispose();
  }
}
