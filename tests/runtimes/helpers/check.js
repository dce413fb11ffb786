// Node side of the cross-runtime GEMM checks: what Node computes with
// dist/node.js, and the comparison of another runtime's results with it and
// with the f64 reference.
import assert from 'node:assert/strict';
import { CASES, runCases, reference, hexToF32 } from './gemm-cases.js';
import { runTraining, TRAIN_STEPS } from './train-case.js';

// |got − ref| ≤ ATOL + RTOL·Σ|terms| per element (Σ|alpha·a·b| + |beta·c0| + |bias|,
// which bounds |ref|): f32 accumulation over these K ≤ 33 stays far below it.
export const ATOL = 1e-5;
export const RTOL = 1e-5;

let nodeResultsPromise;
let nodeTrainingPromise;
const singleThreadResults = new Map();

/** The cases computed in this Node process through the `node` export (dist/node.js). */
export function nodeResults() {
  nodeResultsPromise ??= (async () => {
    const mt = await import('../../../dist/node.js');
    await mt.init();
    return runCases(mt);
  })();
  return nodeResultsPromise;
}

/** The seeded training run (train-case.js) in this Node process, through dist/node.js. */
export function nodeTraining() {
  nodeTrainingPromise ??= (async () => {
    const mt = await import('../../../dist/node.js');
    await mt.init();
    return runTraining(mt);
  })();
  return nodeTrainingPromise;
}

/** `name` of tests/helpers/threads-cases.js run on Node's single-thread module, once per process. */
function onSingleThread(name) {
  if (!singleThreadResults.has(name)) {
    singleThreadResults.set(name, (async () => {
      const mt = await import('../../../dist/node.js');
      const cases = await import('../../helpers/threads-cases.js');
      await mt.init({ threads: 1 });
      return cases[name](mt);
    })());
  }
  return singleThreadResults.get(name);
}

/** The worker pool's cases on Node's single-thread module. */
export const nodeThreadCases = () => onSingleThread('runThreadCases');

/** The seeded training runs on Node's single-thread module. */
export const nodeTrainingCases = () => onSingleThread('runTrainingCases');

/** The ensemble of runEnsembleCase, its members trained one after another on Node's single-thread module. */
export const nodeEnsembleCase = () => onSingleThread('runEnsembleCase');

/** Asserts a runtime's training run ended with Node's weights and losses, bit for bit. */
export function checkTraining(runtime, got, fromNode) {
  assert.ok(got && typeof got.weights === 'string' && Array.isArray(got.losses), `${runtime}: no training result: ${JSON.stringify(got)?.slice(0, 300)}`);
  assert.equal(got.losses.length, TRAIN_STEPS, `${runtime}: number of training steps`);
  assert.ok(got.losses.every(Number.isFinite), `${runtime}: losses ${got.losses}`);
  assert.deepEqual(got.losses, fromNode.losses, `${runtime}: per-step losses differ from Node's`);
  if (got.weights !== fromNode.weights) {
    const a = hexToF32(got.weights), b = hexToF32(fromNode.weights);
    const first = a.findIndex((v, i) => !Object.is(v, b[i]));
    assert.fail(`${runtime}: weights after ${TRAIN_STEPS} seeded steps are not bit-identical to Node's (${a.length} floats; first difference at ${first}: ${a[first]} vs ${b[first]})`);
  }
}

/** Asserts `results` (from runCases in some runtime) match the reference and, bit for bit, Node. */
export function checkResults(runtime, results, fromNode) {
  assert.ok(Array.isArray(results), `${runtime}: expected an array of results, got ${JSON.stringify(results)?.slice(0, 500)}`);
  assert.equal(results.length, CASES.length, `${runtime}: number of cases`);
  CASES.forEach((c, idx) => {
    const got = results[idx];
    const label = `${runtime}, case "${c.name}"`;
    assert.equal(got.name, c.name, `${label}: case order`);
    assert.deepEqual([got.rows, got.cols], [c.M, c.N], `${label}: result shape`);
    const values = hexToF32(got.hex);
    assert.equal(values.length, c.M * c.N, `${label}: number of values`);
    const { C, scale } = reference(c);
    for (let i = 0; i < C.length; i++) {
      const err = Math.abs(values[i] - C[i]);
      const tol = ATOL + RTOL * scale[i];
      if (!(err <= tol)) {
        assert.fail(`${label}: element [${Math.floor(i / c.N)}][${i % c.N}] is ${values[i]}, the f64 reference is ${C[i]} ` +
          `(|error| ${err.toExponential(3)} > tolerance ${tol.toExponential(3)} = ${ATOL} + ${RTOL}·${scale[i].toFixed(4)})`);
      }
    }
    if (fromNode) {
      const mine = fromNode[idx];
      if (got.hex !== mine.hex) {
        const nodeValues = hexToF32(mine.hex);
        const diff = [];
        for (let i = 0; i < values.length && diff.length < 5; i++) {
          if (!Object.is(values[i], nodeValues[i]) || got.hex.slice(8 * i, 8 * i + 8) !== mine.hex.slice(8 * i, 8 * i + 8)) {
            diff.push(`[${Math.floor(i / c.N)}][${i % c.N}]: ${runtime} ${values[i]} (0x${got.hex.slice(8 * i, 8 * i + 8)}) vs node ${nodeValues[i]} (0x${mine.hex.slice(8 * i, 8 * i + 8)})`);
          }
        }
        assert.fail(`${label}: not bit-identical to Node's result with the same dist/manytask.wasm; first differences:\n  ${diff.join('\n  ')}`);
      }
    }
  });
}
