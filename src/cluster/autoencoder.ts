// A dense autoencoder trained standalone to reconstruct its input, as in Keras:
// an encoder and a decoder Network of Dense layers, the mean squared error, Adam.
//
//   const ae = new AutoEncoder({ inputSize: 64, encoderUnits: [32, 8], activation: 'relu', seed: 1 });
//   const history = ae.fit(x, { epochs: 20, batchSize: 256, learningRate: 1e-3 });
//   ae.encode(x);          // rows × 8 codes ({ data, rows, cols }; a Matrix with { as: 'matrix' })
//   ae.reconstruct(x);     // rows × 64 (likewise)
//   ae.anomalyScores(x);   // per-row reconstruction error, mean over features of (x − x̂)²
//   ae.dispose();          // the networks and optimizer state live in WASM memory
//
// Architecture: encoderUnits [u₁, …, u_m] gives Dense(u₁) … Dense(u_m), the last
// being the code (activation `codeActivation`, default linear); the decoder is
// decoderUnits (default the encoder's hidden sizes reversed, u_{m−1} … u₁) then
// Dense(inputSize) with `outputActivation` (default linear; 'sigmoid' for data in
// [0, 1]). Hidden layers use `activation` (default 'relu').
//
// Training: mini-batches of shuffled rows (seeded), loss = mean over the batch
// rows of the mean over features of (x̂ − x)² (the 'mse' loss), gradients by the
// layers' backward passes, one Adam (or AdamW with weightDecay > 0) step per
// batch. The optimizer state persists across fit/trainOnBatch calls (as a
// compiled Keras model); changing weightDecay or globalClipNorm starts it afresh.
// A non-finite loss, gradient or update, or a loss that breaks the divergence rule
// (src/train/divergence.ts), stops training with TrainingDivergedError and puts
// back the last good weights: those of the step before (whose loss and update
// were good), or the weights from before the failing update; the optimizer state
// starts afresh. So does a gradient too large for Adam's float32 second moment
// (2⁶⁴ ≈ 1.8e19 or more once globalClipNorm has scaled it, as unscaled data around
// 1e12 give): g² would overflow it to +∞, and the weight's update would be 0 from
// then on, for good — training that cannot move, with a loss that stays where it
// is. The autoencoder takes the data as given (as Keras does): scale them first.

import type { Matrix } from '../tensor/matrix.js';
import { ArgumentError, DisposedError, TrainingDivergedError } from '../runtime/errors.js';
import { heapF32, runtime } from '../runtime/module.js';
import { checkDim, checkFinitePredictions, checkKeys, checkOptionsObject, show, booleanOption, integerOption, isF32Finite, numberOption, seedOption } from '../runtime/validate.js';
import { disposeSymbol } from '../runtime/holdings.js';
import { DivergenceGuard, divergenceFactor, type DivergenceOptions } from '../train/divergence.js';
import { GuardedSteps } from '../train/steps.js';
import { epochLoop, runSync } from '../train/loop.js';
import { Dense } from '../nn/layers.js';
import { checkActivation, type Activation } from '../runtime/activations.js';
import { Network } from '../nn/network.js';
import { RngStream } from '../nn/rng.js';
import { createLoss, runLoss, type Loss, type LossBuffers } from '../nn/loss.js';
import { applyUpdates, createOptimizer, type Optimizer } from '../nn/optim.js';
import { checkInitializer, type InitializerName } from '../nn/init.js';
import {
  RngState, Workspace, readF32, resultKind, shapeResult, stagePoints, type Points, type ResultOptions, type RowMajorArray, type Staged,
} from './common.js';

export interface AutoEncoderOptions {
  /** Features per row. */
  inputSize: number;
  /** Encoder layer sizes; the last is the code size. At least one. */
  encoderUnits: readonly number[];
  /** Decoder hidden sizes before the output layer. Default: the encoder's hidden sizes reversed. */
  decoderUnits?: readonly number[];
  /** Hidden layers' activation. Default 'relu'. */
  activation?: Activation;
  /** The code layer's activation. Default 'identity'. */
  codeActivation?: Activation;
  /** The output layer's activation. Default 'identity'. */
  outputActivation?: Activation;
  /** Default 'glorotUniform' (as Keras). */
  kernelInitializer?: InitializerName;
  /** Seeds the weights (encoder and decoder) and the shuffling. Default 0. */
  seed?: number;
}

