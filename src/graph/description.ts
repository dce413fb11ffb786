// A network as data: the tensors it declares and the operations its forward pass
// runs, with no kernel, no buffer and no training state. Each architecture file
// (src/mtl/arch/) writes its network once in this form; the training engine
// (src/mtl/engine.ts) runs it forward and backward, the model file is checked
// against it (src/io/model-file.ts), and `manytask/infer` runs it forward
// (src/graph/forward.ts). Nothing here may import a kernel or training code: the
// inference bundle reaches this file.
//
// Values are the per-row activations between operations, numbered in the order
// they are made: value 0 is the input x (rows × inputSize). Every operation reads
// values made before it and makes new ones (each value is written once). A tensor
// is a parameter: rows × cols floats with an initializer and an owner, the task it
// belongs to or SHARED.

import { Act } from '../runtime/abi.js';
import { ArgumentError } from '../runtime/errors.js';
import { biasInitializer, type Initializer, type LayerInitializerName } from '../runtime/initializers.js';

/** The owner of a tensor that no single task owns. */
export const SHARED = -1;

export type { Initializer };

/** An activation code of the kernels (src/runtime/abi.ts Act). */
export type ActCode = (typeof Act)[keyof typeof Act];

export interface TensorSpec {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  readonly init: Initializer;
  readonly fanIn: number;
  readonly fanOut: number;
  /** The task index that owns it, or SHARED. */
  readonly owner: number;
  /**
   * For a task's tensor: what it is within its task (the same string for every
   * task's tower layer 0 weight, say), so that tensors of two tasks can be paired
   * (relatedness) without reading their names. Empty for shared tensors.
   */
  readonly role: string;
}

