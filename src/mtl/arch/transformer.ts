// A self-attention trunk over windows of a series: Transformer encoder layers
// (Vaswani et al. 2017) whose tokens are the window's time steps. Each input row is
// a window of `steps` steps, time-major, the same channels at every step (windows()
// in src/data/windows.ts builds such rows, as for conv1d). Each step's channels are
// projected to a dModel-wide token, a learned positional encoding is added, then
// `layers` encoder layers, pre-norm (layer norm before each sub-layer, as
// PyTorch's norm_first=True and GPT-2; Xiong et al. 2020: trains without a
// learning-rate warm-up, which a small model fit with plain Adam has no room for):
//
//   H_0 = x·E + P                                    rows × steps × dModel   (E: per-step projection, P: one vector per step)
//   A_l = H_{l−1} + attn(LN(H_{l−1}))·W_o + b_o      multi-head scaled dot-product attention over the steps
//   H_l = A_l + act(LN(A_l)·W_1 + b_1)·W_2 + b_2     the position-wise feed-forward
//   Z   = mlp(pool(LN(H_L)))                         pool: the last step, the mean or the maximum over time
//   R_t = tower_t(Z)
//
// attn(h) = [softmax(Q_i K_iᵀ/√dk) V_i]_i over the heads i, with [Q | K | V] =
// h·W_qkv + b_qkv (dk = dModel/heads); with `causal`, step t attends to steps ≤ t
// only. Dropout (when set) follows the attention's output projection and each
// feed-forward layer, as in the paper.
//
// Parameters: `embed.weight|bias` (C × dModel), `position` (steps × dModel),
// `layers.<l>.norm1|norm2.gamma|beta`, `layers.<l>.qkv.weight|bias`
// (dModel × 3·dModel, columns [q | k | v], head i at columns i·dk of each),
// `layers.<l>.out.weight|bias`, `layers.<l>.ff.0|1.weight|bias`, `norm.gamma|beta`,
// `shared.<k>.weight|bias` (the dense layers), `tower.<task>.<k>.weight|bias`.

import { Act } from '../../runtime/abi.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { checkChoice } from '../../runtime/validate.js';
import type { ActCode, DescriptionBuilder, Op } from '../../graph/description.js';
import { count, defineArchitecture, flag, optional, units, withTowers, ACTIVATION_CODES, SHARED, type CommonSpec } from './common.js';

export interface TransformerSpec extends CommonSpec {
  type: 'transformer';
  /** Time steps per window: the input's width must be steps × channels. */
  steps: number;
  /** Width of every token (the model dimension). Default 32. */
  dModel?: number;
  /** Attention heads; dModel must be a multiple of it. Default 2. */
  heads?: number;
  /** Width of the feed-forward's hidden layer. Default 64 (twice the default dModel). */
  feedForward?: number;
  /** Encoder layers. Default 1. */
  layers?: number;
  /** Whether step t attends only to steps ≤ t. Default false. */
  causal?: boolean;
  /** How the last layer's steps become one vector. Default 'last'. */
  pooling?: 'avg' | 'max' | 'last';
  /** Dense layers after the pooling. Default []. */
  units?: number[];
}

/** A learned positional encoding starts small beside the tokens (BERT and GPT-2 draw theirs with σ = 0.02). */
const POSITION_INIT = { uniform: 0.02 * Math.sqrt(3) };

export const transformer = defineArchitecture<TransformerSpec>()({
  type: 'transformer',
  options: {
    steps: count(1),
    dModel: optional<number>(count(1), 32),
    heads: optional<number>(count(1), 2),
    feedForward: optional<number>(count(1), 64),
    layers: optional<number>(count(1), 1),
    causal: flag(false),
    pooling: optional<'avg' | 'max' | 'last'>((where, name, v) => checkChoice(where, name, v, ['avg', 'max', 'last'] as const), 'last'),
    units: optional<number[]>(units(true), []),
  },
  describe(c, b, taskNames) {
    const where = 'architecture "transformer"', width = b.width(0), steps = c.steps, d = c.dModel;
    if (width % steps) throw new ShapeError(`${where}: the input has ${width} features, not a multiple of steps = ${steps} (steps × channels: see windows())`);
    if (d % c.heads) throw new ArgumentError(`${where}: dModel = ${d} is not a multiple of heads = ${c.heads}`);
    const act = ACTIVATION_CODES[c.activation], ff = c.feedForward;
    const shared: Op[] = [];
    b.into(shared);
    const dropout = (h: number): number => (c.dropout > 0 ? dropoutOp(b, h, c.dropout) : h);
    // A dense layer on each step alone: a convolution of one tap.
    const perStep = (h: number, out: number, name: string, a: ActCode): number => b.conv1d(h, steps, out, 1, 1, name, a, SHARED);
    // The encoded row itself (value 0), time-major as windows() lays it out, as conv1d reads it.
    let h = b.positional(perStep(0, d, 'embed', Act.identity), steps, 'position', POSITION_INIT, SHARED);
    for (let l = 0; l < c.layers; l++) {
      const name = `layers.${l}`;
      const qkv = perStep(b.layerNorm(h, d, `${name}.norm1`, SHARED), 3 * d, `${name}.qkv`, Act.identity);
      h = b.add(h, dropout(perStep(b.attention(qkv, steps, c.heads, c.causal), d, `${name}.out`, Act.identity)));
      const hidden = dropout(perStep(b.layerNorm(h, d, `${name}.norm2`, SHARED), ff, `${name}.ff.0`, act));
      h = b.add(h, dropout(perStep(hidden, d, `${name}.ff.1`, Act.identity)));
    }
    const pooled = b.temporalPool(b.layerNorm(h, d, 'norm', SHARED), steps, c.pooling);
    const z = b.mlp(pooled, c.units, 'shared', act, SHARED, c.dropout);
    return { shared, z, tasks: withTowers(b, c, taskNames, () => z) };
  },
});

function dropoutOp(b: DescriptionBuilder, x: number, rate: number): number {
  const y = b.value(b.width(x));
  b.op({ kind: 'dropout', x, y, rate });
  return y;
}