export interface AutoEncoderEpochLogs {
  /** Mean training loss over the epoch's rows. */
  loss: number;
  /** The loss on validationData, when given. */
  valLoss?: number;
}

export interface AutoEncoderFitOptions {
  /** Passes over the data, ≥ 1. Default 1 (as Keras). */
  epochs?: number;
  /** Rows per step, ≥ 1. Default 32 (as Keras). */
  batchSize?: number;
  /** Adam's step size, > 0. Default 1e-3. */
  learningRate?: number;
  /** Reshuffle the rows every epoch. Default true. */
  shuffle?: boolean;
  /** Decoupled weight decay (AdamW) when > 0. Default 0 (Adam). */
  weightDecay?: number;
  /** Clip the global gradient norm of each network to this, > 0. Default: no clipping. */
  globalClipNorm?: number;
  /**
   * Rows to report the loss on after every epoch (valLoss). A row whose error is not
   * finite stops the fit there with NonFinitePredictionError (the epochs trained are kept).
   */
  validationData?: Points;
  /**
   * The divergence rule, as MultiTaskModel.fit's (src/train/divergence.ts): training
   * stops when a batch's loss exceeds `factor` (default 1e4) times the larger of 1
   * and the loss of the run's first step; false turns it off.
   */
  divergence?: DivergenceOptions | boolean;
  /** Called after every epoch (0-based); return false to stop. */
  onEpochEnd?: (epoch: number, logs: AutoEncoderEpochLogs) => void | boolean;
}

export interface AutoEncoderHistory {
  /** Per epoch: the mean training loss. */
  loss: number[];
  /** Per epoch, with validationData: the validation loss. */
  valLoss: number[];
}

const KEYS = ['inputSize', 'encoderUnits', 'decoderUnits', 'activation', 'codeActivation', 'outputActivation', 'kernelInitializer', 'seed'] as const;
const FIT_KEYS = ['epochs', 'batchSize', 'learningRate', 'shuffle', 'weightDecay', 'globalClipNorm', 'validationData', 'onEpochEnd', 'divergence'] as const;
const TRAIN_KEYS = ['learningRate', 'weightDecay', 'globalClipNorm', 'divergence'] as const;
/** Rows per forward pass at inference, bounding the activation buffers. */
const CHUNK = 4096;
/** Why a reconstruction error is not finite (NonFinitePredictionError's explanation), as KMeans says of a point too far away. */
const SCORE_OVERFLOW =
  'the reconstruction error of the row overflows float32 (a value of the row far outside the data the model was trained on, ' +
  'or a weight of the model, is beyond what float32 carries through the network and the squared error); rescale the data';
/** The gradient (after clipping) from which Adam's float32 second moment overflows: g·g is +∞ in float32 for |g| ≥ 2⁶⁴. */
const ADAM_GRADIENT_LIMIT = 2 ** 64;

interface StepConfig {
  learningRate: number;
  weightDecay: number;
  globalClipNorm: number | undefined;
  divergenceFactor: number;
}

export class AutoEncoder {
  // What built the networks, so it cannot change: getters only (inputSize 6 would read rows of 6 into 4 inputs).
  readonly #inputSize: number;
  readonly #codeSize: number;
  readonly #seed: number;
  /** The encoder network (inputSize → codeSize); its parameters are named '0.weight', '0.bias', …. */
  readonly encoder: Network;
  /** The decoder network (codeSize → inputSize). */
  readonly decoder: Network;
  readonly #loss: Loss;
  readonly #shuffle: RngState;
  #optimizers: [Optimizer, Optimizer] | null = null;
  #optimizerKey = '';
  #disposed = false;
  // Reused by every step, so a step allocates nothing in JS.
  readonly #lossArgs: LossBuffers = { rows: 0, cols: 0, logits: 0, targets: 0, grad: 0 };