/** One step of a forward pass; `x`, `y`, `e`, `gate` are value ids, `w`, `b`, `alpha` tensor indices. */
export type Op =
  /** y = act(x·W + b); b −1: no bias. */
  | { readonly kind: 'dense'; readonly x: number; readonly y: number; readonly w: number; readonly b: number; readonly act: ActCode; readonly alpha: number }
  /** Inverted dropout in training (zero with probability rate, scale the rest by 1/(1 − rate)); y = x otherwise. */
  | { readonly kind: 'dropout'; readonly x: number; readonly y: number; readonly rate: number }
  /** Softmax over each row. */
  | { readonly kind: 'softmax'; readonly x: number; readonly y: number }
  /** y = act(x), element by element. */
  | { readonly kind: 'act'; readonly x: number; readonly y: number; readonly act: ActCode; readonly alpha: number }
  /** y = [x₀ | x₁ | …], the inputs' columns side by side. */
  | { readonly kind: 'concat'; readonly xs: readonly number[]; readonly y: number }
  /** y = x[:, from : from + width(y)]. */
  | { readonly kind: 'slice'; readonly x: number; readonly from: number; readonly y: number }
  /**
   * A gated mixture: y = Σ_j gate[:, j] · block_j, where block_j is the d = width(y)
   * columns of e starting at blocks[j]·d.
   */
  | { readonly kind: 'mix'; readonly e: number; readonly blocks: readonly number[]; readonly gate: number; readonly y: number }
  /**
   * A cross-stitch unit (Misra et al. 2016): ys[t] = Σ_s α[t, s] · xs[s] with
   * α = alpha0 + the tensor `alpha` (T×T, row t = output t).
   */
  | { readonly kind: 'crossStitch'; readonly xs: readonly number[]; readonly alpha: number; readonly alpha0: readonly number[]; readonly ys: readonly number[] }
  /**
   * DSelect-k's selection (Hazimeh et al. 2021): from k selectors of m smooth-step
   * values each (s: k·m wide) and their softmax weights (a: k wide), a distribution
   * over n = width(y) experts by their binary codes (assembly/mix.ts dselectForward).
   */
  | { readonly kind: 'dselect'; readonly s: number; readonly a: number; readonly y: number; readonly bits: number }
  /**
   * Learning to Branch's parent choice (Guo et al. 2020): y is rows × n, every row
   * the same distribution over n parents from the 1 × n logits tensor `alpha`. In
   * training, a Gumbel-softmax sample softmax((α + g)/temperature), g drawn afresh
   * each pass from the model's seeded dropout stream; otherwise the tree the search
   * settled on: one-hot at the largest α (the first of equals).
   */
  | { readonly kind: 'gumbel'; readonly alpha: number; readonly y: number; readonly temperature: number }
  /**
   * Independent branches (experts reading one input): run one after another; the
   * backward pass takes them in the same order (each backwards), so gradients that
   * several branches add into their common input are summed in branch order.
   */
  | { readonly kind: 'branches'; readonly branches: readonly (readonly Op[])[] }
  /**
   * A distribution head's raw outputs → the distribution's parameters, row by row
   * (assembly/distribution.ts): gaussian [μ, r] → [μ, softplus(r) + floor],
   * poisson [η] → [eᶯ], quantile → cumulative softplus (non-crossing quantiles).
   * A prediction step only: its losses take the raw outputs, so it has no backward.
   */
  | { readonly kind: 'distribution'; readonly family: 'gaussian' | 'poisson' | 'quantile'; readonly x: number; readonly y: number }
  /**
   * A 1-D causal convolution over time (assembly/conv1d.ts): x holds `steps` time
   * steps of C_in = width(x)/steps channels (time-major), y the same steps of
   * C_out = width(y)/steps; y(t) = act(b + Σ_k x(t − (kernel − 1 − k)·dilation)·W_k),
   * zeros before the first step. W is (kernel·C_in) × C_out, row k·C_in + c.
   */
  | {
    readonly kind: 'conv1d'; readonly x: number; readonly y: number; readonly w: number; readonly b: number;
    readonly steps: number; readonly kernel: number; readonly dilation: number; readonly act: ActCode; readonly alpha: number;
  }
  /** Pooling over the `steps` time steps of x, per channel: their mean, maximum, or the last step. */
  | { readonly kind: 'temporalPool'; readonly mode: TemporalPooling; readonly x: number; readonly y: number; readonly steps: number }
  /**
   * Embedding lookup (assembly/embedding.ts): the columns `cols` of x hold row
   * indices of the table tensor (0: the out-of-vocabulary row); y = [T[x[:, c₀]] |
   * T[x[:, c₁]] | …], d = the table's width per column. Columns that share a table
   * share one operation, so each table is read by one operation; its backward adds
   * into the rows used only (the rest of the table's gradient is zero).
   */
  | { readonly kind: 'embedding'; readonly x: number; readonly cols: readonly number[]; readonly table: number; readonly entries: number; readonly y: number }
  /** y = x + P, every row plus the 1 × width(x) tensor `p` (a learned positional encoding: one vector per time step). */
  | { readonly kind: 'positional'; readonly x: number; readonly y: number; readonly p: number }
  /** y = x₀ + x₁, element by element (a residual connection). */
  | { readonly kind: 'add'; readonly xs: readonly [number, number]; readonly y: number }
  /**
   * Layer normalization of every group of `cols` consecutive columns (each token of a
   * window): y = γ ⊙ (x − μ)/√(σ² + eps) + β, μ and σ² (biased) over the group;
   * γ and β are 1 × cols tensors (assembly/norm.ts).
   */
  | { readonly kind: 'layerNorm'; readonly x: number; readonly y: number; readonly gamma: number; readonly beta: number; readonly cols: number; readonly eps: number }
  /**
   * Scaled dot-product self-attention over the `steps` tokens of each row
   * (assembly/attention.ts): x holds [q | k | v] per token (3·D wide, D = width(y)/steps,
   * `heads` heads of D/heads columns each); y(i) = Σ_j softmax_j(q_i·k_j/√dk) v_j per
   * head, heads side by side; with `causal`, token i attends to tokens j ≤ i only.
   */
  | { readonly kind: 'attention'; readonly x: number; readonly y: number; readonly steps: number; readonly heads: number; readonly causal: boolean };

/** How a temporalPool op reduces the time steps. */
export type TemporalPooling = 'avg' | 'max' | 'last';

/**
 * A network with one shared part and one part per task:
 *
 *   shared part   x → z                       ops `shared`
 *   task part t   (x, z) → out_t              ops `tasks[t].ops`, reading x, z and their own values only
 *
 * Splitting at z is what lets a strategy take per-task gradients cheaply: each task
 * part's backward gives dL_t/dz, and the shared part runs backward once on their
 * combination.
 */
export interface NetworkDescription {
  /** Per-row width of each value; values[0] is the input. */
  readonly values: readonly number[];
  readonly tensors: readonly TensorSpec[];
  readonly shared: readonly Op[];
  /** The shared representation's value. */
  readonly z: number;
  readonly tasks: readonly { readonly ops: readonly Op[]; readonly out: number }[];
}

/** Limits for a description made from untrusted input (a model file's header). */
export interface DescriptionLimits {
  /** The most floats the tensors may take (with their 4-float alignment). */
  readonly floats: number;
}

/**
 * Builds a description one tensor, value and operation at a time. With limits, it
 * throws as soon as the tensors outgrow them, so a forged header that asks for 10⁹
 * experts fails after one step instead of exhausting memory.
 */
