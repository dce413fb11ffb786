// Plain f64 references for the sharing architectures (src/mtl/arch/) and their
// kernels (assembly/mix.ts). Written for clarity, not speed: they define what
// the architectures compute, straight from the papers, with none of the
// implementation's buffers, copies or index lists.
//
// Parameters come as { name: Float64Array } (row-major, as Parameters stores
// them); x is rows × inputSize. archRef returns Z and every task's R_t;
// taskPartRef computes the R_t from (x, Z) alone, which is how the tests
// differentiate through Z.
import { ACTIVATIONS, affineRef, layerNormRef } from './nn-reference.js';

const ACT_ALIASES = { linear: 'identity', leaky_relu: 'leakyRelu' };

function act(name) {
  const key = ACT_ALIASES[name] ?? name;
  const alpha = key === 'leakyRelu' ? 0.01 : 1;
  return (v) => ACTIVATIONS[key].f(v, alpha);
}

/**
 * y = f(x·W + b) with W m × n taken from params[prefix.weight], b from params[prefix.bias]
 * (with `bias` false the layer must have none: y = f(x·W)).
 */
export function denseLayerRef(p, prefix, x, rows, m, n, f, bias = true) {
  const W = p[`${prefix}.weight`], b = bias ? p[`${prefix}.bias`] : new Float64Array(n);
  if (!W || W.length !== m * n) throw new Error(`reference: ${prefix}.weight should have ${m}×${n} values`);
  if (!b || b.length !== n) throw new Error(`reference: ${prefix}.bias should have ${n} values`);
  if (!bias && p[`${prefix}.bias`] !== undefined) throw new Error(`reference: ${prefix} should have no bias`);
  return affineRef(x, rows, m, W, b, n, f);
}

function mlp(p, prefix, x, rows, m, units, f) {
  let h = x, width = m;
  units.forEach((u, k) => { h = denseLayerRef(p, `${prefix}.${k}`, h, rows, width, u, f); width = u; });
  return h;
}

export function softmaxRef(x, rows, n) {
  const y = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++) {
    let m = -Infinity;
    for (let j = 0; j < n; j++) m = Math.max(m, x[i * n + j]);
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.exp(x[i * n + j] - m);
    for (let j = 0; j < n; j++) y[i * n + j] = Math.exp(x[i * n + j] - m) / s;
  }
  return y;
}

/** Σ_j g[:, j] · E_j, experts given as an array of rows × d arrays. */
function mix(g, experts, rows, d) {
  const n = experts.length, out = new Float64Array(rows * d);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < n; j++) {
      for (let c = 0; c < d; c++) out[i * d + c] += g[i * n + j] * experts[j][i * d + c];
    }
  }
  return out;
}

/** A linear gate on `input` (width m; with a bias unless spec.gateBias is false) followed by the softmax mix of `experts`. */
function gate(spec, p, prefix, input, rows, m, experts, d) {
  const logits = denseLayerRef(p, prefix, input, rows, m, experts.length, (v) => v, spec.gateBias !== false);
  return mix(softmaxRef(logits, rows, experts.length), experts, rows, d);
}

function concatRows(blocks, rows, widths) {
  const total = widths.reduce((a, b) => a + b, 0), out = new Float64Array(rows * total);
  for (let i = 0; i < rows; i++) {
    let at = 0;
    blocks.forEach((blk, b) => {
      for (let c = 0; c < widths[b]; c++) out[i * total + at + c] = blk[i * widths[b] + c];
      at += widths[b];
    });
  }
  return out;
}

function columnBlock(Z, rows, width, from, d) {
  const out = new Float64Array(rows * d);
  for (let i = 0; i < rows; i++) for (let c = 0; c < d; c++) out[i * d + c] = Z[i * width + from + c];
  return out;
}

function tower(spec, p, task, input, rows, d) {
  return spec.towerUnits.length === 0 ? Float64Array.from(input) : mlp(p, `tower.${task}`, input, rows, d, spec.towerUnits, act(spec.activation ?? 'relu'));
}