  constructor(options: AutoEncoderOptions) {
    const where = 'AutoEncoder';
    const opts = checkOptionsObject(where, options);
    checkKeys(where, opts, KEYS);
    this.#inputSize = checkDim(where, 'inputSize', opts.inputSize);
    const encoderUnits = unitList(where, 'encoderUnits', opts.encoderUnits, false);
    const decoderUnits = opts.decoderUnits === undefined
      ? encoderUnits.slice(0, -1).reverse()
      : unitList(where, 'decoderUnits', opts.decoderUnits, true);
    this.#codeSize = encoderUnits[encoderUnits.length - 1]!;
    const activation = checkActivationOption(where, 'activation', opts.activation ?? 'relu');
    const codeActivation = checkActivationOption(where, 'codeActivation', opts.codeActivation ?? 'identity');
    const outputActivation = checkActivationOption(where, 'outputActivation', opts.outputActivation ?? 'identity');
    const kernelInitializer = opts.kernelInitializer === undefined
      ? 'glorotUniform'
      : checkInitializer(`${where} kernelInitializer`, opts.kernelInitializer);
    this.#seed = seedOption(where, opts);
    const dense = (units: number, act: Activation) => new Dense(units, { activation: act, kernelInitializer });
    const encLayers = encoderUnits.map((u, i) => dense(u, i === encoderUnits.length - 1 ? codeActivation : activation));
    const decLayers = [...decoderUnits.map((u) => dense(u, activation)), dense(this.inputSize, outputActivation)];
    this.encoder = new Network(encLayers, { inputSize: this.inputSize, seed: this.seed });
    try {
      // A seed of its own for the decoder's weights, derived from the model's.
      this.decoder = new Network(decLayers, { inputSize: this.codeSize, seed: (this.seed ^ 0x5bd1e995) >>> 0 });
    } catch (err) {
      this.encoder.dispose();
      throw err;
    }
    this.#loss = createLoss({ type: 'mse' });
    this.#shuffle = new RngState(this.seed, RngStream.shuffle);
  }

  /** Trains on `points` (rows × inputSize); returns the per-epoch losses. */
  fit(points: Points, options?: AutoEncoderFitOptions): AutoEncoderHistory {
    const where = 'AutoEncoder.fit';
    this.#check(where);
    const opts = checkOptionsObject(where, options);
    checkKeys(where, opts, FIT_KEYS);
    const epochs = integerOption(where, opts, 'epochs', 1, 1);
    const batchSize = integerOption(where, opts, 'batchSize', 32, 1);
    const shuffle = booleanOption(where, opts, 'shuffle', true);
    const step = stepConfig(where, opts);
    const onEpochEnd = opts.onEpochEnd;
    if (onEpochEnd !== undefined && typeof onEpochEnd !== 'function') {
      throw new ArgumentError(`${where}: onEpochEnd must be a function, got ${show(onEpochEnd)}`);
    }
    const ws = new Workspace(where);
    try {
      const x = stagePoints(ws, where, points, this.inputSize);
      const val = opts.validationData === undefined
        ? null
        : stagePoints(ws, `${where} validationData`, opts.validationData, this.inputSize);
      const n = x.rows, d = this.inputSize;
      const batch = Math.min(batchSize, n);
      const kern = runtime(where).kernels;
      this.#ensureOptimizers(step);
      this.#steps.begin(new DivergenceGuard(['reconstruction'], step.divergenceFactor));
      this.encoder.ensureCapacity(batch);
      this.decoder.ensureCapacity(batch);
      const order = ws.floats(n), xb = ws.floats(batch * d), grad = ws.floats(batch * d);
      const valScores = val === null ? 0 : ws.floats(val.rows);
      const rng = this.#shuffle.enter(ws);
      const history: AutoEncoderHistory = { loss: [], valLoss: [] };
      let total = 0;
      try {
        runSync(epochLoop({ epochs, rows: n, batchSize, order, shuffle: shuffle ? (o, rows) => kern.rngShuffle(rng, rows, o) : null }, {
          beginEpoch: () => { total = 0; },
          batch: (indices, rows) => {
            kern.gatherRows(rows, d, x.ptr, indices, xb);
            total += this.#trainStep(xb, rows, grad, step) * rows;
          },
          endEpoch: (epoch) => {
            const logs: AutoEncoderEpochLogs = { loss: total / n };
            history.loss.push(logs.loss);
            if (val !== null) {
              logs.valLoss = this.#meanError(`${where} validationData`, val, valScores);
              history.valLoss.push(logs.valLoss);
            }
            const go = onEpochEnd?.(epoch, logs) !== false;
            // dispose() from the callback: the next batch would meet the encoder's own check, which names a Network.
            if (go && this.#disposed) throw new DisposedError(`${where}: the AutoEncoder, disposed in onEpochEnd,`);
            return go;
          },
        }));
      } finally {
        this.#shuffle.leave(rng);
      }
      return history;
    } finally {
      ws.free();
    }
  }

  /** One optimizer step on `points` as one batch; returns its loss before the step. */
  trainOnBatch(points: Points, options?: { learningRate?: number; weightDecay?: number; globalClipNorm?: number; divergence?: DivergenceOptions | boolean }): number {
    const where = 'AutoEncoder.trainOnBatch';
    this.#check(where);
    const opts = checkOptionsObject(where, options);
    checkKeys(where, opts, TRAIN_KEYS);
    const step = stepConfig(where, opts);
    const ws = new Workspace(where);
    try {
      const x = stagePoints(ws, where, points, this.inputSize);
      this.#ensureOptimizers(step);
      // Successive trainOnBatch calls are one run (its first batch is the reference) until a fit or another factor.
      const guard = this.#steps.divergence;
      this.#steps.begin(guard?.factor === step.divergenceFactor ? guard : new DivergenceGuard(['reconstruction'], step.divergenceFactor));
      const grad = ws.floats(x.rows * this.inputSize);
      return this.#trainStep(x.ptr, x.rows, grad, step);
    } finally {
      ws.free();
    }
  }

  /**
   * Forward and backward on `points` as one batch without updating the weights:
   * returns the loss and leaves its gradients in encoder.parameters and
   * decoder.parameters (`.gradient(name)`), e.g. for a gradient check.
   */
  computeGradients(points: Points): number {
    const where = 'AutoEncoder.computeGradients';
    this.#check(where);
    const ws = new Workspace(where);
    try {
      const x = stagePoints(ws, where, points, this.inputSize);
      const grad = ws.floats(x.rows * this.inputSize);
      return this.#forwardBackward(x.ptr, x.rows, grad);
    } finally {
      ws.free();
    }
  }

  /** The codes of `points`: rows × codeSize, as { data: Float32Array, rows, cols }, or a Matrix to dispose with { as: 'matrix' }. */
  encode(points: Points, options?: { as?: 'array' }): RowMajorArray;
  encode(points: Points, options: { as: 'matrix' }): Matrix;
  encode(points: Points, options?: ResultOptions): RowMajorArray | Matrix {
    return this.#infer('AutoEncoder.encode', points, options, this.codeSize, (ptr, rows) => this.encoder.forwardPtr(ptr, rows, false));
  }

  /** The reconstructions of `points`: rows × inputSize, as { data: Float32Array, rows, cols }, or a Matrix with { as: 'matrix' }. */
  reconstruct(points: Points, options?: { as?: 'array' }): RowMajorArray;
  reconstruct(points: Points, options: { as: 'matrix' }): Matrix;
  reconstruct(points: Points, options?: ResultOptions): RowMajorArray | Matrix {
    return this.#infer('AutoEncoder.reconstruct', points, options, this.inputSize, (ptr, rows) =>
      this.decoder.forwardPtr(this.encoder.forwardPtr(ptr, rows, false), rows, false));
  }

