// Plain references for the weighting strategies' kernels (assembly/combine.ts)
// and for the strategies themselves on explicit gradient vectors: f64 unless a
// comparison decides something (GradDrop's P_d > U_d), where the f32 arithmetic
// of the kernel is followed step by step (Math.fround) so the decision is the same.

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
