// Joint-loss weighting strategies against hand-worked cases and brute force:
// PCGrad's projections (the paper's formula on explicit vectors), MGDA's closed
// form and Frank–Wolfe against a simplex grid, CAGrad against the simplex grid and
// against its primal over the ball, uncertainty's fixed point, DWA's formula,
// RLW's distribution and seeding, a hand-worked GradNorm step; fixed weights,
// inactive tasks, state round-trips, pinned bits and every validation error.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, Rng, ArgumentError, ShapeError, TrainingDivergedError, createWeighting, WEIGHTING_TYPES } from '../../dist/index.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import {
  attached, axpy, combine, dot, fnv1a, gramOf, input, names, run, scriptedRng, simplexSearch,
} from '../helpers/weighting-reference.js';

before(async () => { await init(); });

// Tolerances. The strategies' arithmetic is a handful of f64 operations on
// Gram entries of size ~1: results are within a few ulps of the exact values.
const EXACT = { atol: 1e-15, rtol: 1e-14 };

// ---------------------------------------------------------------------------
// PCGrad

/** The paper's Algorithm 1 on explicit vectors, with the order of the j given per i. */
function pcgradRef(vs, orders) {
  return vs.map((gi, i) => {
    let pc = gi.slice();
    for (const j of orders[i]) {
      const d = dot(pc, vs[j]);
      if (d < 0) pc = axpy(-d / dot(vs[j], vs[j]), vs[j], pc);
    }
    return pc;
  }).reduce((acc, v) => axpy(1, v, acc));
}

test('PCGrad, two conflicting 2-D gradients: each is projected onto the normal plane of the other', () => {
  const g1 = [3, 1], g2 = [-2, 2]; // g1·g2 = −4 < 0
  const s = attached({ type: 'pcgrad' }, 2);
  const { w, c } = run(s, 2, input(2, { gram: gramOf([g1, g2]) }));
  // g1' = g1 − (g1·g2/‖g2‖²)·g2, g2' = g2 − (g1·g2/‖g1‖²)·g1 → coefficients 1 + 4/10 on g1 and 1 + 4/8 on g2.
  assertClose(c, [1 + 4 / 10, 1 + 4 / 8], { ...EXACT, label: 'coefficients' });
  assert.deepEqual(w, [1, 1]);
  const g1pc = axpy(4 / 8, g2, g1), g2pc = axpy(4 / 10, g1, g2);
  assertClose([dot(g1pc, g2), dot(g2pc, g1)], [0, 0], { atol: 1e-15, rtol: 0, label: 'projected onto the normal planes' });
  assertClose(combine(c, [g1, g2]), axpy(1, g1pc, g2pc), { ...EXACT, label: 'combined vs the paper' });
  assertClose(combine(c, [g1, g2]), pcgradRef([g1, g2], [[1], [0]]), { ...EXACT, label: 'combined vs reference' });
});

test('PCGrad, two agreeing gradients: left alone (coefficients 1, the plain sum)', () => {
  const g1 = [3, 1], g2 = [-1, 4]; // g1·g2 = 1 > 0
  const { c } = run(attached({ type: 'pcgrad' }, 2), 2, input(2, { gram: gramOf([g1, g2]) }));
  assert.deepEqual(c, [1, 1]);
  // Orthogonal gradients are not conflicting either.
  const { c: c2 } = run(attached({ type: 'pcgrad' }, 2), 2, input(2, { gram: gramOf([[1, 0], [0, 5]]) }));
  assert.deepEqual(c2, [1, 1]);
});

test('PCGrad, three tasks in a fixed order: the coefficients give the paper\'s sequential projections', () => {
  const vs = [[1, 0, 0.2], [-0.8, 1, 0], [-0.3, -0.9, 0.5]];
  // Each i shuffles its two other tasks with one bounded draw: a value ≥ 2³¹ keeps
  // them in index order, a smaller one swaps them (Fisher–Yates, Lemire's bound).
  const KEEP = 0xffffffff, SWAP = 0;
  const cases = [
    { draws: [KEEP, KEEP, KEEP], orders: [[1, 2], [0, 2], [0, 1]] },
    { draws: [SWAP, SWAP, SWAP], orders: [[2, 1], [2, 0], [1, 0]] },
    { draws: [KEEP, SWAP, KEEP], orders: [[1, 2], [2, 0], [0, 1]] },
  ];
  const combined = cases.map(({ draws, orders }) => {
    const rng = scriptedRng(draws);
    const { c } = run(attached({ type: 'pcgrad' }, 3, rng), 3, input(3, { gram: gramOf(vs) }));
    assert.equal(rng.used, 3, 'one draw per task');
    const d = combine(c, vs);
    assertClose(d, pcgradRef(vs, orders), { ...EXACT, label: `order ${JSON.stringify(orders)}` });
    return d;
  });
  // The order matters here, so the cases above do test it.
  assert.ok(Math.abs(combined[0][0] - combined[1][0]) > 1e-3, 'the orders give different results');
});

test('PCGrad draws its orders from the seeded rng: same seed, same result; each result one of the orders', () => {
  const vs = [[1, 0, 0.2], [-0.8, 1, 0], [-0.3, -0.9, 0.5], [0.1, -0.2, -1]];
  const G = gramOf(vs);
  const seq = (seed) => {
    const s = attached({ type: 'pcgrad' }, 4, new Rng(seed));
    return Array.from({ length: 6 }, () => run(s, 4, input(4, { gram: G })).c);
  };
  assert.deepEqual(seq(11), seq(11));
  const a = seq(11), b = seq(12);
  assert.notDeepEqual(a, b);
  const distinct = new Set(a.map((c) => c.join()));
  assert.ok(distinct.size > 1, 'the order changes between steps');
});

// ---------------------------------------------------------------------------
// MGDA

const mgdaAlpha = (g1, g2) => {
  const diff = axpy(-1, g2, g1);
  return Math.min(1, Math.max(0, dot(axpy(-1, g1, g2), g2) / dot(diff, diff)));
};

test('MGDA, two tasks: the closed form α = clamp(((g₂−g₁)·g₂)/‖g₁−g₂‖², 0, 1)', () => {
  const cases = [
    [[1, 0], [0, 2]], //       interior: α = 4/5
    [[3, 1], [-2, 2]], //      conflicting
    [[1, 0], [2, 0.1]], //     g1·g2 ≥ ‖g1‖²: α = 1 (g1 itself)
    [[2, 0.1], [1, 0]], //     α = 0
    [[0.3, -0.2, 5], [-0.1, 0.4, 4.5]],
  ];
  const expected = [0.8, null, 1, 0, null];
  cases.forEach(([g1, g2], k) => {
    const { w, c } = run(attached({ type: 'mgda' }, 2), 2, input(2, { gram: gramOf([g1, g2]) }));
    const a = mgdaAlpha(g1, g2);
    if (expected[k] !== null) assert.equal(a, expected[k]);
    assertClose(c, [a, 1 - a], { ...EXACT, label: `case ${k}` });
    assert.deepEqual(w, [1, 1]);
    // The min-norm point d is a common descent direction: d·g_t ≥ ‖d‖².
    const d = combine(c, [g1, g2]);
    for (const g of [g1, g2]) assert.ok(dot(d, g) >= dot(d, d) * (1 - 1e-12));
  });
});