  /** Per row, the reconstruction error: mean over features of (x − x̂)². Larger is more anomalous. */
  anomalyScores(points: Points): Float32Array {
    const where = 'AutoEncoder.anomalyScores';
    this.#check(where);
    const ws = new Workspace(where);
    try {
      const x = stagePoints(ws, where, points, this.inputSize);
      const out = ws.floats(x.rows);
      this.#scores(where, x, out);
      return readF32(out, x.rows);
    } finally {
      ws.free();
    }
  }

  /** The mean reconstruction error over all rows and features (the training loss, without a step). */
  evaluate(points: Points): number {
    const where = 'AutoEncoder.evaluate';
    this.#check(where);
    const ws = new Workspace(where);
    try {
      const x = stagePoints(ws, where, points, this.inputSize);
      return this.#meanError(where, x, ws.floats(x.rows));
    } finally {
      ws.free();
    }
  }

  /** Features per row. */
  get inputSize(): number {
    return this.#inputSize;
  }

  /** The code's size (the last of encoderUnits). */
  get codeSize(): number {
    return this.#codeSize;
  }

  /** The seed of the weights and the shuffling. */
  get seed(): number {
    return this.#seed;
  }

  /** Optimizer steps taken so far. */
  get steps(): number {
    return this.#steps.step;
  }

