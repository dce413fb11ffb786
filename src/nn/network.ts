// A network you can run and differentiate by hand: a layer (or a list of them)
// with its own parameter block, seeded initialization and dropout stream, and
// activation buffers sized to the largest batch seen so far.

import { Matrix } from '../tensor/matrix.js';
import { heapF32, runtime } from '../runtime/module.js';
import { ArgumentError, DisposedError, ShapeError } from '../runtime/errors.js';
import { checkBoolean, checkDim, checkKeys, checkOptionsObject, show } from '../runtime/validate.js';
import { checkCount, checkPointer } from './pointers.js';
import { disposeSymbol, Holding } from '../runtime/holdings.js';
import { Layer, Sequential } from './layers.js';
import { Parameters } from './params.js';
import { Rng, RngStream } from './rng.js';
import { checkSeed } from '../runtime/validate.js';

export interface NetworkOptions {
  /** Number of input features. */
  inputSize: number;
  /** Seeds initialization and dropout. Default 0. */
  seed?: number;
}

export class Network {
  readonly root: Layer;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly parameters: Parameters;
  readonly seed: number;
  #dropoutRng: Rng;
  #capacity = 0;
  #disposed = false;
  #lastRows = 0;
  /** The block of forwardPtr's x, and where x was in it, to tell at backwardPtr whether it is still there (0: Network.forward's own copy). */
  #inputBlock = 0;
  #inputAt = 0;
  #inputBuffer = 0;
  #inputRows = 0;
  /** The copy of the last forward's input (the parameters, layers and RNG hold their own memory). */
  readonly #memory: Holding = new Holding('Network');

