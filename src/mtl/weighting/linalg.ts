// Small dense linear algebra on T×T Gram matrices (T = the task count), for the
// strategies whose coefficients come from more than a min-norm problem:
//
//   solve          A x = b by Gaussian elimination with partial pivoting.
//   eigen          A = V Λ Vᵀ for symmetric A, cyclic Jacobi rotations (Aligned-MTL's
//                  balance transformation, the pseudo-inverses of IMTL-G and ConFIG).
//   pinvApply      x = A⁺ b from an eigendecomposition, eigenvalues ≤ tol taken as 0.
//   dualCone       v = argmin vᵀGv subject to v ≥ u: the weights of the projection of
//                  Σ u_t g_t onto the dual cone { d : g_t·d ≥ 0 ∀t } (UPGrad, DualProj;
//                  Quinton & Rey 2024, Proposition 1). In z = v − u it is the
//                  bound-constrained QP min ½zᵀGz + (Gu)ᵀz, z ≥ 0, solved exactly by
//                  Lawson & Hanson's active-set method (1974, ch. 23) in Gram form.
//   balance        α > 0 with G α = α^(−p): Nash-MTL's bargaining solution (p = 1;
//                  Navon et al. 2022) and FairGrad's (p = 1/α_fair; Ban & Ji 2024). It
//                  is the minimizer of the strictly convex f(α) = ½αᵀGα − Σ_i φ(α_i),
//                  φ' = α^(−p), found by Newton's method with a backtracking line search
//                  that keeps α > 0.
//
// Only + − × ÷ and Math.sqrt/abs/min/max, plus exp/log/pow from the kernel module:
// the same bits in every engine. Every array is allocated once, for the largest
// task count; results are written into the caller's arrays or this.x.

import type { Kernels } from '../../runtime/abi.js';

/**
 * Eigenvalues below λ_max·n·PINV_RTOL count as 0 in pseudo-inverses and ranks
 * (n·2⁻²³: torch's default for float32, which the Gram matrices' inputs are).
 */
export const PINV_RTOL = 2 ** -23;

/** Jacobi sweeps: each roughly squares the off-diagonal mass; 60 is far beyond need for T ≤ 100. */
const MAX_SWEEPS = 60;
const MAX_NEWTON = 100;

export class SmallLinalg {
  readonly #cap: number;
  readonly #a: Float64Array; //   n×n working copy
  readonly #b: Float64Array;
  /** Eigenvalues (first n) after eigen(). */
  readonly values: Float64Array;
  /** Eigenvectors, column j for values[j], n×n row-major, after eigen(). */
  readonly vectors: Float64Array;
  /** Results of solve(), pinvApply(), dualCone() and balance(). */
  readonly x: Float64Array;
  readonly #z: Float64Array;
  readonly #s: Float64Array;
  readonly #w: Float64Array;
  readonly #c: Float64Array;
  readonly #free: Uint8Array;
  readonly #idx: Int32Array;
  readonly #sub: Float64Array;
  readonly #rhs: Float64Array;
  readonly #grad: Float64Array;
  readonly #step: Float64Array;
  readonly #trial: Float64Array;
  readonly #gn: Float64Array;
  readonly #h: Float64Array;
  readonly #alpha: Float64Array;

  constructor(capacity: number) {
    const c = Math.max(capacity, 1);
    this.#cap = c;
    this.#a = new Float64Array(c * c);
    this.#b = new Float64Array(c);
    this.values = new Float64Array(c);
    this.vectors = new Float64Array(c * c);
    this.x = new Float64Array(c);
    this.#z = new Float64Array(c);
    this.#s = new Float64Array(c);
    this.#w = new Float64Array(c);
    this.#c = new Float64Array(c);
    this.#free = new Uint8Array(c);
    this.#idx = new Int32Array(c);
    this.#sub = new Float64Array(c * c);
    this.#rhs = new Float64Array(c);
    this.#grad = new Float64Array(c);
    this.#step = new Float64Array(c);
    this.#trial = new Float64Array(c);
    this.#gn = new Float64Array(c * c);
    this.#h = new Float64Array(c * c);
    this.#alpha = new Float64Array(c);
  }