  /**
   * Frees the networks and the optimizer state now. Twice is harmless; any other
   * use afterwards throws. An autoencoder never disposed gives its memory back
   * once it is garbage collected.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.encoder.dispose();
    this.decoder.dispose();
    if (this.#optimizers !== null) for (const o of this.#optimizers) o.dispose();
    this.#optimizers = null;
    this.#disposed = true;
  }

  /** dispose(), for `using ae = new AutoEncoder(…)`. */
  [disposeSymbol](): void {
    this.dispose();
  }

  #check(where: string): void {
    if (this.#disposed) throw new DisposedError(`${where}: an AutoEncoder`);
  }

  #ensureOptimizers(step: StepConfig): void {
    const key = `${step.weightDecay}|${step.globalClipNorm ?? ''}`;
    if (this.#optimizers !== null && key === this.#optimizerKey) return;
    if (this.#optimizers !== null) for (const o of this.#optimizers) o.dispose();
    const make = (net: Network): Optimizer => createOptimizer({
      type: step.weightDecay > 0 ? 'adamw' : 'adam',
      learningRate: step.learningRate,
      weightDecay: step.weightDecay,
      ...(step.globalClipNorm === undefined ? {} : { globalClipNorm: step.globalClipNorm }),
    }).attach(net.parameters);
    this.#optimizers = [make(this.encoder), make(this.decoder)];
    this.#optimizerKey = key;
  }

  /** Forward, loss and backward on rows at x (the targets are x itself); returns the loss. */
  #forwardBackward(x: number, rows: number, grad: number): number {
    const h = this.encoder.forwardPtr(x, rows, true);
    const y = this.decoder.forwardPtr(h, rows, true);
    const a = this.#lossArgs;
    a.rows = rows; a.cols = this.inputSize; a.logits = y; a.targets = x; a.grad = grad;
    const loss = runLoss(this.#loss, a);
    if (!Number.isFinite(loss)) throw new TrainingDivergedError('reconstruction', this.#steps.step, 'the loss');
    const dh = this.decoder.backwardPtr(grad, rows, true);
    this.encoder.backwardPtr(dh, rows, false);
    // A finite loss can still overflow float32 in the backward pass (a value near 1e20); such a
    // gradient must reach neither the weights, nor Adam's state, nor computeGradients' caller.
    const k = runtime('AutoEncoder').kernels;
    [this.encoder, this.decoder].forEach((net, i) => {
      const p = net.parameters;
      const sq = k.sumSquaresF64(p.size, p.grads);
      if (!Number.isFinite(sq)) throw new TrainingDivergedError('reconstruction', this.#steps.step, 'the gradient');
      this.#gradSquares[i] = sq;
    });
    return loss;
  }

  /**
   * Refuses a gradient that Adam's float32 second moment cannot hold (see the top
   * of this file): its largest value, scaled as globalClipNorm will scale it, at
   * 2⁶⁴ or more. Only a gradient whose squares sum to 2¹²⁸ or more (#gradSquares)
   * can have one, so the scan runs only then.
   */
  #checkAdamRange(step: StepConfig): void {
    [this.encoder, this.decoder].forEach((net, i) => {
      const sq = this.#gradSquares[i]!;
      if (sq < ADAM_GRADIENT_LIMIT * ADAM_GRADIENT_LIMIT) return;
      const p = net.parameters;
      const norm = Math.sqrt(sq);
      const clip = step.globalClipNorm !== undefined && norm > step.globalClipNorm ? step.globalClipNorm / norm : 1;
      const g = new Float32Array(heapF32().buffer, p.grads, p.size);
      let largest = 0;
      for (let t = 0; t < g.length; t++) largest = Math.max(largest, Math.abs(g[t]!));
      if (Math.fround(largest * clip) < ADAM_GRADIENT_LIMIT) return;
      throw new TrainingDivergedError('reconstruction', this.#steps.step, 'the gradient', undefined, undefined,
        `reaches ${largest.toExponential(2)} in the ${i === 0 ? 'encoder' : 'decoder'}, beyond what Adam's second moment ` +
          'holds in float32 (its square overflows from ' +
          `${ADAM_GRADIENT_LIMIT.toExponential(2)}): the weight would stop moving for good, its update 0 from then on. ` +
          'The autoencoder takes the data as given: scale them first (standardize the columns)');
    });
  }

  #trainStep(x: number, rows: number, grad: number, step: StepConfig): number {
    return this.#steps.run({
      gradients: () => {
        const loss = this.#forwardBackward(x, rows, grad);
        this.#lossOfStep[0] = loss;
        this.#steps.divergence?.check(this.#lossOfStep, null, this.#steps.step);
        // After the divergence rule: an exploded loss, whose gradient is as large, is named as such.
        this.#checkAdamRange(step);
        return loss;
      },
      update: () => applyUpdates(this.#optimizers!, step.learningRate),
      overflowed: () => 'reconstruction',
    });
  }

