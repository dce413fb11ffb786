// Losses: plain specs, input validation, and the bridge to the kernels of
// assembly/loss.ts (which compute the reduced loss and its gradient w.r.t. the
// logits in one call; see that file for the numerics).
//
// Two levels:
//  - `createLoss(spec)` returns a Loss whose `compute` takes pointers and
//    dimensions, for the trainer: it checks the pointers (each in one live block,
//    at O(log blocks)) but nothing of the data (the trainer checks its
//    labels once, e.g. with `validateLossInputs`, and its losses itself) and
//    allocates nothing in JS.
//  - `lossAndGradient(spec, logits, targets, options)` takes a Matrix and plain
//    arrays, validates everything before any kernel runs and returns the loss
//    and a new gradient Matrix, once one scan of the gradient has found it finite
//    and the loss within float32 (finite inputs can overflow there).

import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { heapF32, runtime } from '../runtime/module.js';
import { GAUSSIAN_MIN_VARIANCE } from '../runtime/abi.js';
import { Holding } from '../runtime/holdings.js';
import { checkDim, checkF32, checkKeys, checkOptionsObject, F32_MAX, isF32Finite, show } from '../runtime/validate.js';
import { Matrix } from '../tensor/matrix.js';
import { checkPointer } from './pointers.js';

/** A loss, as plain data. Omitted parameters take the defaults listed on each field. */
export type LossSpec =
  /** Binary / multilabel cross-entropy on logits; dense targets in [0, 1]. */
  | { type: 'bce' }
  /** Softmax cross-entropy; one class index per row. */
  | {
    type: 'softmaxCrossEntropy';
    /** p = softmax(z / temperature); > 0, default 1. */
    temperature?: number;
    /** Targets (1 − ε)·onehot + ε/classes; ε in [0, 1], default 0. */
    labelSmoothing?: number;
  }
  /**
   * Cross-entropy against soft targets (a teacher's probabilities, for distillation);
   * dense targets in [0, 1]. 'softmax' outputs: p = softmax(z / temperature),
   * −Σ y·log p per row; 'sigmoid' outputs: the mean over outputs of the binary
   * cross-entropy of σ(z / temperature). No class weights.
   */
  | {
    type: 'softCrossEntropy';
    /** > 0, default 1. */
    temperature?: number;
    /** How the outputs become probabilities: 'softmax' (default; multiclass) or 'sigmoid' (binary, multilabel). */
    output?: 'softmax' | 'sigmoid';
  }
  /** Binary / multilabel focal loss on logits (sigmoid); dense targets in [0, 1]. */
  | {
    type: 'focal';
    /** Focusing exponent ≥ 0, default 2 (0 with alpha ½ is half the BCE). */
    gamma?: number;
    /** Weight of the positive term in [0, 1] (1 − alpha for the negative one), default 0.25 as in Lin et al. */
    alpha?: number;
  }
  /** Multiclass focal loss on softmax; one class index per row; class weights act as the per-class alpha. */
  | { type: 'multiclassFocal'; /** ≥ 0, default 2. */ gamma?: number }
  /** Soft dice over each row's labels (multilabel, sigmoid); dense targets in [0, 1]. */
  | { type: 'softDice'; /** Smoothing > 0, default 1. */ smooth?: number }
  /** Mean squared error over each row's outputs; dense targets. */
  | { type: 'mse' }
  /** Huber loss over each row's outputs; dense targets. */
  | { type: 'huber'; /** Threshold > 0 between the quadratic and linear parts, default 1. */ delta?: number }
  /**
   * Gaussian negative log-likelihood less its least value (≥ 0); one target per
   * row; 2 outputs per row, the mean and a raw variance r (variance
   * softplus(r) + GAUSSIAN_MIN_VARIANCE).
   */
  | { type: 'gaussianNll' }
  /** Poisson negative log-likelihood less its value at λ = y (half the deviance, ≥ 0); one count ≥ 0 per row; 1 output, the log-rate. */
  | { type: 'poissonNll' }
  /**
   * Pinball (quantile) loss, averaged over the levels; one target per row; one
   * output per level, mapped to non-crossing quantiles (q₀ = z₀, q_k = q_{k−1} + softplus(z_k)).
   */
  | { type: 'pinball'; /** Quantile levels, strictly increasing in (0, 1). Required. */ quantiles: readonly number[] };

export type LossType = LossSpec['type'];

/** A spec with every default filled in. */
export type ResolvedLossSpec =
  | { readonly type: 'bce' }
  | { readonly type: 'softmaxCrossEntropy'; readonly temperature: number; readonly labelSmoothing: number }
  | { readonly type: 'softCrossEntropy'; readonly temperature: number; readonly output: 'softmax' | 'sigmoid' }
  | { readonly type: 'focal'; readonly gamma: number; readonly alpha: number }
  | { readonly type: 'multiclassFocal'; readonly gamma: number }
  | { readonly type: 'softDice'; readonly smooth: number }
  | { readonly type: 'mse' }
  | { readonly type: 'huber'; readonly delta: number }
  | { readonly type: 'gaussianNll' }
  | { readonly type: 'poissonNll' }
  | { readonly type: 'pinball'; readonly quantiles: readonly number[] };