/** The gated architectures as (levels, S, K, names); MMoE is one level of n shared experts. */
function gatedShape(spec) {
  switch (spec.type) {
    case 'mmoe': return { L: 1, S: spec.experts, K: 0, expert: (l, task, i) => `experts.${i}` };
    case 'cgc': return {
      L: 1, S: spec.sharedExperts, K: spec.taskExperts,
      expert: (l, task, i) => (task === null ? `sharedExperts.${i}` : `taskExperts.${task}.${i}`),
    };
    case 'ple': return {
      L: spec.levels, S: spec.sharedExperts, K: spec.taskExperts,
      expert: (l, task, i) => (task === null ? `levels.${l}.sharedExperts.${i}` : `levels.${l}.taskExperts.${task}.${i}`),
      gate: (l, task) => (task === null ? `levels.${l}.sharedGate` : `levels.${l}.gate.${task}`),
    };
    default: return null;
  }
}

/** DSelect-k's cubic smooth step (Hazimeh et al. 2021, eq. 4). */
export function smoothStepRef(t, gamma) {
  if (t <= -gamma / 2) return 0;
  if (t >= gamma / 2) return 1;
  return (-2 / gamma ** 3) * t ** 3 + (3 / (2 * gamma)) * t + 0.5;
}

/**
 * DSelect-k's expert weights (rows × n): k selectors of m smooth-step values pick
 * expert j by the bits of j (least significant first), renormalized over the n
 * experts when n < 2^m, combined by the softmax weights a (rows × k).
 */
export function dselectRef(s, a, rows, k, m, n) {
  const w = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < k; i++) {
      const bits = (j) => { let v = 1; for (let l = 0; l < m; l++) { const sl = s[(r * k + i) * m + l]; v *= (j >> l) & 1 ? sl : 1 - sl; } return v; };
      let z = 0;
      for (let j = 0; j < n; j++) z += bits(j);
      for (let j = 0; j < n; j++) w[r * n + j] += a[r * k + i] * bits(j) / z;
    }
  }
  return w;
}

/** DSelect-k's gate of one task on x, mixing the experts (each rows × d). */
function dselectGate(spec, p, name, x, rows, inputSize, experts, d) {
  const n = spec.experts, m = Math.ceil(Math.log2(n)), k = spec.k, gamma = spec.gamma ?? 1;
  const z = denseLayerRef(p, `gate.${name}.selectors`, x, rows, inputSize, k * m, (v) => smoothStepRef(v, gamma));
  const a = softmaxRef(denseLayerRef(p, `gate.${name}.weights`, x, rows, inputSize, k, (v) => v), rows, k);
  return mix(dselectRef(z, a, rows, k, m, n), experts, rows, d);
}

/** The α matrix of cross-stitch layer l: the initial blend plus the learned offset. */
export function crossStitchAlpha(spec, p, l, T) {
  const a = spec.alphaDiagonal ?? 0.9;
  const off = p[`cross.${l}.alphaOffset`];
  return Float64Array.from({ length: T * T }, (_, i) => {
    const base = T === 1 ? 1 : i % (T + 1) === 0 ? a : (1 - a) / (T - 1);
    return base + off[i];
  });
}

/**
 * A causal 1-D convolution, straight from its definition: x is rows × steps × cin
 * (time-major), W (kernel·cin) × cout with row k·cin + c tap k of channel c, and
 * y[r, t, o] = f(b[o] + Σ_k Σ_c x[r, t − (kernel − 1 − k)·dilation, c] · W[k·cin + c, o]),
 * taps before the first step left out (zero padding).
 */
export function conv1dRef(x, rows, steps, cin, W, b, cout, kernel, dilation, f) {
  const y = new Float64Array(rows * steps * cout);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < steps; t++) {
      for (let o = 0; o < cout; o++) {
        let s = b[o];
        for (let k = 0; k < kernel; k++) {
          const src = t - (kernel - 1 - k) * dilation;
          if (src < 0) continue;
          for (let c = 0; c < cin; c++) s += x[(r * steps + src) * cin + c] * W[(k * cin + c) * cout + o];
        }
        y[(r * steps + t) * cout + o] = f(s);
      }
    }
  }
  return y;
}