test('MGDA, three tasks: Frank–Wolfe matches a brute-force search of the simplex', () => {
  const r = seededValues(30, 5);
  const cases = [
    { name: 'orthonormal (interior, 1/3 each)', vs: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], exact: [1 / 3, 1 / 3, 1 / 3] },
    { name: 'on an edge', vs: [[1, 0], [0, 1], [2, 2]], exact: [0.5, 0.5, 0] },
    { name: 'at a vertex', vs: [[1, 0.1], [3, 1], [2, -0.5]], exact: [1, 0, 0] },
    { name: 'origin in the hull', vs: [[1, 0], [-1, 1], [0, -1]] },
    { name: 'random 5-D', vs: [0, 1, 2].map((t) => Array.from(r.slice(5 * t, 5 * t + 5))) },
    { name: 'random 5-D, conflicting', vs: [3, 4, 5].map((t) => Array.from(r.slice(5 * t, 5 * t + 5)).map((x, i) => (t === 4 && i < 3 ? -x - 1 : x))) },
  ];
  for (const { name, vs, exact } of cases) {
    const G = gramOf(vs);
    const { c } = run(attached({ type: 'mgda' }, 3), 3, input(3, { gram: G }));
    const f = (w) => { const d = combine(w, vs); return dot(d, d); };
    const [wb, fb] = simplexSearch(f, 3);
    const fc = f(c);
    const scale = Math.max(...vs.map((v) => dot(v, v)));
    assert.ok(fc <= fb + 1e-12 * scale, `${name}: ‖d‖² = ${fc} exceeds the grid's ${fb}`);
    assert.ok(Math.abs(c.reduce((a, b) => a + b) - 1) < 1e-14 && c.every((x) => x >= 0), `${name}: on the simplex`);
    if (fb > 1e-6 * scale) assertClose(c, wb, { atol: 2e-5, rtol: 0, label: `${name}: weights vs the grid` });
    if (exact) assertClose(c, exact, { atol: 1e-12, rtol: 0, label: `${name}: exact weights` });
    // Optimality (KKT): (Gα)_t ≥ αᵀGα for every t, with equality where α_t > 0.
    const d = combine(c, vs), dd = dot(d, d);
    vs.forEach((g, t) => {
      assert.ok(dot(d, g) >= dd - 1e-12 * scale, `${name}: d·g_${t} ≥ ‖d‖²`);
      if (c[t] > 1e-9) assert.ok(Math.abs(dot(d, g) - dd) <= 1e-10 * scale, `${name}: d·g_${t} = ‖d‖² on the support`);
    });
  }
});

test('MGDA normalizations: the min-norm point of the normalized gradients, as coefficients of the raw ones', () => {
  const vs = [[4, 0], [0, 1], [-1, 3]];
  const losses = [2, 0.5, 1.5];
  const norms = vs.map((v) => Math.sqrt(dot(v, v)));
  const divisors = {
    l2: norms,
    loss: losses,
    'loss+': losses.map((l, t) => l * norms[t]),
  };
  for (const [normalization, div] of Object.entries(divisors)) {
    const { c } = run(attached({ type: 'mgda', normalization }, 3), 3, input(3, { losses, gram: gramOf(vs) }));
    const hats = vs.map((v, t) => v.map((x) => x / div[t]));
    const alpha = c.map((x, t) => x * div[t]);
    assertClose([alpha.reduce((a, b) => a + b)], [1], { atol: 1e-14, rtol: 0, label: `${normalization}: Σα` });
    const d = combine(alpha, hats), dd = dot(d, d);
    const [, fb] = simplexSearch((w) => { const e = combine(w, hats); return dot(e, e); }, 3);
    assert.ok(dd <= fb + 1e-12, `${normalization}: ‖d‖² ${dd} vs grid ${fb}`);
    assertClose(combine(c, vs), d, { ...EXACT, label: `${normalization}: same vector` });
  }
});

// ---------------------------------------------------------------------------
// CAGrad

test('CAGrad: the weights of a brute-force search of the simplex, and the best update within the ball', () => {
  const cases = [
    { vs: [[1, 0], [-1, 1]], c: 0.5 },
    { vs: [[3, 1], [-2, 2]], c: 0.4 },
    { vs: [[1, 0], [-0.5, 1], [-0.2, -0.9]], c: 0.5 },
    { vs: [[2, 0.3], [0.5, 1.5], [1, -0.4]], c: 0.8 },
    { vs: [[1, 0.2], [0.9, 0.3], [1.1, -0.1]], c: 0.3 }, // nearly aligned
  ];
  for (const { vs, c } of cases) {
    const T = vs.length;
    const label = `${JSON.stringify(vs)}, c ${c}`;
    const { w, c: coef } = run(attached({ type: 'cagrad', c }, T), T, input(T, { gram: gramOf(vs) }));
    assert.deepEqual(w, new Array(T).fill(1));
    const g0 = combine(new Array(T).fill(1 / T), vs);
    const radius = c * Math.sqrt(dot(g0, g0));
    const F = (x) => { const gw = combine(x, vs); return dot(gw, g0) + radius * Math.sqrt(dot(gw, gw)); };
    // Brute force over the simplex (T = 2: a fine 1-D scan; T = 3: refined grids).
    let wb;
    if (T === 2) {
      let best = Infinity;
      for (let i = 0; i <= 1e6; i++) { const x = [i / 1e6, 1 - i / 1e6]; const v = F(x); if (v < best) { best = v; wb = x; } }
    } else {
      [wb] = simplexSearch(F, 3);
    }
    const gw = combine(wb, vs);
    const lambda = radius / Math.sqrt(dot(gw, gw));
    const expected = wb.map((x) => (1 / T + lambda * x) / (1 + c * c));
    assertClose(coef, expected, { atol: 5e-6, rtol: 0, label: `${label}: coefficients` });
    // The update, times 1 + c², should maximize min_t g_t·d over the ball ‖d − g₀‖ ≤ c‖g₀‖ (the paper's
    // primal): scan the circle (2-D cases: the maximum of a concave function over the disc is on it).
    const d = combine(coef.map((x) => x * (1 + c * c)), vs);
    assertClose([Math.sqrt(dot(axpy(-1, g0, d), axpy(-1, g0, d)))], [radius], { atol: 1e-12, rtol: 1e-9, label: `${label}: on the ball` });
    const worst = (e) => Math.min(...vs.map((g) => dot(g, e)));
    const onCircle = (th) => worst([g0[0] + radius * Math.cos(th), g0[1] + radius * Math.sin(th)]);
    let bestTheta = 0, bestPrimal = -Infinity;
    for (let width = 2 * Math.PI, center = Math.PI; width > 1e-12; width /= 500) { // 4 refinements of 2000 steps
      const from = center - width / 2;
      for (let k = 0; k <= 2000; k++) {
        const th = from + (width * k) / 2000, v = onCircle(th);
        if (v > bestPrimal) { bestPrimal = v; bestTheta = th; }
      }
      center = bestTheta;
    }
    assert.ok(Math.abs(worst(d) - bestPrimal) < 1e-9 * (1 + Math.abs(bestPrimal)), `${label}: min_t g_t·d ${worst(d)} vs ${bestPrimal}`);
  }
});

test('CAGrad: c = 0 is the mean gradient; the rescale options divide by 1, 1 + c², 1 + c', () => {
  const vs = [[3, 1], [-2, 2], [0.5, -1]];
  const G = gramOf(vs);
  assertClose(run(attached({ type: 'cagrad', c: 0 }, 3), 3, input(3, { gram: G })).c, [1 / 3, 1 / 3, 1 / 3], { ...EXACT, label: 'c = 0' });
  const raw = run(attached({ type: 'cagrad', c: 0.6, rescale: 0 }, 3), 3, input(3, { gram: G })).c;
  const one = run(attached({ type: 'cagrad', c: 0.6 }, 3), 3, input(3, { gram: G })).c;
  const two = run(attached({ type: 'cagrad', c: 0.6, rescale: 2 }, 3), 3, input(3, { gram: G })).c;
  assertClose(one, raw.map((x) => x / 1.36), { ...EXACT, label: 'rescale 1' });
  assertClose(two, raw.map((x) => x / 1.6), { ...EXACT, label: 'rescale 2' });
  // Zero gradients: nothing to avoid, the mean (λ = 0), no NaN.
  const zero = run(attached({ type: 'cagrad' }, 2), 2, input(2, { gram: new Float64Array(4) })).c;
  assertClose(zero, [0.5 / 1.25, 0.5 / 1.25], { ...EXACT, label: 'zero gradients' });
});

// ---------------------------------------------------------------------------
// Uncertainty

test('uncertainty: exp(−s_t) converges to the fixed point 1/L_t under constant losses (SGD and Adam)', () => {
  const losses = [2, 0.5, 10];
  const target = losses.map((l) => 1 / l);
  // SGD: s ← s − lr(1 − e^{−s}L) contracts by 1 − lr near the fixed point: 0.9^400 ≈ 5e-19.
  const sgd = attached({ type: 'uncertainty', optimizer: 'sgd' }, 3);
  for (let k = 0; k < 400; k++) run(sgd, 3, input(3, { losses, learningRate: 0.1 }));
  assertClose(Array.from(sgd.currentWeights()), target, { atol: 0, rtol: 1e-12, label: 'sgd' });
  assertClose(Array.from(sgd.logVariances()), losses.map(Math.log), { atol: 1e-12, rtol: 0, label: 'sgd: s = log L' });
  // What the step answers is exp(−s) before its own update.
  const before = Array.from(sgd.currentWeights());
  assert.deepEqual(run(sgd, 3, input(3, { losses, learningRate: 0.1 })).w, before);
  // Adam (default): steps of about lr, then smaller as the gradient's mean and variance decay.
  const adam = attached({ type: 'uncertainty' }, 3);
  for (let k = 0; k < 3000; k++) run(adam, 3, input(3, { losses, learningRate: 0.01 }));
  assertClose(Array.from(adam.currentWeights()), target, { atol: 0, rtol: 1e-3, label: 'adam' });
});