export class DescriptionBuilder {
  readonly values: number[];
  readonly tensors: TensorSpec[] = [];
  #floats = 0;
  readonly #limit: number;
  #ops: Op[] = [];
  /**
   * What a dense layer's weight starts from when its declaration names nothing (the
   * architecture's `initializer` while it describes itself, the model's for the heads);
   * its bias starts at zero, or as PyTorch's for 'torch' (nn/init.ts biasInitializer).
   */
  initializer: LayerInitializerName = 'glorotUniform';
  /**
   * The value an architecture reads as its input x: 0, or the output of an input
   * stage that runs first (the embedding lookups, see src/mtl/describe.ts).
   */
  input = 0;

  constructor(inputSize: number, limits?: DescriptionLimits) {
    this.values = [inputSize];
    this.#limit = limits?.floats ?? Infinity;
  }

  /** Where new operations go (the shared part's list, or a task part's). */
  into(ops: Op[]): this {
    this.#ops = ops;
    return this;
  }

  width(value: number): number {
    return this.values[value]!;
  }

  value(width: number): number {
    this.values.push(width);
    return this.values.length - 1;
  }

  /** Declares a tensor; returns its index. */
  tensor(name: string, rows: number, cols: number, init: Initializer, owner: number, role: string, fanIn = rows, fanOut = cols): number {
    this.#floats += Math.ceil((rows * cols) / 4) * 4;
    if (this.#floats > this.#limit) {
      const quoted = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
      throw new DescriptionLimitError(`${quoted} ${rows}×${cols} goes past the ${this.#limit} weights`);
    }
    this.tensors.push({ name, rows, cols, init, fanIn, fanOut, owner, role });
    return this.tensors.length - 1;
  }

  op(op: Op): void {
    this.#ops.push(op);
  }

  /**
   * The weight (inputs × units; `this.initializer`, unless `init` says) and bias
   * (its companion, unless `init` says; none when `init.bias` is false) of a dense
   * layer named `<name>.weight|bias`.
   */
  denseTensors(name: string, inputs: number, units: number, owner: number, role = '', init?: { weight: Initializer; bias: Initializer | false }): DenseTensors {
    const w = this.tensor(`${name}.weight`, inputs, units, init?.weight ?? this.initializer, owner, role && `${role}.weight`);
    const bias = init?.bias ?? biasInitializer(this.initializer);
    const b = bias === false ? -1 : this.tensor(`${name}.bias`, 1, units, bias, owner, role && `${role}.bias`, inputs, units);
    return { w, b, units };
  }

  /** A dense layer on x with declared tensors, then dropout when `dropout` > 0; returns its output value. */
  denseOp(x: number, t: DenseTensors, act: ActCode, dropout = 0): number {
    let y = this.value(t.units);
    this.op({ kind: 'dense', x, y, w: t.w, b: t.b, act, alpha: act === Act.leakyRelu ? 0.01 : 1 });
    if (dropout > 0) {
      const out = this.value(t.units);
      this.op({ kind: 'dropout', x: y, y: out, rate: dropout });
      y = out;
    }
    return y;
  }

  /**
   * A dense layer named `<name>` (see denseTensors), then dropout when `dropout` > 0;
   * returns its output value. `role` is the layer's role within its task (see TensorSpec.role).
   */
  dense(x: number, units: number, name: string, act: ActCode, owner: number, dropout = 0, role = ''): number {
    return this.denseOp(x, this.denseTensors(name, this.width(x), units, owner, role), act, dropout);
  }

  /** Dense layers of `units` named `<name>.<k>`; returns the last output value (x itself for no layers). */
  mlp(x: number, units: readonly number[], name: string, act: ActCode, owner: number, dropout: number, role = ''): number {
    units.forEach((u, k) => { x = this.dense(x, u, `${name}.${k}`, act, owner, dropout, role && `${role}.${k}`); });
    return x;
  }

  softmax(x: number): number {
    const y = this.value(this.width(x));
    this.op({ kind: 'softmax', x, y });
    return y;
  }

  /** y = act(x); alpha as the kernel takes it (leaky ReLU's slope, ELU's scale, the smooth step's width). */
  act(x: number, act: ActCode, alpha = act === Act.leakyRelu ? 0.01 : 1): number {
    const y = this.value(this.width(x));
    this.op({ kind: 'act', x, y, act, alpha });
    return y;
  }

  concat(xs: readonly number[]): number {
    const y = this.value(xs.reduce((sum, v) => sum + this.width(v), 0));
    this.op({ kind: 'concat', xs: [...xs], y });
    return y;
  }

  slice(x: number, from: number, width: number): number {
    const y = this.value(width);
    this.op({ kind: 'slice', x, from, y });
    return y;
  }