  /**
   * x ← A⁻¹ b for the n×n row-major A (left untouched). False if a pivot is below
   * `pivotTolerance` times the largest |A_ij| (singular to working precision).
   */
  solve(A: Float64Array, b: Float64Array, n: number, pivotTolerance = 1e-13): boolean {
    this.#check(n);
    const M = this.#a, r = this.#b, x = this.x;
    let scale = 0;
    for (let i = 0; i < n * n; i++) { M[i] = A[i]!; scale = Math.max(scale, Math.abs(A[i]!)); }
    for (let i = 0; i < n; i++) r[i] = b[i]!;
    if (!(scale > 0)) return false;
    for (let col = 0; col < n; col++) {
      let p = col;
      for (let row = col + 1; row < n; row++) if (Math.abs(M[row * n + col]!) > Math.abs(M[p * n + col]!)) p = row;
      const pivot = M[p * n + col]!;
      if (!(Math.abs(pivot) > pivotTolerance * scale)) return false;
      if (p !== col) {
        for (let k = 0; k < n; k++) {
          const t = M[p * n + k]!;
          M[p * n + k] = M[col * n + k]!;
          M[col * n + k] = t;
        }
        const t = r[p]!;
        r[p] = r[col]!;
        r[col] = t;
      }
      for (let row = col + 1; row < n; row++) {
        const f = M[row * n + col]! / pivot;
        if (f === 0) continue;
        for (let k = col; k < n; k++) M[row * n + k] = M[row * n + k]! - f * M[col * n + k]!;
        r[row] = r[row]! - f * r[col]!;
      }
    }
    for (let row = n - 1; row >= 0; row--) {
      let s = r[row]!;
      for (let k = row + 1; k < n; k++) s -= M[row * n + k]! * x[k]!;
      x[row] = s / M[row * n + row]!;
    }
    return true;
  }

