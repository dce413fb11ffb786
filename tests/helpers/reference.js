// Plain f64 references for the kernels, and the one comparison helper every
// kernel test uses. Written for clarity, not speed: they define the semantics.
import assert from 'node:assert/strict';

export { gemmRef, seededValues, F32_EPS } from './reference-core.js';

/**
 * Asserts |actual − expected| ≤ atol + rtol·scale element-wise, where scale is
 * |expected| unless given (for sums, pass Σ|terms|). Reports the worst element.
 */
export function assertClose(actual, expected, { atol, rtol, scale, label = '' }) {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    const tol = atol + rtol * (scale ? scale[i] : Math.abs(e));
    const err = Math.abs(a - e);
    if (!(err <= tol)) {
      const excess = Number.isNaN(err) ? Infinity : err / tol;
      if (worst < 0 || excess > worstExcess) { worst = i; worstExcess = excess; }
    }
  }
  if (worst >= 0) {
    const tol = atol + rtol * (scale ? scale[worst] : Math.abs(expected[worst]));
    assert.fail(`${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} ± ${tol.toExponential(2)}`);
  }
}

/** FNV-1a over the bits of a typed array (results pinned to be the same in every engine). */
export function hashBits(array) {
  let h = 0x811c9dc5;
  for (const word of new Uint32Array(array.buffer, array.byteOffset, array.byteLength / 4)) {
    for (let s = 0; s < 32; s += 8) h = Math.imul(h ^ ((word >>> s) & 0xff), 0x01000193) >>> 0;
  }
  return h;
}