  /** Σ_j gate_j · (block blocks[j] of e, d wide); gate holds blocks.length probabilities per row. */
  /** Runs `make(i)` for i < count, each into a branch of its own (see the 'branches' op); returns their results. */
  branches(count: number, make: (i: number) => number): number[] {
    const outer = this.#ops, branches: Op[][] = [], outs: number[] = [];
    for (let i = 0; i < count; i++) {
      const ops: Op[] = [];
      this.#ops = ops;
      outs.push(make(i));
      branches.push(ops);
    }
    this.#ops = outer;
    this.op({ kind: 'branches', branches });
    return outs;
  }

  /**
   * A causal 1-D convolution named `<name>` (tensors `<name>.weight|bias`) on x, a
   * window of `steps` steps; returns its output value (steps × units wide).
   */
  conv1d(x: number, steps: number, units: number, kernel: number, dilation: number, name: string, act: ActCode, owner: number): number {
    const t = this.denseTensors(name, kernel * (this.width(x) / steps), units, owner);
    const y = this.value(steps * units);
    this.op({ kind: 'conv1d', x, y, w: t.w, b: t.b, steps, kernel, dilation, act, alpha: act === Act.leakyRelu ? 0.01 : 1 });
    return y;
  }

  /** Pools x's `steps` time steps per channel; returns a value width(x)/steps wide. */
  temporalPool(x: number, steps: number, mode: TemporalPooling): number {
    const y = this.value(this.width(x) / steps);
    this.op({ kind: 'temporalPool', mode, x, y, steps });
    return y;
  }

  mix(e: number, blocks: readonly number[], gate: number, d: number): number {
    const y = this.value(d);
    this.op({ kind: 'mix', e, blocks: [...blocks], gate, y });
    return y;
  }

  /** x plus a learned tensor `<name>` (steps × width(x)/steps, drawn from `init`); returns its output value. */
  positional(x: number, steps: number, name: string, init: Initializer, owner: number): number {
    const p = this.tensor(name, steps, this.width(x) / steps, init, owner, '');
    const y = this.value(this.width(x));
    this.op({ kind: 'positional', x, y, p });
    return y;
  }

  /** a + b (one width). */
  add(a: number, b: number): number {
    const y = this.value(this.width(a));
    this.op({ kind: 'add', xs: [a, b], y });
    return y;
  }

  /** Layer normalization of each `cols` columns of x, tensors `<name>.gamma` (ones) and `<name>.beta` (zeros). */
  layerNorm(x: number, cols: number, name: string, owner: number, eps = 1e-5): number {
    const gamma = this.tensor(`${name}.gamma`, 1, cols, 'ones', owner, '');
    const beta = this.tensor(`${name}.beta`, 1, cols, 'zeros', owner, '');
    const y = this.value(this.width(x));
    this.op({ kind: 'layerNorm', x, y, gamma, beta, cols, eps });
    return y;
  }

  /** Self-attention over x = [q | k | v] per token; returns a value width(x)/3 wide. */
  attention(x: number, steps: number, heads: number, causal: boolean): number {
    const y = this.value(this.width(x) / 3);
    this.op({ kind: 'attention', x, y, steps, heads, causal });
    return y;
  }
}

export interface DenseTensors {
  readonly w: number;
  readonly b: number;
  readonly units: number;
}

/** A description that would take more weights than allowed (see DescriptionLimits). */
export class DescriptionLimitError extends ArgumentError {}

/** The operations of a list with branches spelled out, in forward order. */
export function flatten(ops: readonly Op[]): Op[] {
  return ops.flatMap((op) => (op.kind === 'branches' ? op.branches.flatMap(flatten) : [op]));
}

/** The tensors a list of operations uses, in the order it first uses them. */
export function tensorsOf(ops: readonly Op[]): number[] {
  const seen = new Set<number>();
  for (const op of flatten(ops)) {
    if (op.kind === 'dense' || op.kind === 'conv1d') { seen.add(op.w); if (op.b >= 0) seen.add(op.b); }
    if (op.kind === 'crossStitch' || op.kind === 'gumbel') seen.add(op.alpha);
    if (op.kind === 'embedding') seen.add(op.table);
    if (op.kind === 'positional') seen.add(op.p);
    if (op.kind === 'layerNorm') { seen.add(op.gamma); seen.add(op.beta); }
  }
  return [...seen];
}

/** The values an operation reads. */
export function inputsOf(op: Op): readonly number[] {
  switch (op.kind) {
    case 'concat': case 'crossStitch': case 'add': return op.xs;
    case 'mix': return [op.e, op.gate];
    case 'dselect': return [op.s, op.a];
    case 'gumbel': return [];
    case 'branches': return op.branches.flatMap((b) => b.flatMap((o) => [...inputsOf(o)]));
    default: return [op.x];
  }
}