  constructor(layers: Layer | readonly Layer[], options: NetworkOptions) {
    const opts = checkOptionsObject('Network', options);
    checkKeys('Network', opts, ['inputSize', 'seed']);
    this.inputSize = checkDim('Network', 'inputSize', opts.inputSize);
    this.seed = opts.seed === undefined ? 0 : checkSeed('Network', opts.seed);
    this.root = Array.isArray(layers) ? new Sequential(layers) : (layers as Layer);
    if (!(this.root instanceof Layer)) throw new ArgumentError(`Network: expected a layer or an array of layers, got ${show(layers)}`);
    this.parameters = new Parameters();
    this.#dropoutRng = new Rng(this.seed, RngStream.dropout);
    try {
      this.outputSize = this.root.build(this.inputSize, { params: this.parameters, rng: this.#dropoutRng }, '');
      const initRng = new Rng(this.seed, RngStream.init);
      try {
        this.parameters.allocate(initRng);
      } finally {
        initRng.dispose();
      }
    } catch (err) {
      // A layer already in another model, or no memory for the parameters: nothing of this network stays allocated.
      this.parameters.dispose();
      this.#dropoutRng.dispose();
      throw err;
    }
  }

  /** Makes the activation buffers hold at least `rows` rows (they only grow; a larger size needs a new forward before backward). */
  ensureCapacity(rows: number): void {
    this.#check();
    checkCount('Network.ensureCapacity', 'rows', rows, 1);
    this.#reserve(rows);
  }

  #reserve(rows: number): void {
    if (rows <= this.#capacity) return;
    this.#lastRows = 0;
    this.root.allocate(rows);
    this.#capacity = rows;
  }

  /**
   * Pointer-level forward for a hand-written training loop: x is the byte offset
   * of rows × inputSize floats in a block of WASM memory, which backwardPtr reads
   * again (keep it until then). Returns the output's byte offset (rows ×
   * outputSize floats), valid until the next forward.
   */
  forwardPtr(x: number, rows: number, training: boolean): number {
    const where = 'Network.forwardPtr';
    this.#check();
    checkCount(where, 'rows', rows, 1);
    const block = checkPointer(where, 'x', x, rows * this.inputSize * 4);
    checkBoolean(where, 'training', training);
    const y = this.#forward(x, rows, training);
    this.#inputBlock = block;
    this.#inputAt = x;
    return y;
  }

  #forward(x: number, rows: number, training: boolean): number {
    this.#reserve(rows);
    this.#lastRows = rows;
    this.#inputBlock = 0;
    return this.root.run(x, rows, training);
  }

  /**
   * Pointer-level backward for the last forward: dy is the byte offset of rows ×
   * outputSize floats (rows as in that forward). Fills the parameter gradients;
   * returns dL/dx's byte offset if asked, else 0.
   */
  backwardPtr(dy: number, rows: number, needInputGrad = false): number {
    const where = 'Network.backwardPtr';
    this.#check();
    if (this.#lastRows === 0) throw new ArgumentError(`${where}: call forward first`);
    if (rows !== this.#lastRows) throw new ShapeError(`${where}: rows must be ${this.#lastRows} like the last forward, got ${show(rows)}`);
    checkPointer(where, 'dy', dy, rows * this.outputSize * 4);
    checkBoolean(where, 'needInputGrad', needInputGrad);
    this.#checkInput(where, rows);
    return this.root.runBackward(dy, rows, needInputGrad);
  }

  /** The input of a forwardPtr still where it was: the layers' backward reads it. */
  #checkInput(where: string, rows: number): void {
    if (this.#inputBlock !== 0 && runtime(where).allocator.blockAt(this.#inputAt, rows * this.inputSize * 4) !== this.#inputBlock) {
      throw new ArgumentError(`${where}: the input x of the last forwardPtr was freed since; backward reads it`);
    }
  }

  /** Runs the network on x (rows × inputSize) and returns a copy of the output. */
  forward(x: Matrix, options?: { training?: boolean }): Matrix {
    const opts = checkOptionsObject('Network.forward', options);
    checkKeys('Network.forward', opts, ['training']);
    if (opts.training !== undefined) checkBoolean('Network.forward', 'training', opts.training);
    this.#check();
    if (!(x instanceof Matrix)) throw new ArgumentError(`Network.forward: x must be a Matrix, got ${show(x)}`);
    if (x.cols !== this.inputSize) {
      throw new ShapeError(`Network.forward: x must have ${this.inputSize} columns (the input size), got ${x.cols}`);
    }
    // Keep our own copy of the input: backward reads it, and the caller may dispose x.
    this.#ensureInput(x.rows);
    heapF32().copyWithin(this.#inputBuffer >>> 2, x.ptr >>> 2, (x.ptr >>> 2) + x.size);
    const y = this.#forward(this.#inputBuffer, x.rows, opts.training === true);
    return copyOut(y, x.rows, this.outputSize);
  }

  /** Backpropagates dL/dy for the last forward: fills the parameter gradients and returns dL/dx. */
  backward(dy: Matrix): Matrix {
    this.#check();
    if (!(dy instanceof Matrix)) throw new ArgumentError(`Network.backward: dy must be a Matrix, got ${show(dy)}`);
    if (this.#lastRows === 0) throw new ArgumentError('Network.backward: call forward first');
    if (dy.rows !== this.#lastRows || dy.cols !== this.outputSize) {
      throw new ShapeError(`Network.backward: dy must be ${this.#lastRows}×${this.outputSize} like the last output, got ${dy.rows}×${dy.cols}`);
    }
    this.#checkInput('Network.backward', dy.rows);
    const dx = this.root.runBackward(dy.ptr, dy.rows, true);
    return copyOut(dx, dy.rows, this.inputSize);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.root.dispose();
    this.parameters.dispose();
    this.#dropoutRng.dispose();
    this.#memory.release();
    this.#inputBuffer = 0;
    this.#disposed = true;
  }

  /** dispose(), for `using net = new Network(…)`. */
  [disposeSymbol](): void {
    this.dispose();
  }

  #ensureInput(rows: number): void {
    if (rows <= this.#inputRows) return;
    this.#memory.free(this.#inputBuffer);
    this.#inputBuffer = this.#memory.alloc(this, rows * this.inputSize * 4);
    this.#inputRows = rows;
  }

  #check(): void {
    if (this.#disposed) throw new DisposedError('a Network');
  }
}


function copyOut(ptr: number, rows: number, cols: number): Matrix {
  const m = Matrix.zeros(rows, cols);
  heapF32().copyWithin(m.ptr >>> 2, ptr >>> 2, (ptr >>> 2) + rows * cols);
  return m;
}
