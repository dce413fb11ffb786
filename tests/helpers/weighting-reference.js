// The weighting strategies' test harness and references: explicit gradient
// vectors and their Gram matrix, running a strategy on them (the Gram matrix, or
// the vectors themselves placed in the kernel module's memory for the strategies
// with needs.vectors), a brute-force simplex search, a bit hash for pinned
// results, and plain references for the kernels of assembly/combine.ts — f64
// unless a comparison decides something (GradDrop's P_d > U_d), where the f32
// arithmetic of the kernel is followed step by step (Math.fround) so the decision
// is the same.
import assert from 'node:assert/strict';
import { Rng, createWeighting } from '../../dist/index.js';
import { runtime, heapF32 } from '../../dist/internal.js';

// ---- explicit vectors, their Gram matrix, running a strategy ----

export const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
export const axpy = (alpha, x, y) => y.map((v, i) => v + alpha * x[i]);
export const combine = (coefs, vs) => vs.reduce((acc, v, t) => axpy(coefs[t], v, acc), new Array(vs[0].length).fill(0));
export function gramOf(vs) {
  const T = vs.length, G = new Float64Array(T * T);
  for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) G[i * T + j] = dot(vs[i], vs[j]);
  return G;
}
export const names = (T) => Array.from({ length: T }, (_, t) => `task${t}`);

export function attached(spec, T, rng = new Rng(7)) {
  const s = createWeighting(spec);
  s.attach({ taskCount: T, taskNames: names(T), rng });
  return s;
}

export function input(T, { losses, active, gram = null, vectors = null, learningRate = 0.1, step = 0, epoch = 0 } = {}) {
  return {
    losses: new Float64Array(losses ?? new Array(T).fill(1)),
    active: new Uint8Array(active ?? new Array(T).fill(1)),
    gram, vectors, learningRate, step, epoch,
  };
}

export function run(strategy, T, inp) {
  const out = { taskWeights: new Float64Array(T), sharedCoefficients: new Float64Array(T) };
  strategy.step(inp, out);
  return { w: Array.from(out.taskWeights), c: Array.from(out.sharedCoefficients) };
}

/** An Rng stand-in returning the given 32-bit values in turn (the strategies only call nextU32). */
export function scriptedRng(values) {
  let i = 0;
  return {
    nextU32() {
      assert.ok(i < values.length, 'the strategy drew more numbers than scripted');
      return values[i++];
    },
    get used() { return i; },
  };
}

/**
 * The vectors `vs` (one per task; f32) placed in the kernel module's memory as a
 * step's `vectors` input (source 'parameters': one row; 'representation': rows ×
 * width with Z given), with an output block. release() frees it all.
 */
export function placeVectors(vs, { rows = 1, z = null } = {}) {
  const { allocator } = runtime('test');
  const length = vs[0].length;
  const alloc = (values) => {
    const p = allocator.alloc(Math.max(length, 1) * 4);
    heapF32().set(values, p >>> 2);
    return p;
  };
  const pointers = vs.map((v) => alloc(Float32Array.from(v)));
  const output = alloc(new Float32Array(length));
  const representation = z ? alloc(Float32Array.from(z)) : 0;
  return {
    vectors: {
      source: z ? 'representation' : 'parameters', pointers, length, rows, width: length / rows, representation, output,
    },
    /** The combined gradient the strategy wrote. */
    output: () => heapF32().slice(output >>> 2, (output >>> 2) + length),
    release: () => [...pointers, output, ...(representation ? [representation] : [])].forEach((p) => allocator.free(p)),
  };
}

/** Runs a needs.vectors strategy on explicit vectors: { w, c, d } with d the combined gradient it wrote. */
export function runVectors(strategy, vs, inputOptions = {}, placeOptions = {}) {
  const T = vs.length;
  const placed = placeVectors(vs, placeOptions);
  try {
    const r = run(strategy, T, input(T, { gram: gramOf(vs), vectors: placed.vectors, ...inputOptions }));
    return { ...r, d: Array.from(placed.output()) };
  } finally {
    placed.release();
  }
}

/** min over a grid of the simplex of f, refined around the best point; returns [w, f(w)]. */
export function simplexSearch(f, T) {
  assert.equal(T, 3);
  let best = null, bestF = Infinity;
  const scan = (center, radius, steps) => {
    const h = (2 * radius) / steps;
    for (let i = 0; i <= steps; i++) {
      // Points off the simplex are clamped onto its boundary (so the faces are searched too).
      const a = Math.min(1, Math.max(0, center[0] - radius + i * h));
      for (let j = 0; j <= steps; j++) {
        const b = Math.min(1 - a, Math.max(0, center[1] - radius + j * h));
        const w = [a, b, 1 - a - b];
        const v = f(w);
        if (v < bestF) { bestF = v; best = w; }
      }
    }
  };
  scan([0.5, 0.5], 0.5, 200); // step 1/200
  scan(best, 0.01, 400); //       step 5e-5
  scan(best, 1e-4, 200); //       step 1e-6
  return [best, bestF];
}