  /** The step protocol (src/train/steps.ts): the step count, the divergence rule, the last good weights. */
  readonly #steps = new GuardedSteps('the autoencoder', () => [this.encoder.parameters, this.decoder.parameters], () => {
    if (this.#optimizers !== null) for (const o of this.#optimizers) o.dispose();
    this.#optimizers = null;
  });
  readonly #lossOfStep = new Float64Array(1);
  /** Σg² of the encoder's and the decoder's gradient, from the last #forwardBackward. */
  readonly #gradSquares = new Float64Array(2);

  /**
   * Per-row reconstruction errors of x into out (rows f32), chunk by chunk; an
   * error that is not finite is a NonFinitePredictionError naming its row.
   */
  #scores(where: string, x: Staged, out: number): void {
    const kern = runtime('AutoEncoder').kernels;
    const d = this.inputSize;
    for (let start = 0; start < x.rows; start += CHUNK) {
      const rows = Math.min(CHUNK, x.rows - start);
      const xp = x.ptr + start * d * 4;
      const y = this.decoder.forwardPtr(this.encoder.forwardPtr(xp, rows, false), rows, false);
      kern.rowMeanSquaredError(rows, d, xp, y, out + start * 4);
    }
    checkFinitePredictions(where, 'reconstruction', new Float32Array(heapF32().buffer, out, x.rows), 1, SCORE_OVERFLOW);
  }

  #meanError(where: string, x: Staged, scores: number): number {
    this.#scores(where, x, scores);
    const s = new Float32Array(heapF32().buffer, scores, x.rows);
    let total = 0;
    for (let i = 0; i < s.length; i++) total += s[i]!;
    return total / x.rows;
  }

  #infer(where: string, points: Points, options: unknown, cols: number, run: (ptr: number, rows: number) => number): RowMajorArray | Matrix {
    this.#check(where);
    const as = resultKind(where, options);
    const ws = new Workspace(where);
    try {
      const x = stagePoints(ws, where, points, this.inputSize);
      const out = new Float32Array(x.rows * cols);
      for (let start = 0; start < x.rows; start += CHUNK) {
        const rows = Math.min(CHUNK, x.rows - start);
        const y = run(x.ptr + start * this.inputSize * 4, rows);
        out.set(heapF32().subarray(y >>> 2, (y >>> 2) + rows * cols), start * cols);
      }
      return shapeResult(as, out, x.rows, cols);
    } finally {
      ws.free();
    }
  }
}

function unitList(where: string, name: string, value: unknown, allowEmpty: boolean): number[] {
  if (!Array.isArray(value) || (!allowEmpty && value.length === 0)) {
    throw new ArgumentError(`${where}: ${name} must be ${allowEmpty ? 'an' : 'a non-empty'} array of layer sizes, got ${show(value)}`);
  }
  return value.map((u: unknown, i: number) => {
    if (typeof u !== 'number' || !Number.isSafeInteger(u) || u < 1) {
      throw new ArgumentError(`${where}: ${name}[${i}] must be a positive integer, got ${show(u)}`);
    }
    return u;
  });
}

/** An activation option; the error names the option. */
function checkActivationOption(where: string, name: string, value: unknown): Activation {
  return checkActivation(`${where}: ${name}`, value);
}

function stepConfig(where: string, opts: Record<string, unknown>): StepConfig {
  // The update runs in float32: a rate or norm beyond 3.4e38 would become +Infinity there.
  const learningRate = numberOption(where, opts, 'learningRate', 1e-3, (v) => v > 0 && isF32Finite(v), 'a finite number > 0 within the float32 range');
  const weightDecay = numberOption(where, opts, 'weightDecay', 0, (v) => v >= 0 && isF32Finite(v), 'a finite number ≥ 0 within the float32 range');
  const globalClipNorm = opts.globalClipNorm === undefined
    ? undefined
    : numberOption(where, opts, 'globalClipNorm', 1, (v) => v > 0 && isF32Finite(v), 'a finite number > 0 within the float32 range');
  return { learningRate, weightDecay, globalClipNorm, divergenceFactor: divergenceFactor(where, opts.divergence) };
}