/**
 * `mean`: Σ over labeled rows of weight·rowLoss, divided by the number of labeled
 * rows — with sample or class weights too, as Keras (class_weight, sample_weight).
 * PyTorch's CrossEntropyLoss(weight=…) divides by the sum of the rows' weights
 * instead: multiply by (labeled rows)/Σ weights to get its value. `sum`: that sum.
 */
export type Reduction = 'mean' | 'sum';

/** `index`: one i32 class index per row. `dense`: rows × cols f32. `value`: one f32 per row (distribution losses). */
export type TargetKind = 'index' | 'dense' | 'value';

/** How a loss takes class weights: not at all, 2 floats [weight when y = 0, weight when y = 1], or one per class. */
export type ClassWeighting = 'none' | 'binary' | 'perClass';

/** The pointer-level arguments of `Loss.compute`. Pointers are byte offsets into WASM memory. */
export interface LossBuffers {
  rows: number;
  cols: number;
  /** rows × cols f32, row-major. */
  logits: number;
  /** rows i32 class indices (targetKind 'index'), rows × cols f32 ('dense') or rows f32 ('value'). */
  targets: number;
  /** rows bytes, row i labeled iff ≠ 0; 0 or absent: every row is labeled. */
  mask?: number;
  /** rows f32, finite and ≥ 0; 0 or absent: all 1. */
  sampleWeights?: number;
  /** `classWeightCount(cols)` f32, finite and ≥ 0; 0 or absent: all 1. */
  classWeights?: number;
  /** rows × cols f32, written whole (0 in unlabeled rows). May be `logits` itself; no other overlap. */
  grad: number;
  /** The gradient written is gradScale·∂loss/∂logits. Default 1. */
  gradScale?: number;
  /** Default 'mean'. */
  reduction?: Reduction;
}

export interface Loss {
  readonly type: LossType;
  readonly spec: ResolvedLossSpec;
  readonly targetKind: TargetKind;
  readonly classWeighting: ClassWeighting;
  /** Dense targets must lie in [0, 1] (bce, focal, softDice); otherwise any finite value. */
  readonly unitTargets: boolean;
  /** The outputs per row the loss needs (gaussianNll 2, poissonNll 1, pinball one per level), or null: any. */
  readonly outputs: number | null;
  /** How many class weights the loss takes for `cols` outputs (0: none). */
  classWeightCount(cols: number): number;
  /**
   * Runs the kernel: returns the reduced loss and writes gradScale·∂loss/∂logits
   * into `grad`. Checked here, at no cost per element: the shape, the options, and
   * that each pointer lies with its rows in one live block of WASM memory (grad
   * overlapping no other buffer but the logits). The values must satisfy the
   * contract of assembly/loss.ts (finite in labeled rows, class indices in range,
   * weights ≥ 0): they are not checked here, and a result beyond float32 is not
   * refused (lossAndGradient checks both). Allocates nothing in JS; the trainer can
   * reuse one args object.
   */
  compute(args: LossBuffers): number;
}

/** A mask entry: true/1 = the row is labeled, false/0 = it is not. */
export type MaskValue = boolean | number;

export interface LossOptions {
  /** One entry per row; unlabeled rows contribute nothing and get a zero gradient. Default: all labeled. */
  mask?: ArrayLike<MaskValue> | undefined;
  /** One finite weight ≥ 0 per row. Default: all 1. */
  sampleWeights?: ArrayLike<number> | undefined;
  /**
   * 2 weights [y = 0, y = 1] for bce/focal, one per class for softmaxCrossEntropy/multiclassFocal.
   * 'mean' still divides by the number of labeled rows (Keras), not by Σ weights (PyTorch): see Reduction.
   */
  classWeights?: ArrayLike<number> | undefined;
  /** Default 'mean'. */
  reduction?: Reduction | undefined;
  /** Multiplies the gradient (not the loss). Default 1. */
  gradScale?: number | undefined;
}

/**
 * Targets for `lossAndGradient`. Index losses: one class index per row (number[],
 * Int32Array…). Dense losses: a rows × cols Matrix, a flat row-major array of
 * rows·cols numbers, or an array of rows. Entries of unlabeled rows are never
 * read (they may be NaN, null, anything).
 */
export type LossTargets = Matrix | ArrayLike<unknown>;

export interface LossResult {
  loss: number;
  /** gradScale·∂loss/∂logits, the shape of the logits. Dispose it. */
  grad: Matrix;
}