/** FNV-1a of the bits of f64 values (pinned results that must be the same in every engine). */
export function fnv1a(values) {
  // (NaN's payload bits are not portable; none is expected, but map it to a fixed value.)
  const words = new Uint32Array(Float64Array.from(values, (v) => (Number.isNaN(v) ? -0.5 : v)).buffer);
  let h = 0x811c9dc5;
  for (const w of words) {
    for (let b = 0; b < 32; b += 8) h = Math.imul(h ^ ((w >>> b) & 0xff), 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

// ---- the kernels of assembly/combine.ts ----

const f = Math.fround;

/** GradDrop's factors (tasks × width) and combined gradient (rows × width), as assembly/combine.ts gradDropCombine. */
export function gradDropRef(grads, rows, width, z, uniforms, leak) {
  const T = grads.length;
  const factors = grads.map(() => new Float64Array(width));
  const out = new Float64Array(rows * width);
  const leak32 = f(leak);
  for (let d = 0; d < width; d++) {
    const s = grads.map((g) => {
      let acc = 0;
      for (let r = 0; r < rows; r++) {
        const zv = z ? z[r * width + d] : 1;
        const sign = zv > 0 ? 1 : zv < 0 ? -1 : 0;
        acc = f(acc + f(g[r * width + d] * sign));
      }
      return acc;
    });
    let sum = 0, abs = 0;
    for (const v of s) { sum = f(sum + v); abs = f(abs + Math.abs(v)); }
    const p = f(0.5 * f(1 + f(sum / f(abs + f(1e-7)))));
    const u = uniforms[d];
    s.forEach((v, t) => {
      const m = (p > u && v > 0) || (p < u && v < 0) ? 1 : 0;
      factors[t][d] = f(leak32 + f(f(1 - leak32) * m));
    });
  }
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < width; d++) {
      let acc = 0;
      for (let t = 0; t < T; t++) acc += grads[t][r * width + d] * factors[t][d];
      out[r * width + d] = acc;
    }
  }
  return { factors, out };
}

/** Coordinate-wise mean after dropping the `trim` smallest and largest of the task values. */
export function trimmedMeanRef(grads, n, trim) {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const values = grads.map((g) => g[i]).sort((a, b) => a - b).slice(trim, grads.length - trim);
    out[i] = values.reduce((a, b) => a + b, 0) / values.length;
  }
  return out;
}

/** ExcessMTL's step: h + g² and Σ g²/√(h + g² + 1e-7). */
export function accumulateSquaresRef(g, h) {
  const next = Float64Array.from(h, (v, i) => v + g[i] * g[i]);
  let s = 0;
  for (let i = 0; i < g.length; i++) s += (g[i] * g[i]) / Math.sqrt(next[i] + 1e-7);
  return { h: next, score: s };
}

// ---- references for the strategies' solvers ----

/** Solves the small dense system A x = b (Gauss–Jordan, partial pivoting); null if singular. */
export function solveRef(A, b) {
  const n = b.length, M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    if (Math.abs(M[p][c]) < 1e-14) return null;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((row, i) => row[n] / row[i]);
}

/**
 * argmin vᵀGv subject to v ≥ u, by enumerating every active set (v_i = u_i on
 * it; the rest solve G_FF v_F = −G_FA u_A) and keeping the one that meets the KKT
 * conditions: v_F ≥ u_F and (Gv)_A ≥ 0. G (n×n nested arrays) positive definite.
 */
export function dualConeRef(G, u) {
  const n = u.length;
  for (let mask = 0; mask < 1 << n; mask++) { // bit set: active (v_i = u_i)
    const free = [], act = [];
    for (let i = 0; i < n; i++) (mask & (1 << i) ? act : free).push(i);
    const v = u.slice();
    if (free.length > 0) {
      const A = free.map((i) => free.map((j) => G[i][j]));
      const b = free.map((i) => -act.reduce((s, j) => s + G[i][j] * u[j], 0));
      const x = solveRef(A, b);
      if (!x) continue;
      free.forEach((i, k) => { v[i] = x[k]; });
    }
    const Gv = G.map((row) => row.reduce((s, g, j) => s + g * v[j], 0));
    const tol = 1e-12 * (1 + Math.max(...Gv.map(Math.abs)));
    if (free.every((i) => v[i] >= u[i] - tol) && act.every((i) => Gv[i] >= -tol)) return v;
  }
  throw new Error('dualConeRef: no active set satisfies the KKT conditions');
}

/** A Gram matrix (nested arrays) → Float64Array, and back. */
export const flat = (M) => Float64Array.from(M.flat());
export const nested = (G, n) => Array.from({ length: n }, (_, i) => Array.from(G.slice(i * n, (i + 1) * n)));