/** Pooling over time: x rows × steps × channels → rows × channels (the mean, the maximum or the last step). */
export function temporalPoolRef(mode, x, rows, steps, channels) {
  const y = new Float64Array(rows * channels);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const at = (t) => x[(r * steps + t) * channels + c];
      let v = mode === 'last' ? at(steps - 1) : mode === 'max' ? -Infinity : 0;
      if (mode !== 'last') for (let t = 0; t < steps; t++) v = mode === 'max' ? Math.max(v, at(t)) : v + at(t);
      y[r * channels + c] = mode === 'avg' ? v / steps : v;
    }
  }
  return y;
}

/** The conv1d architecture's shared part: causal convolutions, pooling over time, dense layers. */
function conv1dTrunkRef(spec, p, x, rows, inputSize, f) {
  const steps = spec.steps, kernel = spec.kernelSize ?? 3;
  let h = x, cin = inputSize / steps;
  spec.filters.forEach((cout, l) => {
    const dilation = Array.isArray(spec.dilation) ? spec.dilation[l] : spec.dilation ?? 1;
    h = conv1dRef(h, rows, steps, cin, p[`conv.${l}.weight`], p[`conv.${l}.bias`], cout, kernel, dilation, f);
    cin = cout;
  });
  return mlp(p, 'shared', temporalPoolRef(spec.pooling ?? 'avg', h, rows, steps, cin), rows, cin, spec.units ?? [], f);
}

/**
 * Scaled dot-product self-attention over the `steps` tokens of each row, from its
 * definition: qkv is rows × steps × 3D ([q | k | v] per token, D = heads·dk, head h
 * at columns h·dk of each); out(i) = Σ_j softmax_j(q_i·k_j/√dk) v_j per head, heads
 * side by side (rows × steps × D); `causal`: token i sees tokens j ≤ i only.
 */
export function attentionRef(qkv, rows, steps, heads, dk, causal) {
  const D = heads * dk, out = new Float64Array(rows * steps * D);
  const at = (r, t, part, h, c) => qkv[(r * steps + t) * 3 * D + part * D + h * dk + c];
  for (let r = 0; r < rows; r++) for (let h = 0; h < heads; h++) for (let i = 0; i < steps; i++) {
    const seen = causal ? i + 1 : steps, s = new Float64Array(seen);
    for (let j = 0; j < seen; j++) for (let c = 0; c < dk; c++) s[j] += at(r, i, 0, h, c) * at(r, j, 1, h, c) / Math.sqrt(dk);
    const p = softmaxRef(s, 1, seen);
    for (let j = 0; j < seen; j++) for (let c = 0; c < dk; c++) out[(r * steps + i) * D + h * dk + c] += p[j] * at(r, j, 2, h, c);
  }
  return out;
}

/** The transformer architecture's shared part (see src/mtl/arch/transformer.ts), pre-norm, one layer after another. */
function transformerTrunkRef(spec, p, x, rows, inputSize, f) {
  const steps = spec.steps, d = spec.dModel ?? 32, heads = spec.heads ?? 2, ff = spec.feedForward ?? 64, n = rows * steps;
  const perStep = (h, m, out, name, g = (v) => v) => denseLayerRef(p, name, h, n, m, out, g);
  const norm = (h, name) => layerNormRef(h, n, d, p[`${name}.gamma`], p[`${name}.beta`], 1e-5);
  const add = (a, b) => a.map((v, i) => v + b[i]);
  let h = perStep(x, inputSize / steps, d, 'embed');
  h = h.map((v, i) => v + p.position[i % (steps * d)]);
  for (let l = 0; l < (spec.layers ?? 1); l++) {
    const qkv = perStep(norm(h, `layers.${l}.norm1`), d, 3 * d, `layers.${l}.qkv`);
    h = add(h, perStep(attentionRef(qkv, rows, steps, heads, d / heads, spec.causal ?? false), d, d, `layers.${l}.out`));
    const hidden = perStep(norm(h, `layers.${l}.norm2`), d, ff, `layers.${l}.ff.0`, f);
    h = add(h, perStep(hidden, ff, d, `layers.${l}.ff.1`));
  }
  return mlp(p, 'shared', temporalPoolRef(spec.pooling ?? 'last', norm(h, 'norm'), rows, steps, d), rows, d, spec.units ?? [], f);
}