const TYPES: readonly LossType[] = ['bce', 'softmaxCrossEntropy', 'softCrossEntropy', 'focal', 'multiclassFocal', 'softDice', 'mse', 'huber', 'gaussianNll', 'poissonNll', 'pinball'];
const PARAMS: { readonly [T in LossType]: readonly string[] } = {
  bce: [],
  softmaxCrossEntropy: ['temperature', 'labelSmoothing'],
  softCrossEntropy: ['temperature', 'output'],
  focal: ['gamma', 'alpha'],
  multiclassFocal: ['gamma'],
  softDice: ['smooth'],
  mse: [],
  huber: ['delta'],
  gaussianNll: [],
  poissonNll: [],
  pinball: ['quantiles'],
};
const OPTION_KEYS = ['mask', 'sampleWeights', 'classWeights', 'reduction', 'gradScale'] as const;

/** Builds a loss from a plain spec such as `{ type: 'focal', gamma: 2 }`, checking every option. */
export function createLoss(spec: LossSpec): Loss {
  const where = 'createLoss';
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ArgumentError(`${where}: spec must be an object such as { type: 'mse' }, got ${show(spec)}`);
  }
  const raw = spec as unknown as Record<string, unknown>;
  const type = raw.type;
  if (typeof type !== 'string' || !(TYPES as readonly string[]).includes(type)) {
    throw new ArgumentError(`${where}: type must be one of ${TYPES.map((t) => `"${t}"`).join(', ')}; got ${show(type)}`);
  }
  const t = type as LossType;
  const known = ['type', ...PARAMS[t]];
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) {
      throw new ArgumentError(`${where}: unknown option "${key}" for a "${t}" loss (known: ${known.join(', ')})`);
    }
  }
  const param = (name: string, fallback: number, ok: (v: number) => boolean, expected: string): number => {
    const v = raw[name];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
      throw new ArgumentError(`${where}: ${name} of a "${t}" loss must be ${expected}, got ${show(v)}`);
    }
    return v;
  };
  const positive = (v: number) => v > 0;
  const unit = (v: number) => v >= 0 && v <= 1;
  const nonNegative = (v: number) => v >= 0;
  let resolved: ResolvedLossSpec;
  switch (t) {
    case 'bce': resolved = { type: t }; break;
    case 'softmaxCrossEntropy':
      resolved = {
        type: t,
        temperature: param('temperature', 1, positive, 'a finite number > 0'),
        labelSmoothing: param('labelSmoothing', 0, unit, 'a number in [0, 1]'),
      };
      break;
    case 'softCrossEntropy': {
      const output = raw.output ?? 'softmax';
      if (output !== 'softmax' && output !== 'sigmoid') throw new ArgumentError(`${where}: output of a "softCrossEntropy" loss must be 'softmax' or 'sigmoid', got ${show(output)}`);
      resolved = { type: t, temperature: param('temperature', 1, positive, 'a finite number > 0'), output };
      break;
    }
    case 'focal':
      resolved = {
        type: t,
        gamma: param('gamma', 2, nonNegative, 'a finite number ≥ 0'),
        alpha: param('alpha', 0.25, unit, 'a number in [0, 1]'),
      };
      break;
    case 'multiclassFocal': resolved = { type: t, gamma: param('gamma', 2, nonNegative, 'a finite number ≥ 0') }; break;
    case 'softDice': resolved = { type: t, smooth: param('smooth', 1, positive, 'a finite number > 0') }; break;
    case 'mse': resolved = { type: t }; break;
    case 'huber': resolved = { type: t, delta: param('delta', 1, positive, 'a finite number > 0') }; break;
    case 'gaussianNll': resolved = { type: t }; break;
    case 'poissonNll': resolved = { type: t }; break;
    case 'pinball': resolved = { type: t, quantiles: checkQuantiles(where, raw.quantiles) }; break;
  }
  return new KernelLoss(Object.freeze(resolved));
}

/**
 * Quantile levels: a non-empty array of numbers strictly increasing in (0, 1),
 * distinct in float32 (the kernel reads them as f32). Returns a frozen copy.
 */
export function checkQuantiles(where: string, levels: unknown): readonly number[] {
  if (!Array.isArray(levels) || levels.length === 0) {
    throw new ArgumentError(`${where}: quantiles must be a non-empty array of levels in (0, 1), such as [0.05, 0.5, 0.95]; got ${show(levels)}`);
  }
  if (levels.length > 1024) throw new ArgumentError(`${where}: ${levels.length} quantiles; at most 1024`);
  levels.forEach((q: unknown, k) => {
    if (typeof q !== 'number' || !(q > 0 && q < 1)) throw new ArgumentError(`${where}: quantiles[${k}] is ${show(q)}; a level must be a number in (0, 1)`);
    if (k > 0 && !(q > (levels[k - 1] as number))) throw new ArgumentError(`${where}: quantiles must increase strictly; quantiles[${k}] = ${q} follows ${levels[k - 1]}`);
    if (k > 0 && Math.fround(q) === Math.fround(levels[k - 1] as number)) throw new ArgumentError(`${where}: quantiles[${k - 1}] and [${k}] (${levels[k - 1]}, ${q}) are one level in float32`);
  });
  return Object.freeze([...levels as number[]]);
}