test('uncertainty: the first steps by hand (SGD and Adam), the initial log-variance', () => {
  const sgd = attached({ type: 'uncertainty', optimizer: 'sgd', initialLogVariance: -0.5 }, 2);
  const first = run(sgd, 2, input(2, { losses: [3, 0.25], learningRate: 0.2 }));
  const w0 = Math.exp(0.5);
  assertClose(first.w, [w0, w0], { ...EXACT, label: 'w = exp(0.5)' });
  assertClose(first.c, first.w, { ...EXACT, label: 'same shared coefficients' });
  // s ← −0.5 − 0.2·(1 − e^{0.5}·L)
  assertClose(Array.from(sgd.logVariances()), [3, 0.25].map((L) => -0.5 - 0.2 * (1 - w0 * L)), { ...EXACT, label: 'sgd step' });
  // Adam's first step is lr·g/(|g| + ε) (bias-corrected m = g, v = g²): s moves by ∓lr.
  const adam = attached({ type: 'uncertainty' }, 2);
  run(adam, 2, input(2, { losses: [3, 0.25], learningRate: 0.01 }));
  assertClose(Array.from(adam.logVariances()), [0.01 * 2 / (2 + 1e-8), -0.01 * 0.75 / (0.75 + 1e-8)], { ...EXACT, label: 'adam step' });
  assert.deepEqual(adam.config(), { type: 'uncertainty', initialLogVariance: 0, optimizer: 'adam' });
});

// ---------------------------------------------------------------------------
// DWA

test('DWA: weights 1 in epochs 0 and 1, then T·softmax(r/τ) of the last two epochs\' loss ratios', () => {
  const s = attached({ type: 'dwa' }, 3);
  assert.deepEqual(s.needs, { gradients: 'none', lossHistory: true, vectors: false, lossesAfterUpdate: false });
  const step = () => run(s, 3, input(3, { losses: [9, 9, 9] }));
  assert.deepEqual(step().w, [1, 1, 1]);
  s.endEpoch(new Float64Array([1, 2, 3]));
  assert.deepEqual(step().w, [1, 1, 1]);
  s.endEpoch(new Float64Array([0.5, 1.8, 3.3]));
  // Reported for the epoch that just ended, before any step of the next one.
  assert.deepEqual(Array.from(s.currentWeights()), [1, 1, 1]);
  const r = [0.5 / 1, 1.8 / 2, 3.3 / 3];
  const e = r.map((x) => Math.exp(x / 2));
  const z = e.reduce((a, b) => a + b);
  const expected = e.map((x) => (3 * x) / z);
  const { w, c } = step();
  assertClose(w, expected, { atol: 0, rtol: 4e-16 * 8, label: 'epoch 2' });
  assert.deepEqual(c, w);
  assertClose([w.reduce((a, b) => a + b)], [3], { atol: 1e-15, rtol: 0, label: 'Σw = T' });
  assert.ok(w[2] > w[1] && w[1] > w[0], 'the task whose loss fell least weighs most');
  assert.deepEqual(Array.from(s.currentWeights()), w);
  // Next epoch: ratios of epochs 2 and 1; a task with no labels in one of them (NaN) counts as ratio 1.
  s.endEpoch(new Float64Array([0.25, NaN, 3.3]));
  const r2 = [0.25 / 0.5, 1, 1];
  const e2 = r2.map((x) => Math.exp(x / 2));
  const z2 = e2.reduce((a, b) => a + b);
  assertClose(step().w, e2.map((x) => (3 * x) / z2), { atol: 0, rtol: 4e-16 * 8, label: 'epoch 3' });
  // Temperature.
  const hot = attached({ type: 'dwa', temperature: 0.5 }, 2);
  hot.endEpoch(new Float64Array([1, 1]));
  hot.endEpoch(new Float64Array([0.8, 1.2]));
  const eh = [Math.exp(0.8 / 0.5), Math.exp(1.2 / 0.5)];
  assertClose(run(hot, 2, input(2)).w, eh.map((x) => (2 * x) / (eh[0] + eh[1])), { atol: 0, rtol: 4e-16 * 8, label: 'τ = 0.5' });
});

// ---------------------------------------------------------------------------
// RLW

test('RLW: positive weights summing to 1 (as LibMTL), a softmax of N(0, 1) draws, seeded', () => {
  const draw = (seed, n, T = 3) => {
    const s = attached({ type: 'rlw' }, T, new Rng(seed));
    return Array.from({ length: n }, () => run(s, T, input(T)));
  };
  const a = draw(3, 50);
  for (const { w, c } of a) {
    assert.ok(w.every((x) => x > 0), 'positive');
    assertClose([w.reduce((x, y) => x + y)], [1], { atol: 2e-16 * 4, rtol: 0, label: 'Σw = 1' });
    assert.deepEqual(c, w);
  }
  assert.deepEqual(draw(3, 50), a, 'same seed, same weights');
  assert.notDeepEqual(draw(4, 50), a, 'another seed, other weights');
  // With two tasks, log(w₁/w₂) = z₁ − z₂ ~ N(0, 2): check mean and variance over 4000 steps
  // (standard errors 0.022 and 0.045; the bounds are 5 of them).
  const logs = draw(5, 4000, 2).map(({ w }) => Math.log(w[0] / w[1]));
  const mean = logs.reduce((x, y) => x + y) / logs.length;
  const variance = logs.reduce((x, y) => x + (y - mean) ** 2, 0) / (logs.length - 1);
  assert.ok(Math.abs(mean) < 0.11, `mean ${mean}`);
  assert.ok(Math.abs(variance - 2) < 0.23, `variance ${variance}`);
});

test('RLW: inactive tasks get 0 and the active ones still sum to 1; the epoch mean is reported', () => {
  const s = attached({ type: 'rlw' }, 3, new Rng(9));
  let sum0 = 0, sum2 = 0;
  for (let k = 0; k < 4; k++) {
    const { w } = run(s, 3, input(3, { active: [1, 0, 1], epoch: 1 }));
    assert.equal(w[1], 0);
    assertClose([w[0] + w[2]], [1], { atol: 4e-16, rtol: 0, label: 'Σ over active' });
    sum0 += w[0]; sum2 += w[2];
  }
  const rep = Array.from(s.currentWeights());
  assertClose([rep[0], rep[2]], [sum0 / 4, sum2 / 4], { ...EXACT, label: 'epoch means' });
  assert.ok(Number.isNaN(rep[1]), 'a task never active in the epoch reports NaN');
});

// ---------------------------------------------------------------------------
// GradNorm