/** Z (rows × sharedSize) and every R_t. */
export function archRef(spec, { params: p, x, rows, inputSize, taskNames }) {
  const f = act(spec.activation ?? 'relu');
  const T = taskNames.length;
  let Z;
  if (spec.type === 'sharedBottom') {
    Z = mlp(p, 'shared', x, rows, inputSize, spec.units, f);
  } else if (spec.type === 'conv1d') {
    Z = conv1dTrunkRef(spec, p, x, rows, inputSize, f);
  } else if (spec.type === 'transformer') {
    Z = transformerTrunkRef(spec, p, x, rows, inputSize, f);
  } else if (spec.type === 'dselectK') {
    const experts = Array.from({ length: spec.experts }, (_, i) => mlp(p, `experts.${i}`, x, rows, inputSize, spec.expertUnits, f));
    Z = concatRows(experts, rows, experts.map(() => spec.expertUnits.at(-1)));
  } else if (spec.type === 'omoe') {
    const d = spec.expertUnits.at(-1);
    const experts = Array.from({ length: spec.experts }, (_, i) => mlp(p, `experts.${i}`, x, rows, inputSize, spec.expertUnits, f));
    Z = gate(spec, p, 'gate', x, rows, inputSize, experts, d);
  } else if (spec.type === 'crossStitch') {
    let inputs = taskNames.map(() => x), width = inputSize;
    spec.units.forEach((u, l) => {
      const ys = taskNames.map((name, t) => denseLayerRef(p, `column.${name}.${l}`, inputs[t], rows, width, u, f));
      const alpha = crossStitchAlpha(spec, p, l, T);
      inputs = taskNames.map((_, t) => {
        const out = new Float64Array(rows * u);
        for (let s = 0; s < T; s++) for (let i = 0; i < rows * u; i++) out[i] += alpha[t * T + s] * ys[s][i];
        return out;
      });
      width = u;
    });
    Z = concatRows(inputs, rows, inputs.map(() => width));
  } else {
    const { L, S, K, expert, gate: gateName } = gatedShape(spec);
    const units = spec.expertUnits, d = units.at(-1);
    // Level inputs: per task, and shared.
    let inTask = taskNames.map(() => x), inShared = x, width = inputSize;
    let experts = [];
    for (let l = 0; l < L; l++) {
      const shared = Array.from({ length: S }, (_, i) => mlp(p, expert(l, null, i), inShared, rows, width, units, f));
      const own = taskNames.map((name, t) => Array.from({ length: K }, (_, i) => mlp(p, expert(l, name, i), inTask[t], rows, width, units, f)));
      experts = [...shared, ...own.flat()];
      if (l === L - 1) break;
      const nextTask = taskNames.map((name, t) => gate(spec, p, gateName(l, name), inTask[t], rows, width, [...shared, ...own[t]], d));
      inShared = gate(spec, p, gateName(l, null), inShared, rows, width, experts, d);
      inTask = nextTask;
      width = d;
    }
    const blocks = L >= 2 ? [...experts, ...inTask] : experts;
    Z = concatRows(blocks, rows, blocks.map(() => d));
  }
  return { Z, R: taskPartRef(spec, { params: p, x, Z, rows, inputSize, taskNames }) };
}

/** Every task's R_t from x and Z (the task parts only). */
export function taskPartRef(spec, { params: p, x, Z, rows, inputSize, taskNames }) {
  const T = taskNames.length;
  if (spec.type === 'conv1d' || spec.type === 'transformer') {
    const d = spec.units?.length ? spec.units.at(-1) : spec.type === 'conv1d' ? spec.filters.at(-1) : spec.dModel ?? 32;
    return taskNames.map((name) => tower(spec, p, name, Z, rows, d));
  }
  if (spec.type === 'sharedBottom' || spec.type === 'omoe') {
    const d = spec.type === 'omoe' ? spec.expertUnits.at(-1) : spec.units.at(-1);
    return taskNames.map((name) => tower(spec, p, name, Z, rows, d));
  }
  if (spec.type === 'crossStitch') {
    const d = spec.units.at(-1);
    return taskNames.map((name, t) => tower(spec, p, name, columnBlock(Z, rows, T * d, t * d, d), rows, d));
  }
  if (spec.type === 'dselectK') {
    const d = spec.expertUnits.at(-1), n = spec.experts;
    const experts = Array.from({ length: n }, (_, i) => columnBlock(Z, rows, n * d, i * d, d));
    return taskNames.map((name) => tower(spec, p, name, dselectGate(spec, p, name, x, rows, inputSize, experts, d), rows, d));
  }
  const { L, S, K } = gatedShape(spec);
  const d = spec.expertUnits.at(-1), N = S + T * K, width = N * d + (L >= 2 ? T * d : 0);
  const block = (i) => columnBlock(Z, rows, width, i * d, d);
  return taskNames.map((name, t) => {
    const experts = [...Array.from({ length: S }, (_, i) => block(i)), ...Array.from({ length: K }, (_, i) => block(S + t * K + i))];
    const input = L >= 2 ? block(N + t) : x;
    const m = gate(spec, p, `gate.${name}`, input, rows, L >= 2 ? d : inputSize, experts, d);
    return tower(spec, p, name, m, rows, d);
  });
}