class KernelLoss implements Loss {
  readonly type: LossType;
  readonly spec: ResolvedLossSpec;
  readonly targetKind: TargetKind;
  readonly classWeighting: ClassWeighting;
  readonly unitTargets: boolean;
  readonly outputs: number | null;
  readonly #where: string;
  /** The pinball loss's levels as f32 in WASM memory, written at the first compute. */
  readonly #memory = new Holding('pinball loss');
  #levels = 0;

  constructor(spec: ResolvedLossSpec) {
    this.type = spec.type;
    this.#where = `${spec.type} loss`;
    this.spec = spec;
    const index = spec.type === 'softmaxCrossEntropy' || spec.type === 'multiclassFocal';
    const value = spec.type === 'gaussianNll' || spec.type === 'poissonNll' || spec.type === 'pinball';
    this.targetKind = index ? 'index' : value ? 'value' : 'dense';
    this.outputs = spec.type === 'gaussianNll' ? 2 : spec.type === 'poissonNll' ? 1 : spec.type === 'pinball' ? spec.quantiles.length : null;
    this.classWeighting = index ? 'perClass' : spec.type === 'bce' || spec.type === 'focal' ? 'binary' : 'none';
    this.unitTargets = spec.type === 'bce' || spec.type === 'focal' || spec.type === 'softDice' || spec.type === 'softCrossEntropy';
  }

  classWeightCount(cols: number): number {
    return this.classWeighting === 'perClass' ? cols : this.classWeighting === 'binary' ? 2 : 0;
  }

  compute(a: LossBuffers): number {
    const where = this.#where;
    if (typeof a !== 'object' || a === null) {
      throw new ArgumentError(`${where}: compute takes { rows, cols, logits, targets, grad, … } (byte offsets into WASM memory), got ${show(a)}`);
    }
    checkDim(where, 'rows', a.rows);
    checkDim(where, 'cols', a.cols);
    if (this.outputs !== null && a.cols !== this.outputs) throw new ShapeError(`${where}: takes ${this.outputs} output${this.outputs === 1 ? '' : 's'} per row, got cols ${a.cols}`);
    const mask = a.mask ?? 0;
    const weights = a.sampleWeights ?? 0;
    const classWeights = a.classWeights ?? 0;
    if (classWeights !== 0 && this.classWeighting === 'none') {
      throw new ArgumentError(`${where}: takes no class weights`);
    }
    const gradScale = a.gradScale === undefined ? 1 : checkF32(where, 'gradScale', a.gradScale);
    const reduction = reductionCode(where, a.reduction);
    const { rows, cols, logits: z, targets: y, grad } = a;
    // Each buffer in one live block of WASM memory, and the gradient (written) overlapping none but the logits (if it is them).
    const n = rows * cols * 4;
    const targetBytes = this.targetKind === 'dense' ? n : rows * 4;
    checkPointer(where, 'logits', z, n);
    checkPointer(where, 'targets', y, targetBytes);
    checkPointer(where, 'grad', grad, n);
    if (mask !== 0) checkPointer(where, 'mask', mask, rows, 1);
    if (weights !== 0) checkPointer(where, 'sampleWeights', weights, rows * 4);
    const classBytes = this.classWeightCount(cols) * 4;
    if (classWeights !== 0) checkPointer(where, 'classWeights', classWeights, classBytes);
    const overlaps = (at: number, bytes: number) => at !== 0 && at < grad + n && grad < at + bytes;
    if ((grad !== z && overlaps(z, n)) || overlaps(y, targetBytes) || overlaps(mask, rows) || overlaps(weights, rows * 4) || overlaps(classWeights, classBytes)) {
      throw new ArgumentError(`${where}: grad overlaps another buffer of the call (it may be the logits themselves, nothing else)`);
    }
    return this.run(a, gradScale, reduction);
  }

