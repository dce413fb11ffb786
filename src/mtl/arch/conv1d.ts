// A temporal convolutional trunk (the temporal discriminative model: a CNN over
// windows of a series; causal convolutions as in WaveNet and TCN, Bai et al. 2018):
// each input row is a window of `steps` time steps, time-major — [x(t−steps+1) | … |
// x(t)], the same channels at every step (windows() in src/data/windows.ts builds
// such rows). Stacked causal 1-D convolutions, pooling over time, optional dense
// layers, then one tower per task:
//
//   H_0 = x                                          rows × steps × C
//   H_l = act(conv_l(H_{l−1}))                       rows × steps × filters[l]   (causal: step t sees steps ≤ t)
//   Z   = mlp(pool(H_L))                             pool: mean, max or last step over time
//   R_t = tower_t(Z)
//
// Parameters: `conv.<l>.weight` ((kernelSize·C_in) × filters[l], row k·C_in + c is
// tap k of input channel c; tap kernelSize − 1 is the current step), `conv.<l>.bias`,
// `shared.<k>.weight|bias` (the dense layers), `tower.<task>.<k>.weight|bias`.

import type { Op } from '../../graph/description.js';
import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { checkChoice, checkDim } from '../../runtime/validate.js';
import { count, defineArchitecture, optional, units, withTowers, ACTIVATION_CODES, SHARED, type CommonSpec, type OptionReader } from './common.js';

export interface Conv1dSpec extends CommonSpec {
  type: 'conv1d';
  /** Time steps per window: the input's width must be steps × channels. */
  steps: number;
  /** Output channels of each convolution layer (at least one layer). */
  filters: number[];
  /** Taps per convolution. Default 3. */
  kernelSize?: number;
  /** Spacing of the taps: one integer for every layer, or one per layer ([1, 2, 4] as in TCN). Default 1. */
  dilation?: number | number[];
  /** How the last convolution's steps become one vector per channel. Default 'avg'. */
  pooling?: 'avg' | 'max' | 'last';
  /** Dense layers after the pooling. Default []. */
  units?: number[];
}

const dilation: OptionReader<number | number[]> = (where, name, v) =>
  (v === undefined ? 1 : Array.isArray(v) ? v.map((d: unknown, i) => checkDim(where, `${name}[${i}]`, d)) : checkDim(where, name, v));

export const conv1d = defineArchitecture<Conv1dSpec>()({
  type: 'conv1d',
  options: {
    steps: count(1),
    filters: units(),
    kernelSize: optional<number>(count(1), 3),
    dilation,
    pooling: optional<'avg' | 'max' | 'last'>((where, name, v) => checkChoice(where, name, v, ['avg', 'max', 'last'] as const), 'avg'),
    units: optional<number[]>(units(true), []),
  },
  describe(c, b, taskNames) {
    const where = 'architecture "conv1d"', width = b.width(0);
    if (width % c.steps) throw new ShapeError(`${where}: the input has ${width} features, not a multiple of steps = ${c.steps} (steps × channels: see windows())`);
    const dilations = Array.isArray(c.dilation) ? c.dilation : c.filters.map(() => c.dilation as number);
    if (dilations.length !== c.filters.length) throw new ArgumentError(`${where}: dilation lists ${dilations.length} layers but filters lists ${c.filters.length}`);
    const act = ACTIVATION_CODES[c.activation];
    const shared: Op[] = [];
    b.into(shared);
    // The encoded row itself (value 0), not b.input: its time-major layout is what the
    // convolution reads, so embedded columns (appended after it) are refused (engine.ts).
    let h = 0;
    c.filters.forEach((f, l) => {
      h = b.conv1d(h, c.steps, f, c.kernelSize, dilations[l]!, `conv.${l}`, act, SHARED);
      if (c.dropout > 0) {
        const out = b.value(b.width(h));
        b.op({ kind: 'dropout', x: h, y: out, rate: c.dropout });
        h = out;
      }
    });
    const pooled = b.temporalPool(h, c.steps, c.pooling);
    const z = b.mlp(pooled, c.units, 'shared', act, SHARED, c.dropout);
    return { shared, z, tasks: withTowers(b, c, taskNames, () => z) };
  },
});