test('GradNorm: two hand-worked steps (SGD), then an Adam step', () => {
  const s = attached({ type: 'gradnorm', optimizer: 'sgd' }, 2);
  const gram = new Float64Array([4, 0.5, 0.5, 1]); // ‖g‖ = [2, 1]
  // Step 0: answers w = [1, 1]. L(0) = [2, 1]; G = [2, 1], Ḡ = 1.5; r = [1, 1]; target 1.5.
  // ∂L_grad/∂w = [sign(2 − 1.5)·2, sign(1 − 1.5)·1] = [2, −1]; w = [1 − 0.2, 1 + 0.1] = [0.8, 1.1], ×2/1.9.
  assert.deepEqual(run(s, 2, input(2, { losses: [2, 1], gram, learningRate: 0.1 })).w, [1, 1]);
  const w1 = [0.8 * 2 / 1.9, 1.1 * 2 / 1.9];
  assertClose(Array.from(s.currentWeights()), w1, { ...EXACT, label: 'after step 0' });
  // Step 1: losses [1, 0.8] → L̃ = [0.5, 0.8], r = L̃/0.65; G = w1·[2, 1]; Ḡ = mean; target = Ḡ·r^1.5.
  const { w, c } = run(s, 2, input(2, { losses: [1, 0.8], gram, learningRate: 0.1 }));
  assertClose(w, w1, { ...EXACT, label: 'step 1 answers the updated weights' });
  assert.deepEqual(c, w);
  const G = [w1[0] * 2, w1[1] * 1], Gbar = (G[0] + G[1]) / 2;
  const r = [0.5 / 0.65, 0.8 / 0.65];
  const target = r.map((x) => Gbar * x ** 1.5); // [0.959, 1.940]: task 0 above, task 1 below
  assert.ok(G[0] > target[0] && G[1] < target[1]);
  const raw = [w1[0] - 0.1 * 2, w1[1] + 0.1 * 1];
  const w2 = raw.map((x) => (x * 2) / (raw[0] + raw[1]));
  assertClose(Array.from(s.currentWeights()), w2, { ...EXACT, label: 'after step 1' });

  // Adam: the first step moves each weight by lr·g/(|g| + ε) before renormalizing.
  const a = attached({ type: 'gradnorm' }, 2);
  run(a, 2, input(2, { losses: [2, 1], gram, learningRate: 0.05 }));
  const rawA = [1 - 0.05 * 2 / (2 + 1e-8), 1 + 0.05 * 1 / (1 + 1e-8)];
  assertClose(Array.from(a.currentWeights()), rawA.map((x) => (x * 2) / (rawA[0] + rawA[1])), { ...EXACT, label: 'adam' });
});

/** The paper's GradNorm step (every task active, plain gradient step), in f64 with Math.pow. */
function gradnormRef(state, losses, norms, alpha, lr) {
  const T = losses.length;
  state.L0 ??= losses.slice();
  const answer = state.w.slice();
  const G = state.w.map((w, t) => w * norms[t]);
  const Gbar = G.reduce((a, b) => a + b) / T;
  const ratio = losses.map((l, t) => l / state.L0[t]);
  const mean = ratio.reduce((a, b) => a + b) / T;
  const target = ratio.map((x) => Gbar * Math.pow(x / mean, alpha));
  const raw = state.w.map((w, t) => Math.max(1e-6, w - lr * Math.sign(G[t] - target[t]) * norms[t]));
  const sum = raw.reduce((a, b) => a + b);
  state.w = raw.map((x) => (x * T) / sum);
  state.signs = G.map((g, t) => Math.sign(g - target[t]));
  return answer;
}

test('GradNorm: a sequence of steps against the paper\'s update, where α = 1.5 and α = 1 disagree', () => {
  const norms = [0.6, 1, 1.3];
  const gram = gramOf([[0.6, 0, 0], [0, 1, 0], [0, 0, 1.3]]);
  const seq = [[1, 1, 1], [0.8, 1.2, 1], [0.7, 1.1, 0.9], [0.6, 1.3, 0.85], [0.5, 1.2, 0.8], [0.45, 1.25, 0.7]];
  const s = attached({ type: 'gradnorm', optimizer: 'sgd' }, 3);
  const ref = { w: [1, 1, 1] }, ref1 = { w: [1, 1, 1] };
  let disagreements = 0;
  for (const losses of seq) {
    const expected = gradnormRef(ref, losses, norms, 1.5, 0.05);
    gradnormRef(ref1, losses, norms, 1, 0.05);
    if (ref.signs.some((x, t) => x !== ref1.signs[t])) disagreements++;
    ref1.w = ref.w.slice();
    assertClose(run(s, 3, input(3, { losses, gram, learningRate: 0.05 })).w, expected, { ...EXACT, label: `losses ${losses}` });
  }
  assertClose(Array.from(s.currentWeights()), ref.w, { ...EXACT, label: 'final' });
  assert.ok(disagreements >= 1, `the exponent changes the update in ${disagreements} steps`);
});

test('GradNorm: α = 0 equalizes the weighted gradient norms; Σw stays T', () => {
  const s = attached({ type: 'gradnorm', alpha: 0, optimizer: 'sgd' }, 3);
  const gram = gramOf([[3, 0], [0, 1], [1, 1]]); // norms 3, 1, √2
  for (let k = 0; k < 3000; k++) run(s, 3, input(3, { losses: [1, 2, 3], gram, learningRate: 0.001 }));
  const w = Array.from(s.currentWeights());
  assertClose([w.reduce((a, b) => a + b)], [3], { atol: 1e-12, rtol: 0, label: 'Σw' });
  const G = [3 * w[0], 1 * w[1], Math.SQRT2 * w[2]];
  const Gbar = (G[0] + G[1] + G[2]) / 3;
  assertClose(G, [Gbar, Gbar, Gbar], { atol: 0, rtol: 0.01, label: 'equal norms' });
});

// ---------------------------------------------------------------------------
// Fixed weights

test('fixed: weights by array or by task name; none given is equal weighting', () => {
  const byArray = attached({ type: 'fixed', weights: [0.5, 2, 0] }, 3);
  assert.deepEqual(run(byArray, 3, input(3)), { w: [0.5, 2, 0], c: [0.5, 2, 0] });
  const byName = attached({ type: 'fixed', weights: { task2: 3, task0: 1, task1: 0.25 } }, 3);
  assert.deepEqual(run(byName, 3, input(3)).w, [1, 0.25, 3]);
  assert.deepEqual(Array.from(byName.currentWeights()), [1, 0.25, 3]);
  const equal = attached({ type: 'fixed' }, 2);
  assert.deepEqual(run(equal, 2, input(2)), { w: [1, 1], c: [1, 1] });
  assert.deepEqual(equal.config(), { type: 'fixed', weights: [1, 1] });
  assert.deepEqual(byName.config(), { type: 'fixed', weights: { task2: 3, task0: 1, task1: 0.25 } });
  assert.deepEqual(equal.needs, { gradients: 'none', lossHistory: false, vectors: false, lossesAfterUpdate: false });
});

// ---------------------------------------------------------------------------
// Inactive tasks

test('inactive tasks: weight and coefficient 0, their Gram entries never read, the rest as without them', () => {
  const vs = [[3, 1], [9, 9], [-2, 2]]; // task 1 inactive
  const full = gramOf(vs);
  for (const i of [1, 3, 4, 5, 7]) full[i] = NaN; // row and column 1
  const reduced = gramOf([vs[0], vs[2]]);
  const combining = [
    { type: 'pcgrad' }, { type: 'mgda' }, { type: 'mgda', normalization: 'l2' }, { type: 'cagrad' },
    { type: 'imtl', lossScale: false }, { type: 'alignedmtl' }, { type: 'gradvac' }, { type: 'upgrad' }, { type: 'dualproj' },
    { type: 'config' },
  ];
  for (const spec of combining) {
    const three = run(attached(spec, 3), 3, input(3, { active: [1, 0, 1], gram: full, losses: [1, 5, 2] }));
    const two = run(attached(spec, 2), 2, input(2, { gram: reduced, losses: [1, 2] }));
    assert.deepEqual(three.w, [1, 0, 1], spec.type);
    assert.deepEqual(three.c, [two.c[0], 0, two.c[1]], JSON.stringify(spec));
  }
  // The strategies whose weights are loss weights (and Nash-MTL, FairGrad: their α weighs each task's own parameters too).
  for (const spec of [{ type: 'nashmtl' }, { type: 'fairgrad' }, { type: 'gls' }, { type: 'stch' }, { type: 'famo' }]) {
    const three = run(attached(spec, 3), 3, input(3, { active: [1, 0, 1], gram: full, losses: [1, 5, 2] }));
    const two = run(attached(spec, 2), 2, input(2, { gram: reduced, losses: [1, 2] }));
    assert.deepEqual(three.w, [two.w[0], 0, two.w[1]], spec.type);
    assert.deepEqual(three.c, [two.c[0], 0, two.c[1]], spec.type);
  }
  for (const spec of [{ type: 'fixed', weights: [2, 3, 4] }, { type: 'dwa' }, { type: 'uncertainty' }, { type: 'gradnorm' }]) {
    const gram = spec.type === 'gradnorm' ? full : null;
    const { w, c } = run(attached(spec, 3), 3, input(3, { active: [1, 0, 1], gram, losses: [1, 5, 2] }));
    assert.equal(w[1], 0, spec.type);
    assert.equal(c[1], 0, spec.type);
    assert.ok(w[0] > 0 && w[2] > 0, spec.type);
  }
});