  /**
   * The kernel call: compute() once the call is checked, and the trainers (runLoss), whose
   * buffers are their own: their scalars are still checked (a NaN gradScale from a task
   * weight is refused), not their pointers.
   */
  run(a: LossBuffers, gradScale = checkF32(this.#where, 'gradScale', a.gradScale ?? 1), reduction = reductionCode(this.#where, a.reduction)): number {
    const { rows, cols, logits: z, targets: y, grad } = a;
    const mask = a.mask ?? 0, weights = a.sampleWeights ?? 0, classWeights = a.classWeights ?? 0;
    const k = runtime(this.#where).kernels;
    const s = this.spec;
    switch (s.type) {
      case 'bce':
        return k.lossBce(rows, cols, z, y, mask, weights, classWeights, grad, gradScale, reduction);
      case 'softmaxCrossEntropy':
        return k.lossSoftmaxCrossEntropy(rows, cols, z, y, mask, weights, classWeights,
          s.temperature, s.labelSmoothing, grad, gradScale, reduction);
      case 'softCrossEntropy':
        return k.lossSoftCrossEntropy(rows, cols, z, y, mask, weights, s.temperature, s.output === 'sigmoid' ? 1 : 0, grad, gradScale, reduction);
      case 'focal':
        return k.lossFocal(rows, cols, z, y, mask, weights, classWeights, s.gamma, s.alpha, grad, gradScale, reduction);
      case 'multiclassFocal':
        return k.lossMulticlassFocal(rows, cols, z, y, mask, weights, classWeights, s.gamma, grad, gradScale, reduction);
      case 'softDice':
        return k.lossSoftDice(rows, cols, z, y, mask, weights, s.smooth, grad, gradScale, reduction);
      case 'mse':
        return k.lossMse(rows, cols, z, y, mask, weights, grad, gradScale, reduction);
      case 'huber':
        return k.lossHuber(rows, cols, z, y, mask, weights, s.delta, grad, gradScale, reduction);
      case 'gaussianNll':
        return k.lossGaussianNll(rows, z, y, mask, weights, GAUSSIAN_MIN_VARIANCE, grad, gradScale, reduction);
      case 'poissonNll':
        return k.lossPoissonNll(rows, z, y, mask, weights, grad, gradScale, reduction);
      case 'pinball': {
        if (this.#levels === 0) {
          this.#levels = this.#memory.alloc(this, cols * 4);
          heapF32().set(s.quantiles, this.#levels >>> 2);
        }
        return k.lossPinball(rows, cols, z, y, this.#levels, mask, weights, grad, gradScale, reduction);
      }
    }
  }
}

/**
 * @internal For the trainers (MultiTaskModel's core, the AutoEncoder): the loss's kernel on
 * buffers they allocated and filled themselves, without compute()'s checks of the call
 * (pointer lookups on every step); the values are theirs to check, as for compute().
 */
export function runLoss(loss: Loss, a: LossBuffers): number {
  return (loss as KernelLoss).run(a);
}

function reductionCode(where: string, reduction: unknown): number {
  if (reduction === undefined || reduction === 'mean') return 0;
  if (reduction === 'sum') return 1;
  throw new ArgumentError(`${where}: reduction must be "mean" or "sum", got ${show(reduction)}`);
}

/** The JS-side data of one batch, as `validateLossInputs` and `lossAndGradient` take it. */
export interface LossInputs {
  rows: number;
  cols: number;
  targets: LossTargets;
  mask?: ArrayLike<MaskValue> | undefined;
  sampleWeights?: ArrayLike<number> | undefined;
  classWeights?: ArrayLike<number> | undefined;
}

/**
 * Checks targets, mask and weights against a loss and a rows × cols shape, the
 * checks `lossAndGradient` runs (the trainer can run them once over its labels).
 * Throws ShapeError for wrong lengths, ArgumentError for bad values (naming the
 * row). Nothing of an unlabeled row is read. Returns the mask as bytes (null: all labeled).
 */
export function validateLossInputs(loss: Loss | LossSpec, inputs: LossInputs, where = 'validateLossInputs'): Uint8Array | null {
  const l = asLoss(loss);
  if (typeof inputs !== 'object' || inputs === null) {
    throw new ArgumentError(`${where}: inputs must be an object { rows, cols, targets, mask?, sampleWeights?, classWeights? }, got ${show(inputs)}`);
  }
  const rows = checkDim(where, 'rows', inputs.rows);
  const cols = checkDim(where, 'cols', inputs.cols);
  const mask = readMask(where, inputs.mask, rows);
  const labeled = (i: number) => mask === null || mask[i] !== 0;
  if (l.outputs !== null && cols !== l.outputs) {
    throw new ShapeError(`${where}: a "${l.type}" loss takes ${l.outputs} output${l.outputs === 1 ? '' : 's'} per row, got ${cols} columns`);
  }
  if (l.targetKind === 'index') checkLabels(where, inputs.targets, rows, cols, labeled);
  else if (l.targetKind === 'value') checkValues(where, l, inputs.targets, rows, labeled);
  else checkDense(where, l, inputs.targets, rows, cols, labeled);
  if (inputs.sampleWeights !== undefined) {
    const w = arrayLike(where, 'sampleWeights', inputs.sampleWeights);
    if (w.length !== rows) {
      throw new ShapeError(`${where}: sampleWeights has ${w.length} entries, expected one per row (${rows})`);
    }
    for (let i = 0; i < rows; i++) {
      if (!labeled(i)) continue;
      const v = w[i];
      if (!isF32Finite(v) || v < 0) {
        throw new ArgumentError(`${where}: sampleWeights[${i}] (row ${i}) is ${show(v)}; a sample weight must be a finite number ≥ 0 within the float32 range`);
      }
    }
  }
  if (inputs.classWeights !== undefined) {
    const count = l.classWeightCount(cols);
    if (count === 0) {
      throw new ArgumentError(`${where}: a "${l.type}" loss takes no classWeights`);
    }
    const cw = arrayLike(where, 'classWeights', inputs.classWeights);
    if (cw.length !== count) {
      const what = l.classWeighting === 'binary' ? '2 (the weights of y = 0 and y = 1)' : `one per class (${cols})`;
      throw new ShapeError(`${where}: classWeights has ${cw.length} entries, expected ${what}`);
    }
    for (let c = 0; c < count; c++) {
      const v = cw[c];
      if (!isF32Finite(v) || v < 0) {
        throw new ArgumentError(`${where}: classWeights[${c}] is ${show(v)}; a class weight must be a finite number ≥ 0 within the float32 range`);
      }
    }
  }
  return mask;
}

/**
 * The loss and its gradient w.r.t. `logits` (rows × cols), validating every
 * input before the kernel runs. Returns a new gradient Matrix (dispose it).
 */
export function lossAndGradient(
  loss: Loss | LossSpec, logits: Matrix, targets: LossTargets, options?: LossOptions,
): LossResult {
  const where = 'lossAndGradient';
  const l = asLoss(loss);
  if (!(logits instanceof Matrix)) throw new ArgumentError(`${where}: logits must be a Matrix, got ${show(logits)}`);
  const opts = checkOptionsObject(where, options);
  checkKeys(where, opts, OPTION_KEYS);
  const reduction = opts.reduction === undefined ? 'mean' : opts.reduction;
  reductionCode(where, reduction);
  const gradScale = opts.gradScale === undefined ? 1 : checkF32(where, 'gradScale', opts.gradScale);
  const { rows, cols } = logits;
  const inputs: LossInputs = { rows, cols, targets };
  if (opts.mask !== undefined) inputs.mask = opts.mask as ArrayLike<MaskValue>;
  if (opts.sampleWeights !== undefined) inputs.sampleWeights = opts.sampleWeights as ArrayLike<number>;
  if (opts.classWeights !== undefined) inputs.classWeights = opts.classWeights as ArrayLike<number>;
  const mask = validateLossInputs(l, inputs, where);
  const logitsAt = logits.ptr >>> 2;
  {
    const heap = heapF32();
    for (let i = 0; i < rows; i++) {
      if (mask !== null && mask[i] === 0) continue;
      for (let j = 0; j < cols; j++) {
        const v = heap[logitsAt + i * cols + j]!;
        if (!Number.isFinite(v)) {
          throw new ArgumentError(`${where}: logits row ${i}, column ${j} is ${v}; expected a finite number`);
        }
      }
    }
  }

  // Everything is valid: copy into WASM memory and run the kernel.
  const { allocator, memory } = runtime(where);
  const grad = Matrix.zeros(rows, cols);
  const temps: number[] = [];
  const alloc = (bytes: number) => { const p = allocator.alloc(bytes); temps.push(p); return p; };
  try {
    const denseMatrix = targets instanceof Matrix;
    const targetsPtr = denseMatrix ? targets.ptr : alloc(l.targetKind === 'dense' ? rows * cols * 4 : rows * 4);
    const maskPtr = mask === null ? 0 : alloc(rows);
    const weightsPtr = inputs.sampleWeights === undefined ? 0 : alloc(rows * 4);
    const cwCount = inputs.classWeights === undefined ? 0 : l.classWeightCount(cols);
    const classWeightsPtr = cwCount === 0 ? 0 : alloc(cwCount * 4);
    // Views after the last allocation (growing memory detaches older ones).
    const heap = heapF32();
    const labeled = (i: number) => mask === null || mask[i] !== 0;
    if (!denseMatrix) {
      if (l.targetKind !== 'dense') {
        const labels = l.targetKind === 'index' ? new Int32Array(memory.buffer, targetsPtr, rows) : new Float32Array(memory.buffer, targetsPtr, rows);
        const src = targets as ArrayLike<unknown>;
        for (let i = 0; i < rows; i++) labels[i] = labeled(i) ? (src[i] as number) : 0;
      } else {
        writeDense(heap, targetsPtr >>> 2, targets as ArrayLike<unknown>, rows, cols, labeled);
      }
    }
    if (mask !== null) new Uint8Array(memory.buffer, maskPtr, rows).set(mask);
    if (weightsPtr !== 0) {
      const w = inputs.sampleWeights!;
      for (let i = 0; i < rows; i++) heap[(weightsPtr >>> 2) + i] = labeled(i) ? w[i]! : 0;
    }
    if (classWeightsPtr !== 0) {
      const cw = inputs.classWeights!;
      for (let c = 0; c < cwCount; c++) heap[(classWeightsPtr >>> 2) + c] = cw[c]!;
    }
    const args: LossBuffers = {
      rows, cols, logits: logits.ptr, targets: targetsPtr, mask: maskPtr, sampleWeights: weightsPtr,
      classWeights: classWeightsPtr, grad: grad.ptr, gradScale, reduction: reduction as Reduction,
    };
    const value = l.compute(args);
    // Finite inputs can still overflow float32 in the loss or its gradient (a Poisson log-rate of 100,
    // MSE between ±3e38): one scan of the gradient, then the loss, before anything is returned.
    const bad = runtime(where).kernels.firstNonFinite(rows * cols, grad.ptr);
    if (bad >= 0) {
      const r = Math.floor(bad / cols), c = bad % cols;
      throw new ArgumentError(`${where}: the gradient at row ${r}, column ${c} is ${heapF32()[(grad.ptr >>> 2) + bad]}: ` +
        `the "${l.type}" loss overflows float32 there (logit ${heapF32()[(logits.ptr >>> 2) + bad]}); smaller logits, weights or gradScale keep it finite`);
    }
    if (!(Math.abs(value) <= F32_MAX)) {
      const [r, c] = overflowingCell(l, args);
      const at = r < 0 ? '' : c < 0 ? `: row ${r} alone overflows it` : `: row ${r}, column ${c} alone overflows it (logit ${heapF32()[(logits.ptr >>> 2) + r * cols + c]})`;
      throw new ArgumentError(`${where}: the "${l.type}" loss is ${value}, beyond the float32 range (±3.4e38) the kernels compute in${at}`);
    }
    return { loss: value, grad };
  } catch (err) {
    grad.dispose();
    throw err;
  } finally {
    for (const p of temps) allocator.free(p);
  }
}

/**
 * Where a loss beyond float32 comes from (the error path of lossAndGradient, which
 * may overwrite args.grad): the first labeled row whose loss alone (its weight
 * included) is beyond float32, and for a loss summed over columns (mse, huber, bce,
 * focal) the first such cell of it; −1 where none is alone.
 */
function overflowingCell(l: Loss, a: LossBuffers): [row: number, col: number] {
  const heap = heapF32();
  const dense = l.targetKind === 'dense';
  const alone = (i: number, j: number, cols: number): boolean => {
    const cell = i * a.cols + (j < 0 ? 0 : j);
    const v = l.compute({
      ...a, rows: 1, cols, logits: a.logits + cell * 4, targets: a.targets + (dense ? cell : i) * 4, grad: a.grad + cell * 4,
      mask: 0, sampleWeights: a.sampleWeights ? a.sampleWeights + i * 4 : 0, reduction: 'sum',
    });
    return !(Math.abs(v) <= F32_MAX);
  };
  const byCell = l.type === 'mse' || l.type === 'huber' || l.type === 'bce' || l.type === 'focal';
  for (let i = 0; i < a.rows; i++) {
    if (a.mask && new Uint8Array(heap.buffer, a.mask + i, 1)[0] === 0) continue;
    if (!alone(i, -1, a.cols)) continue;
    if (byCell) for (let j = 0; j < a.cols; j++) if (alone(i, j, 1)) return [i, j];
    return [i, -1];
  }
  return [-1, -1];
}

function asLoss(loss: Loss | LossSpec): Loss {
  return loss instanceof KernelLoss ? loss : createLoss(loss as LossSpec);
}

function arrayLike(where: string, name: string, value: unknown): ArrayLike<unknown> {
  if (typeof value !== 'object' || value === null || typeof (value as { length?: unknown }).length !== 'number') {
    throw new ArgumentError(`${where}: ${name} must be an array or a typed array, got ${show(value)}`);
  }
  return value as ArrayLike<unknown>;
}

/** A mask of one entry per row as bytes (1 labeled, 0 not), each entry true, false, 1 or 0; null when absent. */
export function readMask(where: string, mask: unknown, rows: number): Uint8Array | null {
  if (mask === undefined) return null;
  const m = arrayLike(where, 'mask', mask);
  if (m.length !== rows) {
    throw new ShapeError(`${where}: mask has ${m.length} entries, expected one per row (${rows})`);
  }
  const out = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = m[i];
    if (v === true || v === 1) out[i] = 1;
    else if (v !== false && v !== 0) {
      throw new ArgumentError(`${where}: mask[${i}] (row ${i}) is ${show(v)}; expected true, false, 1 or 0`);
    }
  }
  return out;
}

function checkLabels(where: string, targets: unknown, rows: number, cols: number, labeled: (i: number) => boolean): void {
  if (targets instanceof Matrix) {
    throw new ArgumentError(`${where}: targets must be one class index per row (an array or Int32Array), got a Matrix`);
  }
  const t = arrayLike(where, 'targets', targets);
  if (t.length !== rows) {
    throw new ShapeError(`${where}: targets has ${t.length} labels, expected one class index per row (${rows})`);
  }
  for (let i = 0; i < rows; i++) {
    if (!labeled(i)) continue;
    const v = t[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= cols) {
      throw new ArgumentError(
        `${where}: targets row ${i} has label ${show(v)}, but the logits have ${cols} class${cols === 1 ? '' : 'es'}; ` +
          `a label must be an integer in [0, ${cols})`,
      );
    }
  }
}

/** One finite (float32) target per row; a count ≥ 0 for the Poisson loss. */
function checkValues(where: string, l: Loss, targets: unknown, rows: number, labeled: (i: number) => boolean): void {
  let t: ArrayLike<unknown>;
  if (targets instanceof Matrix) {
    if (targets.rows !== rows || targets.cols !== 1) throw new ShapeError(`${where}: targets must be ${rows}×1 (one value per row), got ${targets.rows}×${targets.cols}`);
    t = heapF32().subarray(targets.ptr >>> 2, (targets.ptr >>> 2) + rows);
  } else {
    t = arrayLike(where, 'targets', targets);
    if (t.length !== rows) throw new ShapeError(`${where}: targets has ${t.length} values, expected one per row (${rows})`);
  }
  for (let i = 0; i < rows; i++) {
    if (!labeled(i)) continue;
    const v = t[i];
    if (typeof v !== 'number' || !isF32Finite(v)) {
      throw new ArgumentError(`${where}: targets row ${i} is ${show(v)}; expected a finite number within the float32 range`);
    }
    if (l.type === 'poissonNll' && v < 0) throw new ArgumentError(`${where}: targets row ${i} is ${v}; a "poissonNll" loss needs counts ≥ 0`);
  }
}

function isRowArray(targets: ArrayLike<unknown>): boolean {
  if (!Array.isArray(targets)) return false;
  for (const r of targets) if (Array.isArray(r) || ArrayBuffer.isView(r)) return true;
  return false;
}

function checkDense(
  where: string, l: Loss, targets: unknown, rows: number, cols: number, labeled: (i: number) => boolean,
): void {
  const check = (v: unknown, i: number, j: number) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ArgumentError(`${where}: targets row ${i}, column ${j} is ${show(v)}; expected a finite number`);
    }
    if (!Number.isFinite(Math.fround(v))) {
      throw new ArgumentError(`${where}: targets row ${i}, column ${j} is ${v}, beyond the float32 range (±3.4e38) the loss computes in`);
    }
    if (l.unitTargets && !(v >= 0 && v <= 1)) {
      throw new ArgumentError(`${where}: targets row ${i}, column ${j} is ${v}; a "${l.type}" loss needs targets in [0, 1]`);
    }
  };
  if (targets instanceof Matrix) {
    if (targets.rows !== rows || targets.cols !== cols) {
      throw new ShapeError(`${where}: targets must be ${rows}×${cols} like the logits, got ${targets.rows}×${targets.cols}`);
    }
    // Matrix.from refuses non-finite values, but a computed Matrix may hold them.
    const heap = heapF32();
    const at = targets.ptr >>> 2;
    for (let i = 0; i < rows; i++) {
      if (!labeled(i)) continue;
      for (let j = 0; j < cols; j++) check(heap[at + i * cols + j], i, j);
    }
    return;
  }
  const t = arrayLike(where, 'targets', targets);
  if (isRowArray(t)) {
    if (t.length !== rows) throw new ShapeError(`${where}: targets has ${t.length} rows, expected ${rows} like the logits`);
    for (let i = 0; i < rows; i++) {
      if (!labeled(i)) continue;
      const row = t[i];
      if (typeof row !== 'object' || row === null || typeof (row as ArrayLike<unknown>).length !== 'number') {
        throw new ShapeError(`${where}: targets row ${i} is ${show(row)}, expected ${cols} values`);
      }
      const r = row as ArrayLike<unknown>;
      if (r.length !== cols) throw new ShapeError(`${where}: targets row ${i} has ${r.length} values, expected ${cols}`);
      for (let j = 0; j < cols; j++) check(r[j], i, j);
    }
    return;
  }
  if (t.length !== rows * cols) {
    throw new ShapeError(
      `${where}: targets has ${t.length} values, expected ${rows}×${cols} = ${rows * cols} (row-major) or an array of ${rows} rows`,
    );
  }
  for (let i = 0; i < rows; i++) {
    if (!labeled(i)) continue;
    for (let j = 0; j < cols; j++) check(t[i * cols + j], i, j);
  }
}

function writeDense(
  heap: Float32Array, at: number, targets: ArrayLike<unknown>, rows: number, cols: number, labeled: (i: number) => boolean,
): void {
  const nested = isRowArray(targets);
  for (let i = 0; i < rows; i++) {
    const base = at + i * cols;
    if (!labeled(i)) { heap.fill(0, base, base + cols); continue; }
    const row = nested ? (targets[i] as ArrayLike<number>) : null;
    for (let j = 0; j < cols; j++) heap[base + j] = row ? row[j]! : (targets[i * cols + j] as number);
  }
}
