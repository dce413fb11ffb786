// The one forward-and-gradient check every layer, loss and architecture test uses,
// in the spirit of tinygrad's helper_test_op: the implementation's output against
// an f64 reference, and each gradient the implementation computed against central
// differences of that reference, with explicit tolerances — and a guard that a
// gradient is not all zero, since a check of zeros against zeros cannot fail.
import assert from 'node:assert/strict';
import { assertClose } from './reference.js';

/**
 * Central differences of the scalar f at theta (f64). Returns the gradient and the
 * largest |f| seen, from which a caller bounds the differences' own rounding (ε·|f|/h).
 */
export function centralDifferences(f, theta, h = 1e-6) {
  const t = Float64Array.from(theta), grad = new Float64Array(t.length);
  let fMax = 0;
  for (let i = 0; i < t.length; i++) {
    const keep = t[i];
    t[i] = keep + h; const up = f(t);
    t[i] = keep - h; const down = f(t);
    t[i] = keep;
    grad[i] = (up - down) / (2 * h);
    fMax = Math.max(fMax, Math.abs(up), Math.abs(down));
  }
  return { grad, fMax };
}

/** Σ_i r_i·y_i over two arrays of one length. */
function dot(y, r) {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * r[i];
  return s;
}

/** Central differences of L(θ) = ⟨r, f(θ)⟩ for a vector-valued f: what a backward given dL/dy = r computes. */
export function numericGradient(f, theta, r, h = 1e-6) {
  return centralDifferences((t) => dot(f(t), r), theta, h).grad;
}

/**
 * Checks an op:
 *   output, expected      the implementation's output and the f64 reference's (skipped if output is undefined)
 *   forward               { atol, rtol } for the output
 *   r                     dL/d(output) given to the implementation's backward (L = ⟨r, output⟩)
 *   gradients             [{ name, actual, reference: θ ↦ output (f64), theta }]: each input or
 *                         parameter the backward produced a gradient for, with the reference as a
 *                         function of that one argument (the others held at their values)
 *   gradient              { atol, rtol } for the gradients, or ({ numeric, fMax, h }) ↦ { atol, rtol } where
 *                         the bound depends on the size of the numbers (fMax: the largest |L| the
 *                         differences saw, whose rounding is ε·fMax/h)
 *   h                     the central-difference step (default 1e-6)
 *   mayBeZero             names whose gradient may be all zero (a saturated activation, an unused input)
 */
export function checkOp({ label, output, expected, forward, r, gradients = [], gradient, h = 1e-6, mayBeZero = [] }) {
  if (output !== undefined) assertClose(output, expected, { ...forward, label: `${label}: forward` });
  for (const g of gradients) {
    const { grad: numeric, fMax } = centralDifferences((t) => dot(g.reference(t), r), g.theta, h);
    const tol = typeof gradient === 'function' ? gradient({ numeric, fMax, h }) : gradient;
    if (!mayBeZero.includes(g.name)) {
      assert.ok(Array.from(numeric).some((v) => Math.abs(v) > 1e-12), `${label}: d/d ${g.name} is all zero, so the check could not fail (give inputs that exercise it)`);
    }
    assertClose(g.actual, numeric, { ...tol, label: `${label}: d/d ${g.name}` });
  }
}