test('inactive tasks leave the learned state alone (uncertainty, GradNorm)', () => {
  const u = attached({ type: 'uncertainty', optimizer: 'sgd' }, 2);
  run(u, 2, input(2, { losses: [2, 3] }));
  const s1 = Array.from(u.logVariances());
  for (let k = 0; k < 5; k++) run(u, 2, input(2, { losses: [2, 1e9], active: [1, 0] }));
  assert.equal(u.logVariances()[1], s1[1], 'uncertainty: s of the inactive task');
  assert.notEqual(u.logVariances()[0], s1[0]);

  // GradNorm: task 1 is inactive for the first steps, so its L(0) is the loss of its first active step.
  const vs = [[2, 0], [0, 1], [1, 1]];
  const g = attached({ type: 'gradnorm', optimizer: 'sgd' }, 3);
  for (let k = 0; k < 3; k++) run(g, 3, input(3, { losses: [1, 999, 2], active: [1, 0, 1], gram: gramOf(vs) }));
  const w = Array.from(g.currentWeights());
  assert.equal(w[1], 1, 'the inactive weight is untouched');
  assertClose([w[0] + w[2]], [2], { atol: 1e-15, rtol: 0, label: 'the active weights keep their total' });
  const st = g.state();
  assert.deepEqual(st.initialLosses, [1, null, 2]);
  run(g, 3, input(3, { losses: [1, 0.7, 2], gram: gramOf(vs) }));
  assert.deepEqual(g.state().initialLosses, [1, 0.7, 2]);
});

// ---------------------------------------------------------------------------
// State

const SPECS = [
  { type: 'fixed', weights: [1, 2, 3] }, { type: 'uncertainty' }, { type: 'uncertainty', optimizer: 'sgd' },
  { type: 'dwa', temperature: 1.5 }, { type: 'gradnorm' }, { type: 'rlw' }, { type: 'pcgrad' },
  { type: 'mgda', normalization: 'loss+' }, { type: 'cagrad', c: 0.3 },
  { type: 'gls' }, { type: 'imtl' }, { type: 'imtl', lossScale: false, optimizer: 'sgd' }, { type: 'nashmtl', updateWeightsEvery: 2 },
  { type: 'alignedmtl', scale: 'mean' }, { type: 'gradvac', beta: 0.25 }, { type: 'stch', warmupEpochs: 0, mu: 0.5 },
  { type: 'fairgrad', alpha: 2 }, { type: 'famo' }, { type: 'upgrad' }, { type: 'dualproj' }, { type: 'config' },
  { type: 'krum', nSelected: 2 },
];

/** One step of a strategy in the state and pinned-bits scenarios (FAMO's afterUpdate included). */
function scenarioStep(s, k) {
  const inp = scenario(k);
  const r = run(s, 3, inp);
  if (s.needs.lossesAfterUpdate) s.afterUpdate(inp.losses.map((l, t) => l * (0.9 + 0.03 * t)), inp.active);
  return r;
}

function scenario(k) {
  const vs = [0, 1, 2].map((t) => Array.from(seededValues(4, 100 + 3 * k + t)));
  return input(3, {
    losses: [1 + 0.1 * k, 2 / (k + 1), 0.5 + 0.01 * k],
    active: [1, k % 3 === 1 ? 0 : 1, 1],
    gram: gramOf(vs), learningRate: 0.01, step: k, epoch: Math.floor(k / 4),
  });
}

test('state() → JSON → restore() resumes exactly (before or after attach)', () => {
  for (const spec of SPECS) {
    const a = attached(spec, 3, new Rng(1));
    for (let k = 0; k < 6; k++) {
      scenarioStep(a, k);
      if (k % 4 === 3) a.endEpoch(new Float64Array([1 + k, NaN, 3 - 0.1 * k]));
    }
    const json = JSON.stringify(a.state());
    const b = attached(spec, 3, new Rng(1));
    b.restore(JSON.parse(json));
    const c = createWeighting(spec);
    c.restore(JSON.parse(json)); // before attach: applied by attach
    c.attach({ taskCount: 3, taskNames: names(3), rng: new Rng(1) });
    for (const s of [b, c]) {
      assert.deepEqual(s.state(), JSON.parse(json), `${spec.type}: state`);
      assert.deepEqual(Array.from(s.currentWeights()), Array.from(a.currentWeights()), `${spec.type}: currentWeights`);
      assert.deepEqual(s.config(), a.config());
    }
    // The strategies that draw nothing continue identically (the rng belongs to the trainer).
    if (spec.type !== 'rlw' && spec.type !== 'pcgrad' && spec.type !== 'gradvac') {
      for (let k = 6; k < 10; k++) assert.deepEqual(scenarioStep(b, k), scenarioStep(a, k), `${spec.type}: step ${k}`);
    }
  }
});

// ---------------------------------------------------------------------------
// Cross-engine bits (node, deno and bun run this file): exp/log/pow/cos/sin come
// from the WASM module and the rest is + − × ÷ and √, so every output is the same
// double everywhere. The pins are an FNV-1a hash of the bits of every output.

test('pinned bits: the same results in every engine', () => {
  const hashes = {};
  for (const spec of SPECS) {
    const s = attached(spec, 3, new Rng(42));
    const values = [];
    for (let k = 0; k < 12; k++) {
      const { w, c } = scenarioStep(s, k);
      values.push(...w, ...c);
      if (k % 4 === 3) s.endEpoch(new Float64Array([1 + k, 2, 3 - 0.1 * k]));
    }
    values.push(...s.currentWeights());
    hashes[JSON.stringify(spec)] = fnv1a(values);
  }
  assert.deepEqual(hashes, PINNED);
});

const PINNED = {
  '{"type":"fixed","weights":[1,2,3]}': '31297d70',
  '{"type":"uncertainty"}': 'f225f1b2',
  '{"type":"uncertainty","optimizer":"sgd"}': '4fb6d675',
  '{"type":"dwa","temperature":1.5}': '6a4283dd',
  '{"type":"gradnorm"}': 'c4d1a5ad',
  '{"type":"rlw"}': '1c190022',
  '{"type":"pcgrad"}': '1cab6916',
  '{"type":"mgda","normalization":"loss+"}': '0d7af85a',
  '{"type":"cagrad","c":0.3}': 'fd2ca403',
  '{"type":"gls"}': '6207f7bb',
  '{"type":"imtl"}': '12284b2e',
  '{"type":"imtl","lossScale":false,"optimizer":"sgd"}': 'c9cf319a',
  '{"type":"nashmtl","updateWeightsEvery":2}': 'b2c73306',
  '{"type":"alignedmtl","scale":"mean"}': '7ac35524',
  '{"type":"gradvac","beta":0.25}': 'fc20d05a',
  '{"type":"stch","warmupEpochs":0,"mu":0.5}': '5c738432',
  '{"type":"fairgrad","alpha":2}': '37870760',
  '{"type":"famo"}': 'f8ce055a',
  '{"type":"upgrad"}': '42d83daf',
  '{"type":"dualproj"}': '0a9b5d36',
  '{"type":"config"}': 'e5e758be',
  '{"type":"krum","nSelected":2}': 'c9c894c5',
};

// ---------------------------------------------------------------------------
// needs, config, validation

