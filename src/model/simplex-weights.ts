// Ensemble weights fitted on validation data: the member weights w (w ≥ 0,
// Σ w = 1) that minimise the validation loss of the combination Σ_m w_m · p_m.
// Both losses are convex in w, so the minimum over the simplex is global:
//
//   log loss      L(w) = −1/n Σ_i log(Σ_m w_m a_im), a_im = the probability member m
//                 gives row i's true outcome (the class, or 1−p for a binary 0);
//   squared error L(w) = 1/n Σ_i (Σ_m w_m v_im − y_i)².
//
// Solver: projected gradient descent onto the probability simplex (the sort-based
// Euclidean projection of Held, Wolfe & Crowder 1974 / Duchi et al. 2008) with an
// Armijo backtracking line search, in f64, from equal weights; it stops when a step
// changes no weight by more than 1e-10 or after 10 000 steps. Deterministic, and
// cheap at ensemble sizes (members × rows per step).

import { runtime } from '../runtime/module.js';

/** The objective to minimise: its value at w, with its gradient written into `grad`. */
export type SimplexObjective = (w: Float64Array, grad: Float64Array) => number;

/** A probability the log loss clips to, as the metrics do, so a member that gives a row 0 cannot make the loss infinite. */
const EPS = 1e-15;
const TWO_POW_512 = 2 ** 512, TWO_POW_M512 = 2 ** -512;

/** The log loss of a mixture: `a` is rows × members, a[i·M + m] the probability member m gives row i's outcome. */
export function logLossObjective(a: Float64Array, members: number): SimplexObjective {
  const rows = a.length / members;
  return (w, grad) => {
    grad.fill(0);
    // Σ log q_i as the log of a product, rescaled before it underflows, with one
    // logarithm in WASM (as the metrics take theirs): the same bits on every runtime.
    let prod = 1, scaled = 0;
    for (let i = 0; i < rows; i++) {
      let q = 0;
      for (let m = 0; m < members; m++) q += w[m]! * a[i * members + m]!;
      const qc = Math.max(q, EPS);
      prod *= qc;
      if (prod < TWO_POW_M512) { prod *= TWO_POW_512; scaled++; }
      if (q > EPS) for (let m = 0; m < members; m++) grad[m]! -= a[i * members + m]! / qc;
    }
    for (let m = 0; m < members; m++) grad[m]! /= rows;
    const k = runtime('Ensemble.fitWeights').kernels;
    return -(k.mathLog(prod) - scaled * 512 * k.mathLog(2)) / rows;
  };
}

/** The mean squared error of a mixture: `v` is rows × members, `y` one target per row. */
export function squaredErrorObjective(v: Float64Array, y: Float64Array, members: number): SimplexObjective {
  const rows = y.length;
  return (w, grad) => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < rows; i++) {
      let r = -y[i]!;
      for (let m = 0; m < members; m++) r += w[m]! * v[i * members + m]!;
      loss += r * r;
      for (let m = 0; m < members; m++) grad[m]! += 2 * r * v[i * members + m]!;
    }
    for (let m = 0; m < members; m++) grad[m]! /= rows;
    return loss / rows;
  };
}

/** The Euclidean projection of x onto { w ≥ 0, Σ w = 1 }. */
export function projectToSimplex(x: Float64Array): Float64Array {
  const n = x.length;
  const u = Float64Array.from(x).sort().reverse();
  let sum = 0, theta = 0;
  for (let j = 0; j < n; j++) {
    sum += u[j]!;
    const t = (sum - 1) / (j + 1);
    if (u[j]! - t > 0) theta = t;
  }
  return Float64Array.from(x, (v) => Math.max(v - theta, 0));
}

/** The weights on the simplex that minimise `f` (see the top of this file), and the loss there. */
export function minimiseOnSimplex(f: SimplexObjective, members: number, maxSteps = 10_000): { weights: Float64Array; loss: number; steps: number } {
  let w: Float64Array = new Float64Array(members).fill(1 / members);
  const grad = new Float64Array(members), scratch = new Float64Array(members);
  let loss = f(w, grad);
  let step = 1, steps = 0;
  for (; steps < maxSteps; steps++) {
    let next: Float64Array, nextLoss: number, decrease: number;
    // Armijo on the projected step: accept when the loss falls by at least half the linear prediction.
    for (;;) {
      next = projectToSimplex(Float64Array.from(w, (v, m) => v - step * grad[m]!));
      decrease = 0;
      for (let m = 0; m < members; m++) decrease += grad[m]! * (w[m]! - next[m]!);
      nextLoss = f(next, scratch);
      if (nextLoss <= loss - 0.5 * decrease || step < 1e-20) break;
      step /= 2;
    }
    let moved = 0;
    for (let m = 0; m < members; m++) moved = Math.max(moved, Math.abs(next[m]! - w[m]!));
    if (nextLoss > loss) break; // no descent left at any step size: w is optimal to rounding
    w = next;
    loss = f(w, grad);
    if (moved <= 1e-10) break;
    step = Math.min(step * 2, 1e6); // let the step grow back after a cut
  }
  return { weights: w, loss, steps };
}