// ---------------------------------------------------------------------------
// Kernel references (assembly/mix.ts), f64.

/** out[r] = Σ_j g[r, j]·E_{idx[j]}[r]; e rows × ldE with expert i at columns i·d. */
export function mixForwardRef(rows, n, d, e, ldE, idx, g) {
  const out = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) {
      for (let c = 0; c < d; c++) out[r * d + c] += g[r * n + j] * e[r * ldE + idx[j] * d + c];
    }
  }
  return out;
}

/** { dE (e's layout, starting from dE0 when accumulating, else from dE0 with the listed blocks replaced), dG }. */
export function mixBackwardRef(rows, n, d, e, ldE, idx, g, dOut, dE0, accumulate) {
  const dE = Float64Array.from(dE0), dG = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) {
        const at = r * ldE + idx[j] * d + c;
        dE[at] = (accumulate ? dE[at] : 0) + g[r * n + j] * dOut[r * d + c];
        s += dOut[r * d + c] * e[at];
      }
      dG[r * n + j] = s;
    }
  }
  return { dE, dG };
}

export function softmaxBackwardRef(y, dy, rows, n) {
  const dx = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += y[r * n + j] * dy[r * n + j];
    for (let j = 0; j < n; j++) dx[r * n + j] = y[r * n + j] * (dy[r * n + j] - s);
  }
  return dx;
}

/** xs: T arrays rows × d; returns T arrays y_t = Σ_s α[t, s]·x_s. */
export function crossStitchRef(xs, alpha, T, n) {
  return xs.map((_, t) => {
    const y = new Float64Array(n);
    for (let s = 0; s < T; s++) for (let i = 0; i < n; i++) y[i] += alpha[t * T + s] * xs[s][i];
    return y;
  });
}

/** { dxs (T arrays), dAlpha (T×T) } for crossStitchRef. */
export function crossStitchBackwardRef(xs, alpha, dys, T, n) {
  const dxs = xs.map((_, s) => {
    const dx = new Float64Array(n);
    for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) dx[i] += alpha[t * T + s] * dys[t][i];
    return dx;
  });
  const dAlpha = new Float64Array(T * T);
  for (let t = 0; t < T; t++) {
    for (let s = 0; s < T; s++) {
      let v = 0;
      for (let i = 0; i < n; i++) v += dys[t][i] * xs[s][i];
      dAlpha[t * T + s] = v;
    }
  }
  return { dxs, dAlpha };
}

/** LTB's noisy logits in f64: (α_j + g_j)/τ, g_j = −log(−log(u_j + 2⁻²⁵)) (Gumbel noise from uniform draws u). */
export function gumbelLogitsRef(u, alpha, tau) {
  return Float64Array.from(u, (v, j) => (alpha[j] + -Math.log(-Math.log(v + 2 ** -25))) / tau);
}

/** LTB's settled tree: every row the one-hot vector of the largest logit (the first of equals). */
export function gumbelSettledRef(alpha, rows) {
  let best = 0;
  for (let j = 1; j < alpha.length; j++) if (alpha[j] > alpha[best]) best = j;
  return Float64Array.from({ length: rows * alpha.length }, (_, i) => (i % alpha.length === best ? 1 : 0));
}