test('needs and config with defaults', () => {
  // needs: [gradients, lossHistory, vectors, lossesAfterUpdate]
  const expect = {
    fixed: [['none', false], { type: 'fixed' }],
    uncertainty: [['none', false], { type: 'uncertainty', initialLogVariance: 0, optimizer: 'adam' }],
    dwa: [['none', true], { type: 'dwa', temperature: 2 }],
    gradnorm: [['either', false], { type: 'gradnorm', alpha: 1.5, optimizer: 'adam', gradients: 'either' }],
    rlw: [['none', false], { type: 'rlw' }],
    pcgrad: [['parameters', false], { type: 'pcgrad', gradients: 'parameters' }],
    mgda: [['either', false], { type: 'mgda', normalization: 'none', gradients: 'either' }],
    cagrad: [['parameters', false], { type: 'cagrad', c: 0.5, rescale: 1, gradients: 'parameters' }],
    gls: [['none', false], { type: 'gls' }],
    imtl: [['either', false], { type: 'imtl', lossScale: true, optimizer: 'adam', gradients: 'either' }],
    nashmtl: [['parameters', false], { type: 'nashmtl', maxNorm: 1, updateWeightsEvery: 1, gradients: 'parameters' }],
    alignedmtl: [['either', false], { type: 'alignedmtl', scale: 'min', gradients: 'either' }],
    gradvac: [['parameters', false], { type: 'gradvac', beta: 0.5, gradients: 'parameters' }],
    graddrop: [['either', false, true], { type: 'graddrop', leak: 0, gradients: 'either' }],
    moco: [['parameters', false, true], { type: 'moco', beta: 0.5, betaSigma: 0.5, gamma: 0.1, gammaSigma: 0.5, rho: 0 }],
    dbmtl: [['parameters', false, true], { type: 'dbmtl', beta: 0.9, betaSigma: 0 }],
    stch: [['none', true], { type: 'stch', mu: 1, warmupEpochs: 4 }],
    excessmtl: [['parameters', false, true], { type: 'excessmtl', stepSize: 0.01, gradients: 'parameters' }],
    fairgrad: [['parameters', false], { type: 'fairgrad', alpha: 1, gradients: 'parameters' }],
    famo: [['none', false, false, true], { type: 'famo', learningRate: 0.025, weightDecay: 1e-3 }],
    modo: [['parameters', false, true], { type: 'modo', gamma: 1e-3, rho: 0.1 }],
    sdmgrad: [['parameters', false, true], { type: 'sdmgrad', lambda: 0.3, iterations: 20 }],
    upgrad: [['parameters', false], { type: 'upgrad', normEps: 1e-4, regEps: 1e-4, gradients: 'parameters' }],
    dualproj: [['parameters', false], { type: 'dualproj', normEps: 1e-4, regEps: 1e-4, gradients: 'parameters' }],
    config: [['parameters', false], { type: 'config', gradients: 'parameters' }],
    trimmedmean: [['parameters', false, true], { type: 'trimmedmean', trim: 1, gradients: 'parameters' }],
    krum: [['parameters', false], { type: 'krum', nByzantine: 0, nSelected: 1, gradients: 'parameters' }],
  };
  assert.deepEqual([...WEIGHTING_TYPES], Object.keys(expect));
  assert.equal(WEIGHTING_TYPES.length, 27, 'LibMTL\'s 23 (EW = fixed, UW = uncertainty) and four of torchjd\'s');
  for (const [type, [[gradients, lossHistory, vectors = false, lossesAfterUpdate = false], config]] of Object.entries(expect)) {
    const s = createWeighting({ type });
    assert.equal(s.type, type);
    assert.deepEqual({ ...s.needs }, { gradients, lossHistory, vectors, lossesAfterUpdate }, type);
    assert.deepEqual(s.config(), config, type);
  }
  assert.equal(createWeighting({ type: 'mgda', gradients: 'parameters' }).needs.gradients, 'parameters');
  assert.equal(createWeighting({ type: 'pcgrad', gradients: 'representation' }).needs.gradients, 'representation');
  assert.equal(createWeighting({ type: 'graddrop', gradients: 'parameters' }).needs.gradients, 'parameters');
  assert.equal(createWeighting({ type: 'graddrop', gradients: 'representation' }).needs.gradients, 'representation');
});

const argErr = (re) => (e) => e instanceof ArgumentError && e.code === 'E_ARGUMENT' && re.test(e.message);
const shapeErr = (re) => (e) => e instanceof ShapeError && re.test(e.message);

test('createWeighting rejects bad specs, naming the option', () => {
  const bad = [
    [undefined, /spec must be an object/],
    ['dwa', /spec must be an object/],
    [{}, /unknown weighting type undefined \(known: fixed, uncertainty, dwa, gradnorm, rlw, pcgrad, mgda, cagrad, gls, imtl, nashmtl, alignedmtl, gradvac, graddrop, moco, dbmtl, stch, excessmtl, fairgrad, famo, modo, sdmgrad, upgrad, dualproj, config, trimmedmean, krum\)/],
    [{ type: 'DWA' }, /unknown weighting type "DWA" \(known: fixed, /],
    [{ type: 'toString' }, /unknown weighting type "toString"/],
    [{ type: 'dwa', temprature: 2 }, /createWeighting\(dwa\): unknown option "temprature" \(known: type, temperature\)/],
    [{ type: 'rlw', seed: 1 }, /unknown option "seed"/],
    [{ type: 'dwa', temperature: 0 }, /temperature must be a finite number > 0, got 0/],
    [{ type: 'dwa', temperature: -1 }, /temperature must be/],
    [{ type: 'dwa', temperature: NaN }, /temperature must be/],
    [{ type: 'dwa', temperature: '2' }, /temperature must be a finite number > 0, got "2"/],
    [{ type: 'gradnorm', alpha: -0.5 }, /alpha must be a finite number ≥ 0/],
    [{ type: 'gradnorm', alpha: Infinity }, /alpha must be/],
    [{ type: 'gradnorm', optimizer: 'rmsprop' }, /optimizer must be one of "adam", "sgd", got "rmsprop"/],
    [{ type: 'gradnorm', gradients: 'rep' }, /gradients must be one of "either", "representation", "parameters"/],
    [{ type: 'uncertainty', initialLogVariance: Infinity }, /initialLogVariance must be a finite number/],
    [{ type: 'uncertainty', optimizer: 'SGD' }, /optimizer must be one of/],
    [{ type: 'uncertainty', lr: 0.1 }, /unknown option "lr"/],
    [{ type: 'cagrad', c: -0.1 }, /c must be a number in \[0, 1\), got -0.1/],
    [{ type: 'cagrad', c: 1 }, /c must be a number in \[0, 1\), got 1/],
    [{ type: 'cagrad', rescale: 3 }, /rescale must be one of 0, 1, 2, got 3/],
    [{ type: 'cagrad', rescale: '1' }, /rescale must be one of 0, 1, 2, got "1"/],
    [{ type: 'mgda', normalization: 'l1' }, /normalization must be one of "none", "l2", "loss", "loss\+"/],
    [{ type: 'mgda', mgda_gn: 'l2' }, /unknown option "mgda_gn"/],
    [{ type: 'pcgrad', gradients: 'none' }, /gradients must be one of/],
    [{ type: 'fixed', weights: [1, -1] }, /weights\[1\] must be a finite number ≥ 0, got -1/],
    [{ type: 'fixed', weights: [1, NaN] }, /weights\[1\] must be a finite number ≥ 0, got NaN/],
    [{ type: 'fixed', weights: { a: 1, b: 'x' } }, /weights\["b"\] must be a finite number ≥ 0, got "x"/],
    [{ type: 'fixed', weights: [] }, /weights must not be empty/],
    [{ type: 'fixed', weights: {} }, /weights must not be empty/],
    [{ type: 'fixed', weights: [0, 0] }, /weights must not all be 0/],
    [{ type: 'fixed', weights: 1 }, /weights must be an array of numbers or a record/],
    [{ type: 'fixed', weights: new Float64Array(2) }, /weights must be an array of numbers or a record/],
    [{ type: 'gls', weights: [1] }, /createWeighting\(gls\): unknown option "weights" \(known: type\)/],
    [{ type: 'imtl', lossScale: 'yes' }, /imtl\): lossScale must be true or false, got "yes"/],
    [{ type: 'imtl', optimizer: 'rmsprop' }, /optimizer must be one of "adam", "sgd"/],
    [{ type: 'nashmtl', maxNorm: -1 }, /nashmtl\): maxNorm must be a finite number ≥ 0, got -1/],
    [{ type: 'nashmtl', updateWeightsEvery: 0 }, /updateWeightsEvery must be an integer ≥ 1, got 0/],
    [{ type: 'nashmtl', updateWeightsEvery: 1.5 }, /updateWeightsEvery must be an integer ≥ 1, got 1.5/],
    [{ type: 'nashmtl', optim_niter: 20 }, /unknown option "optim_niter"/],
    [{ type: 'alignedmtl', scale: 'max' }, /scale must be one of "min", "median", "mean", got "max"/],
    [{ type: 'gradvac', beta: 1.5 }, /gradvac\): beta must be a number in \[0, 1\], got 1.5/],
    [{ type: 'gradvac', groupType: 1 }, /unknown option "groupType"/],
    [{ type: 'graddrop', leak: -0.1 }, /graddrop\): leak must be a number in \[0, 1\], got -0.1/],
    [{ type: 'graddrop', gradients: 'none' }, /gradients must be one of "either", "representation", "parameters"/],
    [{ type: 'moco', beta: 0 }, /moco\): beta must be a number in \(0, 1\], got 0/],
    [{ type: 'moco', gamma: 0 }, /gamma must be a finite number > 0, got 0/],
    [{ type: 'moco', rho: -1 }, /rho must be a finite number ≥ 0, got -1/],
    [{ type: 'moco', gradients: 'parameters' }, /unknown option "gradients" \(known: type, beta, betaSigma, gamma, gammaSigma, rho\)/],
    [{ type: 'dbmtl', beta: 1 }, /dbmtl\): beta must be a number in \[0, 1\), got 1/],
    [{ type: 'dbmtl', betaSigma: -1 }, /betaSigma must be a finite number ≥ 0/],
    [{ type: 'stch', mu: 0 }, /stch\): mu must be a finite number > 0, got 0/],
    [{ type: 'stch', warmupEpochs: -1 }, /warmupEpochs must be an integer ≥ 0, got -1/],
    [{ type: 'stch', warmupEpochs: 2.5 }, /warmupEpochs must be an integer ≥ 0, got 2.5/],
    [{ type: 'excessmtl', stepSize: 0 }, /excessmtl\): stepSize must be a finite number > 0, got 0/],
    [{ type: 'fairgrad', alpha: 0 }, /fairgrad\): alpha must be a finite number > 0, got 0/],
    [{ type: 'famo', learningRate: 0 }, /famo\): learningRate must be a finite number > 0, got 0/],
    [{ type: 'famo', weightDecay: -1 }, /weightDecay must be a finite number ≥ 0, got -1/],
    [{ type: 'modo', gamma: 0 }, /modo\): gamma must be a finite number > 0, got 0/],
    [{ type: 'modo', rho: -0.1 }, /rho must be a finite number ≥ 0, got -0.1/],
    [{ type: 'sdmgrad', lambda: -1 }, /sdmgrad\): lambda must be a finite number ≥ 0, got -1/],
    [{ type: 'sdmgrad', iterations: 0 }, /iterations must be an integer from 1 to 10000, got 0/],
    [{ type: 'upgrad', regEps: 0 }, /upgrad\): regEps must be a finite number > 0, got 0/],
    [{ type: 'upgrad', normEps: -1 }, /normEps must be a finite number ≥ 0, got -1/],
    [{ type: 'dualproj', regEps: NaN }, /dualproj\): regEps must be a finite number > 0, got NaN/],
    [{ type: 'dualproj', prefVector: [1, 1] }, /unknown option "prefVector"/],
    [{ type: 'config', gradients: 'both' }, /config\): gradients must be one of/],
    [{ type: 'trimmedmean', trim: -1 }, /trimmedmean\): trim must be an integer ≥ 0, got -1/],
    [{ type: 'trimmedmean', trim: 0.5 }, /trim must be an integer ≥ 0, got 0.5/],
    [{ type: 'krum', nByzantine: -1 }, /krum\): nByzantine must be an integer ≥ 0, got -1/],
    [{ type: 'krum', nSelected: 0 }, /nSelected must be an integer ≥ 1, got 0/],
  ];
  for (const [spec, re] of bad) assert.throws(() => createWeighting(spec), argErr(re), JSON.stringify(spec));
});