  /**
   * values, vectors ← the eigendecomposition of the symmetric n×n A (cyclic Jacobi,
   * Numerical Recipes' rotation; stops when the off-diagonal mass is below
   * 1e-30 of the total). Not sorted.
   */
  eigen(A: Float64Array, n: number): void {
    this.#check(n);
    const M = this.#a, V = this.vectors;
    let total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const v = 0.5 * (A[i * n + j]! + A[j * n + i]!); // symmetric by construction
        M[i * n + j] = v;
        V[i * n + j] = i === j ? 1 : 0;
        total += v * v;
      }
    }
    for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      let off = 0;
      for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += M[p * n + q]! * M[p * n + q]!;
      if (!(off > 1e-30 * total)) break;
      for (let p = 0; p < n; p++) {
        for (let q = p + 1; q < n; q++) {
          const apq = M[p * n + q]!;
          if (apq === 0) continue;
          const theta = (M[q * n + q]! - M[p * n + p]!) / (2 * apq);
          const t = Math.abs(theta) > 1e150 ? 0.5 / theta
            : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          const c = 1 / Math.sqrt(t * t + 1), s = t * c;
          for (let k = 0; k < n; k++) { // columns p, q of M·J
            const kp = M[k * n + p]!, kq = M[k * n + q]!;
            M[k * n + p] = c * kp - s * kq;
            M[k * n + q] = s * kp + c * kq;
          }
          for (let k = 0; k < n; k++) { // rows p, q of Jᵀ·(M·J)
            const pk = M[p * n + k]!, qk = M[q * n + k]!;
            M[p * n + k] = c * pk - s * qk;
            M[q * n + k] = s * pk + c * qk;
          }
          M[p * n + q] = 0;
          M[q * n + p] = 0;
          for (let k = 0; k < n; k++) {
            const kp = V[k * n + p]!, kq = V[k * n + q]!;
            V[k * n + p] = c * kp - s * kq;
            V[k * n + q] = s * kp + c * kq;
          }
        }
      }
    }
    for (let i = 0; i < n; i++) this.values[i] = M[i * n + i]!;
  }

  /** x ← A⁺ b from the last eigen() of A (n×n): eigenvalues ≤ tol count as 0. */
  pinvApply(b: Float64Array, n: number, tol: number): void {
    const V = this.vectors, x = this.x;
    for (let i = 0; i < n; i++) x[i] = 0;
    for (let j = 0; j < n; j++) {
      const l = this.values[j]!;
      if (!(l > tol)) continue;
      let proj = 0;
      for (let i = 0; i < n; i++) proj += V[i * n + j]! * b[i]!;
      const f = proj / l;
      for (let i = 0; i < n; i++) x[i] = x[i]! + f * V[i * n + j]!;
    }
  }

  /**
   * x ← argmin_v vᵀGv subject to v ≥ u (G n×n, positive definite). Lawson–Hanson
   * on z = v − u ≥ 0: the free set grows by the coordinate whose constraint pushes
   * hardest, the free coordinates solve G_FF z_F = −(Gu)_F, and a step that would
   * make a free z negative stops at the boundary and releases it. Exact in
   * finitely many steps; `tol` is the optimality tolerance on the multipliers
   * (in the units of G·u).
   */
  dualCone(G: Float64Array, u: Float64Array, n: number, tol = 1e-15): void {
    this.#check(n);
    const z = this.#z, s = this.#s, w = this.#w, c = this.#c, free = this.#free;
    for (let i = 0; i < n; i++) {
      let gi = 0;
      for (let j = 0; j < n; j++) gi += G[i * n + j]! * u[j]!;
      c[i] = gi;
      z[i] = 0;
      free[i] = 0;
    }
    let scale = 0;
    for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(c[i]!));
    const limit = tol * Math.max(scale, 1e-300);
    for (let outer = 0; outer < 3 * n + 3; outer++) {
      // w = −∇ = −(Gz + c): positive where raising z_j lowers the objective.
      let best = -1;
      for (let i = 0; i < n; i++) {
        let gi = c[i]!;
        for (let j = 0; j < n; j++) gi += G[i * n + j]! * z[j]!;
        w[i] = -gi;
        if (free[i] === 0 && w[i]! > limit && (best < 0 || w[i]! > w[best]!)) best = i;
      }
      if (best < 0) break;
      free[best] = 1;
      for (let inner = 0; inner < 3 * n + 3; inner++) {
        if (!this.#freeSolve(G, c, n, s)) { free[best] = 0; break; }
        let alpha = 1;
        let blocked = false;
        for (let i = 0; i < n; i++) {
          if (free[i] !== 0 && s[i]! <= 0) {
            blocked = true;
            const a = z[i]! / (z[i]! - s[i]!);
            if (a < alpha) alpha = a;
          }
        }
        if (!blocked) {
          for (let i = 0; i < n; i++) z[i] = s[i]!;
          break;
        }
        for (let i = 0; i < n; i++) {
          if (free[i] === 0) continue;
          z[i] = z[i]! + alpha * (s[i]! - z[i]!);
          if (z[i]! <= 0) { z[i] = 0; free[i] = 0; }
        }
      }
    }
    for (let i = 0; i < n; i++) this.x[i] = u[i]! + z[i]!;
  }

  /** s ← the solution of G_FF s_F = −c_F over the free coordinates, 0 elsewhere. */
  #freeSolve(G: Float64Array, c: Float64Array, n: number, s: Float64Array): boolean {
    const idx = this.#idx, sub = this.#sub, rhs = this.#rhs;
    let m = 0;
    for (let i = 0; i < n; i++) { s[i] = 0; if (this.#free[i] !== 0) idx[m++] = i; }
    for (let a = 0; a < m; a++) {
      for (let b = 0; b < m; b++) sub[a * m + b] = G[idx[a]! * n + idx[b]!]!;
      rhs[a] = -c[idx[a]!]!;
    }
    if (!this.solve(sub, rhs, m)) return false;
    for (let a = 0; a < m; a++) s[idx[a]!] = this.x[a]!;
    return true;
  }

  /**
   * x ← the α > 0 with G α = α^(−p) (p > 0), G n×n positive semi-definite with a
   * positive diagonal. Solved on Ĝ = G/g (g its largest diagonal entry) with
   * `ridge` added to Ĝ's diagonal, which keeps a solution in existence when the
   * gradients are linearly dependent in a way that has none (g₁ = −g₂), then
   * rescaled: α = g^(−1/(1+p))·α̂. Newton steps on f(α̂) = ½α̂ᵀĜα̂ − Σ φ(α̂_i), each
   * cut to stay inside α̂ > 0 and halved until f decreases (Armijo), from the start
   * that is exact for orthogonal gradients, α̂_i = Ĝ_ii^(−1/(1+p)); it stops when the
   * Newton decrement rᵀH⁻¹r falls below 1e-24 (relative to f). Returns the number of
   * iterations, or −1 if that was not reached in 100 (x then holds the last iterate).
   */
  balance(k: Kernels, G: Float64Array, n: number, p: number, ridge: number): number {
    this.#check(n);
    const M = this.#gn, H = this.#h, a = this.#alpha, r = this.#grad, d = this.#step, trial = this.#trial;
    let g = 0;
    for (let i = 0; i < n; i++) g = Math.max(g, G[i * n + i]!);
    for (let i = 0; i < n * n; i++) M[i] = G[i]! / g;
    for (let i = 0; i < n; i++) M[i * n + i] = M[i * n + i]! + ridge;
    const phi = (v: number): number => (p === 1 ? k.mathLog(v) : k.mathPow(v, 1 - p) / (1 - p));
    const negPow = (v: number): number => (p === 1 ? 1 / v : k.mathPow(v, -p));
    const objective = (x: Float64Array): number => {
      let f = 0;
      for (let i = 0; i < n; i++) {
        let gi = 0;
        for (let j = 0; j < n; j++) gi += M[i * n + j]! * x[j]!;
        f += 0.5 * x[i]! * gi - phi(x[i]!);
      }
      return f;
    };
    for (let i = 0; i < n; i++) a[i] = p === 1 ? 1 / Math.sqrt(M[i * n + i]!) : k.mathPow(M[i * n + i]!, -1 / (1 + p));
    let f = objective(a);
    let iterations = -1;
    for (let it = 0; it < MAX_NEWTON; it++) {
      // r = Ĝα̂ − α̂^(−p) (the gradient of f); H = Ĝ + p·diag(α̂^(−p−1)).
      for (let i = 0; i < n; i++) {
        let gi = 0;
        for (let j = 0; j < n; j++) { gi += M[i * n + j]! * a[j]!; H[i * n + j] = M[i * n + j]!; }
        const np = negPow(a[i]!);
        r[i] = gi - np;
        H[i * n + i] = H[i * n + i]! + (p * np) / a[i]!;
        trial[i] = -r[i]!;
      }
      if (!this.solve(H, trial, n, 0)) break;
      let decrement = 0;
      for (let i = 0; i < n; i++) { d[i] = this.x[i]!; decrement -= r[i]! * d[i]!; }
      if (!(decrement > 1e-24 * Math.max(1, Math.abs(f)))) { iterations = it; break; }
      // The longest step that keeps every α̂_i > 0 (up to 0.99 of the way to 0), then Armijo halving.
      let t = 1;
      for (let i = 0; i < n; i++) if (d[i]! < 0) t = Math.min(t, (-0.99 * a[i]!) / d[i]!);
      let next = f;
      for (let halvings = 0; halvings < 60; halvings++) {
        for (let i = 0; i < n; i++) trial[i] = a[i]! + t * d[i]!;
        next = objective(trial);
        if (next <= f - 1e-4 * t * decrement) break;
        t *= 0.5;
      }
      if (!(next < f)) { iterations = it; break; } // no decrease left to find: converged to rounding
      for (let i = 0; i < n; i++) a[i] = trial[i]!;
      f = next;
    }
    const rescale = p === 1 ? 1 / Math.sqrt(g) : k.mathPow(g, -1 / (1 + p));
    for (let i = 0; i < n; i++) this.x[i] = a[i]! * rescale;
    return iterations;
  }

  #check(n: number): void {
    if (n > this.#cap) throw new RangeError('SmallLinalg: more tasks than its capacity');
  }
}