test('attach, step, endEpoch and restore reject what does not fit', () => {
  const ctx = (T) => ({ taskCount: T, taskNames: names(T), rng: new Rng(1) });
  assert.throws(() => createWeighting({ type: 'fixed', weights: [1, 2] }).attach(ctx(3)),
    argErr(/weights has 2 entries but there are 3 tasks \(task0, task1, task2\)/));
  assert.throws(() => createWeighting({ type: 'fixed', weights: { task0: 1, tsak1: 2 } }).attach(ctx(2)),
    argErr(/weights names an unknown task "tsak1" \(tasks: task0, task1\)/));
  assert.throws(() => createWeighting({ type: 'fixed', weights: { task0: 1 } }).attach(ctx(2)),
    argErr(/weights has no entry for task "task1"/));
  assert.throws(() => createWeighting({ type: 'dwa' }).attach({ taskCount: 0, taskNames: [] }), shapeErr(/taskCount must be a positive integer/));
  assert.throws(() => createWeighting({ type: 'dwa' }).attach({ taskCount: 2, taskNames: ['a'] }), shapeErr(/taskNames must be an array of 2 names/));
  assert.throws(() => createWeighting({ type: 'rlw' }).attach({ taskCount: 2, taskNames: ['a', 'b'] }), argErr(/rlw.attach: the context has no rng/));
  assert.throws(() => createWeighting({ type: 'gradvac' }).attach({ taskCount: 2, taskNames: ['a', 'b'] }), argErr(/gradvac.attach: the context has no rng/));
  assert.throws(() => createWeighting({ type: 'graddrop' }).attach({ taskCount: 2, taskNames: ['a', 'b'] }), argErr(/graddrop.attach: the context has no rng/));
  assert.throws(() => createWeighting({ type: 'trimmedmean' }).attach(ctx(2)), argErr(/trimmedmean.attach: trim 1 needs at least 3 tasks \(2·trim \+ 1\), the model has 2/));
  assert.doesNotThrow(() => createWeighting({ type: 'trimmedmean', trim: 0 }).attach(ctx(1)));

  const out = (T) => ({ taskWeights: new Float64Array(T), sharedCoefficients: new Float64Array(T) });
  assert.throws(() => createWeighting({ type: 'dwa' }).step(input(2), out(2)), argErr(/dwa.step: call attach\(\) first/));
  assert.throws(() => createWeighting({ type: 'dwa' }).currentWeights(), argErr(/call attach\(\) first/));
  const m = attached({ type: 'mgda' }, 2);
  assert.throws(() => m.step(input(2), out(2)), shapeErr(/mgda.step: gram must be a 2×2 Float64Array \(4 values\), got null/));
  assert.throws(() => m.step(input(2, { gram: new Float64Array(3) }), out(2)), shapeErr(/gram must be a 2×2/));
  const nanGram = new Float64Array([1, NaN, NaN, 1]);
  assert.throws(() => m.step(input(2, { gram: nanGram }), out(2)), argErr(/gram\[0\]\[1\] is NaN/));
  assert.doesNotThrow(() => m.step(input(2, { gram: nanGram, active: [1, 0] }), out(2)));
  assert.throws(() => m.step(input(3, { gram: new Float64Array(4) }), out(2)), shapeErr(/losses must be a Float64Array of 2/));
  assert.throws(() => m.step(input(2, { gram: new Float64Array(4) }), out(3)), shapeErr(/taskWeights must be a Float64Array of 2/));
  const u = attached({ type: 'uncertainty' }, 2);
  assert.throws(() => u.step(input(2, { losses: [1, Infinity] }), out(2)), argErr(/the loss of active task "task1" is Infinity/));
  assert.doesNotThrow(() => u.step(input(2, { losses: [1, NaN], active: [1, 0] }), out(2)));
  assert.throws(() => u.step(input(2, { learningRate: -1 }), out(2)), argErr(/learningRate must be a finite number ≥ 0, got -1/));
  assert.throws(() => u.step({ ...input(2), active: [1, 1] }, out(2)), shapeErr(/active must be a Uint8Array of 2/));
  const d = attached({ type: 'dwa' }, 2);
  assert.throws(() => d.endEpoch(new Float64Array(3)), shapeErr(/dwa.endEpoch: epochLosses must be a Float64Array of 2 losses/));

  assert.throws(() => u.restore(null), argErr(/state must be an object from state\(\)/));
  assert.throws(() => u.restore({ type: 'gradnorm' }), argErr(/state is for a "gradnorm" strategy, not "uncertainty"/));
  const st = u.state();
  assert.throws(() => u.restore({ ...st, logVariances: [0] }), argErr(/state.logVariances must be an array of 2 numbers/));
  assert.throws(() => u.restore({ ...st, m: [0, 'x'] }), argErr(/state.m\[1\] must be a finite number, got "x"/));
  assert.throws(() => u.restore({ ...st, v: [0, -1] }), argErr(/state.v\[1\] must be ≥ 0/));
  const g = attached({ type: 'gradnorm' }, 2);
  assert.throws(() => g.restore({ ...g.state(), weights: [1, 0] }), argErr(/state.weights\[1\] must be > 0/));
  assert.throws(() => d.restore({ ...d.state(), epochs: -1 }), argErr(/state.epochs must be an integer ≥ 0/));
  const p = attached({ type: 'pcgrad' }, 2);
  assert.throws(() => p.restore({ type: 'pcgrad' }), argErr(/state.report must be an object/));
  const n = attached({ type: 'nashmtl' }, 2);
  assert.throws(() => n.restore({ ...n.state(), steps: -1 }), argErr(/nashmtl.restore: state.steps must be an integer ≥ 0, got -1/));
  assert.throws(() => n.restore({ ...n.state(), alpha: [1, -1] }), argErr(/state.alpha\[1\] must be ≥ 0/));
  const v = attached({ type: 'gradvac' }, 2);
  assert.throws(() => v.restore({ ...v.state(), targets: [0, 2, 0, 0] }), argErr(/gradvac.restore: state.targets\[1\] must be in \[−1, 1\]/));
  const st2 = attached({ type: 'stch' }, 2);
  assert.throws(() => st2.restore({ ...st2.state(), nadir: [1, null] }), argErr(/stch.restore: state.nadir\[0\] must be null during the warm-up, got 1/));
  assert.throws(() => st2.restore({ ...st2.state(), epochs: 9, nadir: [1, null] }), argErr(/state.nadir\[1\] must be a number > 0 after the warm-up, got NaN/));
  const f = attached({ type: 'famo' }, 2);
  assert.throws(() => f.restore({ ...f.state(), logits: [0, 'x'] }), argErr(/famo.restore: state.logits\[1\] must be a finite number, got "x"/));
  assert.throws(() => f.afterUpdate(new Float64Array(3), new Uint8Array(2)), shapeErr(/famo.afterUpdate: losses must be a Float64Array of 2/));
  const late = createWeighting({ type: 'uncertainty' });
  late.restore({ ...st, logVariances: [0, 0, 0] });
  assert.throws(() => late.attach(ctx(2)), argErr(/state.logVariances must be an array of 2 numbers/));
});

test('numeric options that cannot work are refused with their range; the edges that work are accepted', () => {
  // Before: accepted, and fit resolved with every weight 0 and a loss that never moved
  // (1e6), or failed in a loss kernel's argument check ("gradScale …") on its first step.
  const bad = [
    [{ type: 'uncertainty', initialLogVariance: 1e6 }, /uncertainty\): initialLogVariance is 1000000, outside \[−88\.72, 88\.72\]: the first task weight exp\(−initialLogVariance\) would be 0 in float32, and nothing would train/],
    [{ type: 'uncertainty', initialLogVariance: -89 }, /initialLogVariance is -89, outside \[−88\.72, 88\.72\]: the first task weight exp\(−initialLogVariance\) would be beyond float32 \(3\.4e38\)/],
    [{ type: 'fixed', weights: [1e39, 1, 1] }, /createWeighting\(fixed\): weights\[0\] is 1e\+39, beyond the float32 range \(±3\.4e38\) the kernels compute in/],
    [{ type: 'fixed', weights: { a: 1, b: 1e39 } }, /weights\["b"\] is 1e\+39, beyond the float32 range/],
    [{ type: 'fixed', weights: [1e-50, 0] }, /weights must not all be 0 \(in float32\)/],
    [{ type: 'excessmtl', stepSize: 1000 }, /excessmtl\): stepSize is 1000, above 709\.78 \(ln of the largest double\): the weights' factor exp\(stepSize·e_t\/e_t\(0\)\) overflows/],
  ];
  for (const [spec, re] of bad) assert.throws(() => createWeighting(spec), argErr(re), JSON.stringify(spec));
  for (const spec of [
    { type: 'uncertainty', initialLogVariance: 88.72 }, { type: 'uncertainty', initialLogVariance: -88.72 },
    { type: 'fixed', weights: [3.4e38, 1e-40] }, { type: 'excessmtl', stepSize: 709.78 }, { type: 'excessmtl', stepSize: 100 },
  ]) assert.doesNotThrow(() => createWeighting(spec), JSON.stringify(spec));
});

/** A TrainingDivergedError of a weighting strategy's step, naming the task. */
const strategyDiverged = (task, step, what, problem = /is not finite/) => (e) => {
  assert.ok(e instanceof TrainingDivergedError, `expected TrainingDivergedError, got ${e?.constructor?.name}: ${e?.message}`);
  assert.deepEqual([e.task, e.step, e.what], [task, step, what]);
  assert.match(e.message, new RegExp(`^training diverged at step ${step}: ${what} of task "${task}" ${problem.source}`));
  return true;
};

test('a step whose task weights or learned state float32 cannot carry is a TrainingDivergedError naming the task', () => {
  const out = (T) => ({ taskWeights: new Float64Array(T), sharedCoefficients: new Float64Array(T) });
  // A learned state that is not finite (state() would write null, which restore() refuses):
  // s ← 0 − 1e300·(1 − 1e10) overflows.
  const u = attached({ type: 'uncertainty', optimizer: 'sgd' }, 2);
  assert.throws(() => u.step(input(2, { losses: [1e10, 1], learningRate: 1e300, step: 4 }), out(2)), strategyDiverged('task0', 4, 'the log-variance'));
  // A finite state whose weights float32 cannot carry: s = 1000 gives exp(−1000), 0 in float32,
  // and the task would stop learning. The step that reaches it answers; the next one, and
  // checkUsable (what the trainer asks when a run ends), refuse to start from it.
  const v = attached({ type: 'uncertainty', optimizer: 'sgd' }, 2);
  const first = run(v, 2, input(2, { losses: [2, 1], learningRate: 1e3 }));
  assert.deepEqual(first.w, [1, 1]);
  assert.deepEqual(Array.from(v.logVariances()), [1000, 0]);
  const vanished = /is exp\(-1\.00e\+3\), 0 in float32: the task would stop learning/;
  assert.throws(() => v.checkUsable(1), strategyDiverged('task0', 1, 'the task weight', vanished));
  const before = v.state();
  assert.throws(() => v.step(input(2, { step: 1 }), out(2)), strategyDiverged('task0', 1, 'the task weight', vanished));
  assert.deepEqual(v.state(), before, 'refused before it computed anything');
  // IMTL's scale e^(s_t), the other way round.
  const i = attached({ type: 'imtl', optimizer: 'sgd' }, 2);
  run(i, 2, input(2, { losses: [1, 3], gram: new Float64Array([1, 0, 0, 1]), learningRate: 100 }));
  assert.throws(() => i.checkUsable(1), strategyDiverged('task1', 1, 'the task weight', /is exp\(-200\), 0 in float32/));
  // Task weights that are not finite: DWA at a subnormal temperature, whose loss ratios
  // over it overflow (ratio/τ = ∞, and the softmax gives NaN).
  const d = attached({ type: 'dwa', temperature: 5e-324 }, 2);
  d.endEpoch(new Float64Array([1, 1]));
  d.endEpoch(new Float64Array([2, 0.5]));
  assert.throws(() => d.step(input(2, { step: 7 }), out(2)), strategyDiverged('task0', 7, 'the task weight'));
  // A state stepped after the update (FAMO): a weight decay of 1e300 overflows Adam's
  // second moment, at the step whose afterUpdate overflowed.
  const f = attached({ type: 'famo', weightDecay: 1e300 }, 2);
  run(f, 2, input(2, { losses: [1, 1], step: 0 }));
  f.afterUpdate(new Float64Array([0.5, 1]), new Uint8Array([1, 1]));
  run(f, 2, input(2, { losses: [1, 1], step: 1 }));
  assert.throws(() => f.afterUpdate(new Float64Array([0.5, 1]), new Uint8Array([1, 1])), strategyDiverged('task0', 1, 'the weighting state'));
});

test('snapshot() of a strategy without running vectors is its state(), and restore() puts it back', () => {
  const u = attached({ type: 'uncertainty' }, 2);
  run(u, 2, input(2, { losses: [2, 0.5] }));
  const snap = u.snapshot();
  assert.deepEqual(snap, u.state(), 'a strategy without running vectors: the same object');
  const json = u.state();
  run(u, 2, input(2, { losses: [3, 0.1] }));
  u.restore(snap);
  assert.deepEqual(u.state(), json);
});
