// The weighting strategies that answer from the losses and the Gram matrix alone,
// each against a hand-worked case or values computed here from the paper's
// equations on explicit vectors: GLS, IMTL, Nash-MTL, FairGrad, Aligned-MTL,
// GradVac, STCH, FAMO, UPGrad, DualProj, ConFIG and Krum.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, ArgumentError } from '../../dist/index.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import {
  attached, axpy, combine, dot, dualConeRef, gramOf, input, nested, run, scriptedRng, solveRef,
} from '../helpers/weighting-reference.js';

before(async () => { await init(); });

const EXACT = { atol: 1e-15, rtol: 1e-14 };
const norm = (v) => Math.sqrt(dot(v, v));
const unit = (v) => v.map((x) => x / norm(v));
const random = (T, n, seed) => Array.from({ length: T }, (_, t) => Array.from(seededValues(n, seed + t)));
const argErr = (re) => (e) => e instanceof ArgumentError && re.test(e.message);

// ---------------------------------------------------------------------------
// GLS

test('GLS: w_t = (Π L)^(1/T) / (T·L_t), over the active tasks, losses floored at 1e-8', () => {
  const s = attached({ type: 'gls' }, 2);
  let { w, c } = run(s, 2, input(2, { losses: [1, 4] })); // geometric mean 2
  assertClose(w, [1, 0.25], { ...EXACT, label: 'two tasks' });
  assert.deepEqual(c, w);
  ({ w } = run(attached({ type: 'gls' }, 3), 3, input(3, { losses: [2, 0.5, 8] }))); // geometric mean 2
  assertClose(w, [1 / 3, 4 / 3, 1 / 12], { ...EXACT, label: 'three tasks' });
  ({ w } = run(attached({ type: 'gls' }, 3), 3, input(3, { losses: [2, 99, 8], active: [1, 0, 1] }))); // geometric mean 4
  assertClose(w, [1, 0, 0.25], { ...EXACT, label: 'an inactive task' });
  ({ w } = run(attached({ type: 'gls' }, 2), 2, input(2, { losses: [0, 1] }))); // √(1e-8·1) = 1e-4
  assertClose(w, [1e-4 / 2e-8, 1e-4 / 2], { atol: 0, rtol: 1e-12, label: 'a zero loss' });
});

// ---------------------------------------------------------------------------
// IMTL

/** The paper's closed form (LibMTL's code) on explicit vectors: α_{2..T} = g₁Uᵀ(DUᵀ)⁻¹, α₁ = 1 − Σ. */
function imtlRef(vs) {
  const us = vs.map(unit);
  const D = vs.slice(1).map((g) => axpy(-1, g, vs[0]));
  const U = us.slice(1).map((u) => axpy(-1, u, us[0]));
  // Solve α·(DUᵀ) = g₁Uᵀ, i.e. (DUᵀ)ᵀ αᵀ = (g₁Uᵀ)ᵀ.
  const DU = D.map((d) => U.map((u) => dot(d, u)));
  const rhs = U.map((u) => dot(vs[0], u));
  const rest = solveRef(DU[0].map((_, j) => DU.map((row) => row[j])), rhs);
  return [1 - rest.reduce((a, b) => a + b, 0), ...rest];
}

test('IMTL-G: the coefficients of the paper\'s closed form; d has the same projection on every unit gradient', () => {
  const cases = [
    [[3, 1], [-2, 2]],
    [[1, 0.2, 0], [0.3, 1, -0.5], [-0.4, 0.1, 2]],
    random(4, 6, 11),
  ];
  for (const vs of cases) {
    const T = vs.length;
    const { w, c } = run(attached({ type: 'imtl', lossScale: false }, T), T, input(T, { gram: gramOf(vs) }));
    assert.deepEqual(w, new Array(T).fill(1));
    assertClose(c, imtlRef(vs), { atol: 1e-12, rtol: 1e-10, label: `${T} tasks: vs the closed form` });
    assertClose([c.reduce((a, b) => a + b)], [1], { atol: 1e-13, rtol: 0, label: 'Σα = 1' });
    const d = combine(c, vs);
    const proj = vs.map((g) => dot(d, unit(g)));
    assertClose(proj, new Array(T).fill(proj[0]), { atol: 1e-12, rtol: 1e-10, label: `${T} tasks: d·u_t equal` });
  }
  // Linearly dependent gradients (g₃ = g₁ + g₂): no d has equal projections on all three (d·g₃ = d·g₁ + d·g₂);
  // the pseudo-inverse gives torchjd's generalization α ∝ G⁺n. G's null space is spanned by v = (1, 1, −1)/√3,
  // and for such a G, G⁺ = (G + vvᵀ)⁻¹ − vvᵀ.
  const dep = [[1, 0, 0.5], [0.2, 1, -0.3]];
  dep.push(axpy(1, dep[0], dep[1]));
  const G = nested(gramOf(dep), 3), n = dep.map(norm);
  const v = [1, 1, -1].map((x) => x / Math.sqrt(3));
  const y = solveRef(G.map((row, i) => row.map((g, j) => g + v[i] * v[j])), n);
  const x = y.map((yi, i) => yi - v[i] * dot(v, n));
  const sum = x.reduce((a, b) => a + b);
  const { c } = run(attached({ type: 'imtl', lossScale: false }, 3), 3, input(3, { gram: gramOf(dep) }));
  assertClose(c, x.map((v) => v / sum), { atol: 1e-12, rtol: 0, label: 'dependent: G⁺n normalized' });
  const d = combine(c, dep);
  assert.ok(dep.every((g) => dot(d, g) > 0), 'dependent: no conflict');
});

test('IMTL-L: task weights e^(s_t), s_t stepped along e^(s_t)·L_t − 1; IMTL-G on the scaled gradients', () => {
  const vs = [[3, 1, 0], [-2, 2, 1], [0.5, -1, 2]];
  const losses = [2, 0.5, 1.5];
  const s = attached({ type: 'imtl', optimizer: 'sgd' }, 3);
  const first = run(s, 3, input(3, { gram: gramOf(vs), losses, learningRate: 0.1 }));
  assert.deepEqual(first.w, [1, 1, 1]);
  assertClose(first.c, imtlRef(vs), { atol: 1e-12, rtol: 1e-10, label: 'step 0: s = 0' });
  const scales = losses.map((L) => -0.1 * (L - 1)); // s ← 0 − lr·(e⁰·L − 1)
  assertClose(Array.from(s.lossScales()), scales, { ...EXACT, label: 's after step 0' });
  const second = run(s, 3, input(3, { gram: gramOf(vs), losses, learningRate: 0.1 }));
  const e = scales.map(Math.exp);
  assertClose(second.w, e, { atol: 0, rtol: 1e-15, label: 'step 1: weights e^s' });
  const scaled = vs.map((g, t) => g.map((x) => x * e[t]));
  assertClose(second.c, imtlRef(scaled).map((a, t) => a * e[t]), { atol: 1e-12, rtol: 1e-10, label: 'step 1: α on the scaled gradients' });
});

// ---------------------------------------------------------------------------
// Nash-MTL and FairGrad

const frobenius = (G) => Math.sqrt(G.reduce((s, v) => s + v * v, 0));

test('Nash-MTL: orthogonal gradients give α_t = 1/‖ĝ_t‖ (Ĝ = G/‖G‖_F); the clip; equal-norm pairs; residuals', () => {
  const vs = [[2, 0, 0], [0, 0.5, 0], [0, 0, 1]];
  const G = gramOf(vs), F = frobenius(G);
  const exact = vs.map((g) => Math.sqrt(F) / norm(g));
  // The 1e-10 ridge (relative to the largest Ĝ_tt) moves α by at most ~1e-9 relative here.
  const TOL = { atol: 0, rtol: 2e-9 };
  const free = run(attached({ type: 'nashmtl', maxNorm: 0 }, 3), 3, input(3, { gram: G }));
  assertClose(free.w, exact, { ...TOL, label: 'α' });
  assertClose(free.c, exact, { ...TOL, label: 'no clipping' });
  // (Ĝα)_t·α_t = 1
  assertClose(exact.map((a, t) => (G[t * 3 + t] / F) * a * a), [1, 1, 1], { atol: 1e-14, rtol: 0, label: 'the bargaining equation' });
  // Clipped (default maxNorm 1): coefficients × 1/(‖d‖ + 1e-6), ‖d‖ = √(Σ α_t²‖g_t‖²) = √(3F).
  const clipped = run(attached({ type: 'nashmtl' }, 3), 3, input(3, { gram: G }));
  assertClose(clipped.w, exact, { ...TOL, label: 'task weights unclipped' });
  assertClose(clipped.c, exact.map((a) => a / (Math.sqrt(3 * F) + 1e-6)), { ...TOL, label: 'clipped' });
  // Two equal-norm gradients at 70°: α₁ = α₂ = 1/√(Ĝ₁₁ + Ĝ₁₂).
  const th = (70 * Math.PI) / 180;
  const pair = [[1, 0], [Math.cos(th), Math.sin(th)]];
  const P = gramOf(pair), FP = frobenius(P);
  const a = 1 / Math.sqrt((1 + Math.cos(th)) / FP);
  assertClose(run(attached({ type: 'nashmtl', maxNorm: 0 }, 2), 2, input(2, { gram: P })).w, [a, a], { ...TOL, label: 'equal norms at 70°' });
  // Random gradients (some conflicting): the residual of Ĝα = 1/α.
  for (const [T, seed] of [[3, 5], [4, 9], [6, 2]]) {
    const R = gramOf(random(T, 8, seed)), FR = frobenius(R);
    const { w } = run(attached({ type: 'nashmtl', maxNorm: 0 }, T), T, input(T, { gram: R }));
    assert.ok(w.every((x) => x > 0));
    const residual = w.map((x, i) => w.reduce((s, y, j) => s + (R[i * T + j] / FR) * y, 0) * x - 1);
    assertClose(residual, new Array(T).fill(0), { atol: 1e-8, rtol: 0, label: `${T} random tasks: (Ĝα)_t·α_t − 1` });
  }
});

test('Nash-MTL: a vanishing gradient sits out; updateWeightsEvery reuses α', () => {
  const vs = [[1, 0], [0, 0], [0, 2]];
  const { w, c } = run(attached({ type: 'nashmtl', maxNorm: 0 }, 3), 3, input(3, { gram: gramOf(vs) }));
  assert.equal(w[1], 0);
  assert.equal(c[1], 0);
  const two = run(attached({ type: 'nashmtl', maxNorm: 0 }, 2), 2, input(2, { gram: gramOf([vs[0], vs[2]]) }));
  assertClose([w[0], w[2]], two.w, { ...EXACT, label: 'the other two as without it' });
  const s = attached({ type: 'nashmtl', maxNorm: 0, updateWeightsEvery: 2 }, 2);
  const a = run(s, 2, input(2, { gram: gramOf([[1, 0], [0, 3]]) })).w;
  const b = run(s, 2, input(2, { gram: gramOf([[5, 1], [1, 1]]) })).w;
  const c2 = run(s, 2, input(2, { gram: gramOf([[5, 1], [1, 1]]) })).w;
  assert.deepEqual(b, a, 'step 1 reuses step 0\'s α');
  assert.notDeepEqual(c2, a, 'step 2 solves again');
});

test('FairGrad: orthogonal gradients give w_t = ‖g_t‖^(−2α/(α+1)); random cases solve Gw = w^(−1/α); α = 1 is Nash without the normalization', () => {
  const vs = [[2, 0, 0], [0, 0.5, 0], [0, 0, 1]];
  const G = gramOf(vs);
  for (const alpha of [1, 2, 0.5, 5]) {
    const { w, c } = run(attached({ type: 'fairgrad', alpha }, 3), 3, input(3, { gram: G }));
    assertClose(w, vs.map((g) => norm(g) ** ((-2 * alpha) / (alpha + 1))), { atol: 0, rtol: 2e-9, label: `orthogonal, α = ${alpha}` });
    assert.deepEqual(c, w);
  }
  for (const [T, seed, alpha] of [[3, 5, 1], [4, 9, 2], [3, 21, 0.5]]) {
    const R = gramOf(random(T, 8, seed));
    const { w } = run(attached({ type: 'fairgrad', alpha }, T), T, input(T, { gram: R }));
    const residual = w.map((x, i) => w.reduce((s, y, j) => s + R[i * T + j] * y, 0) - x ** (-1 / alpha));
    const scale = w.map((x) => x ** (-1 / alpha));
    assertClose(residual, new Array(T).fill(0), { atol: 0, rtol: 1e-8, scale, label: `${T} random tasks, α = ${alpha}` });
    if (alpha === 1) {
      const nash = run(attached({ type: 'nashmtl', maxNorm: 0 }, T), T, input(T, { gram: R })).w;
      assertClose(nash, w.map((x) => x * Math.sqrt(frobenius(R))), { atol: 0, rtol: 1e-9, label: 'Nash = √‖G‖_F · FairGrad(1)' });
    }
  }
});

// ---------------------------------------------------------------------------
// Aligned-MTL

test('Aligned-MTL: α = √σ·V Λ^(−1/2) Vᵀ·1 — orthogonal gradients rescaled to the smallest norm; a rotated spectrum; rank deficiency', () => {
  const { w, c } = run(attached({ type: 'alignedmtl' }, 3), 3, input(3, { gram: gramOf([[2, 0, 0], [0, 0.5, 0], [0, 0, 1]]) }));
  assert.deepEqual(w, [1, 1, 1]);
  assertClose(c, [0.25, 1, 0.5], { atol: 1e-15, rtol: 1e-13, label: 'orthogonal: min norm / norm' });
  // G = Q·diag(λ)·Qᵀ with Q a rotation in the (0, 1) plane: B = √σ·Q·diag(λ^(−1/2))·Qᵀ.
  const th = 0.3, co = Math.cos(th), si = Math.sin(th);
  const Q = [[co, -si, 0], [si, co, 0], [0, 0, 1]];
  const lambda = [4, 1, 0.25];
  const G = Float64Array.from({ length: 9 }, (_, k) => {
    const i = Math.floor(k / 3), j = k % 3;
    return lambda.reduce((s, l, m) => s + Q[i][m] * l * Q[j][m], 0);
  });
  const B = (sigma) => [0, 1, 2].map((i) => [0, 1, 2].reduce((s, j) => s + lambda.reduce((a, l, m) => a + (Q[i][m] * Q[j][m]) / Math.sqrt(l), 0), 0) * Math.sqrt(sigma));
  for (const [scale, sigma] of [['min', 0.25], ['median', 1], ['mean', 1.75]]) {
    const got = run(attached({ type: 'alignedmtl', scale }, 3), 3, input(3, { gram: G })).c;
    assertClose(got, B(sigma), { atol: 1e-13, rtol: 1e-12, label: `rotated spectrum, scale ${scale}` });
  }
  // g₃ = g₁ + g₂: rank 2; the aligned gradients span the same plane with equal norms, so the
  // update is orthogonal to nothing it should reach, and its coefficients are finite.
  const dep = [[1, 0, 0], [0, 2, 0], [1, 2, 0]];
  const r = run(attached({ type: 'alignedmtl' }, 3), 3, input(3, { gram: gramOf(dep) })).c;
  assert.ok(r.every(Number.isFinite));
  const d = combine(r, dep);
  assert.ok(Math.abs(d[2]) < 1e-12 && dep.every((g) => dot(d, g) > 0), 'in the span, no conflict');
});

// ---------------------------------------------------------------------------
// GradVac

test('GradVac: with ρ̂ = 0 it is PCGrad; afterwards each adjusted pair reaches cos = ρ̂ exactly', () => {
  const vs = [[1, 0.2, 0], [-0.8, 1, 0.1], [-0.3, -0.9, 0.5]];
  const draws = [0xffffffff, 0, 0xffffffff, 0, 0xffffffff, 0];
  const pc = run(attached({ type: 'pcgrad' }, 3, scriptedRng(draws.slice(0, 3))), 3, input(3, { gram: gramOf(vs) }));
  const s = attached({ type: 'gradvac', beta: 0.5 }, 3, scriptedRng(draws));
  const first = run(s, 3, input(3, { gram: gramOf(vs) }));
  assertClose(first.c, pc.c, { ...EXACT, label: 'step 0 = PCGrad' });
  // Two tasks at 100°: step 0 projects (PCGrad) and sets ρ̂ = ½ρ; step 1 adds w·g₂ to g₁ so that cos(g₁', g₂) = ρ̂.
  const th = (100 * Math.PI) / 180;
  const pair = [[2, 0], [Math.cos(th), Math.sin(th)]];
  const rho = Math.cos(th);
  const v = attached({ type: 'gradvac', beta: 0.5 }, 2);
  run(v, 2, input(2, { gram: gramOf(pair) }));
  assertClose(Array.from(v.targets()), [0, 0.5 * rho, 0.5 * rho, 0], { ...EXACT, label: 'ρ̂ after step 0' });
  const { c } = run(v, 2, input(2, { gram: gramOf(pair) }));
  const target = 0.5 * rho;
  // The paper's formula on the explicit vectors.
  const w1 = (norm(pair[0]) * (target * Math.sqrt(1 - rho * rho) - rho * Math.sqrt(1 - target * target))) / (norm(pair[1]) * Math.sqrt(1 - target * target));
  const w2 = (norm(pair[1]) * (target * Math.sqrt(1 - rho * rho) - rho * Math.sqrt(1 - target * target))) / (norm(pair[0]) * Math.sqrt(1 - target * target));
  assertClose(c, [1 + w2, 1 + w1], { atol: 1e-14, rtol: 1e-13, label: 'step 1 coefficients' });
  const g1 = axpy(w1, pair[1], pair[0]);
  assertClose([dot(unit(g1), unit(pair[1]))], [target], { atol: 1e-14, rtol: 0, label: 'cos(g₁\', g₂) = ρ̂' });
  assertClose(Array.from(v.targets()), [0, 0.75 * rho, 0.75 * rho, 0], { ...EXACT, label: 'ρ̂ after step 1' });
});

// ---------------------------------------------------------------------------
// STCH

test('STCH: 1/L_t through the warm-up; then T·softmax(log(L/z)/μ)_t / L_t with z the last warm-up epoch\'s losses', () => {
  const s = attached({ type: 'stch', warmupEpochs: 1, mu: 0.5 }, 3);
  const losses = [2, 0.5, 1.5];
  assertClose(run(s, 3, input(3, { losses })).w, losses.map((L) => 1 / (L + 1e-20)), { ...EXACT, label: 'epoch 0' });
  s.endEpoch(new Float64Array([3, 1, 2]));
  assertClose(run(s, 3, input(3, { losses })).w, losses.map((L) => 1 / L), { ...EXACT, label: 'epoch 1 (the nadir epoch)' });
  s.endEpoch(new Float64Array([2.5, 0.4, NaN]));
  assertClose(Array.from(s.nadir()), [2.5, 0.4, 1], { ...EXACT, label: 'nadir (1 where the epoch had no loss)' });
  const z = [2.5, 0.4, 1];
  const ell = losses.map((L, t) => Math.log(L / z[t]) / 0.5);
  const max = Math.max(...ell), e = ell.map((x) => Math.exp(x - max)), sum = e.reduce((a, b) => a + b);
  const expected = losses.map((L, t) => (3 * e[t]) / sum / L);
  const { w, c } = run(s, 3, input(3, { losses }));
  assertClose(w, expected, { atol: 0, rtol: 1e-14, label: 'epoch 2' });
  assert.deepEqual(c, w);
  // Two of three active: T = 2 in the softmax's scale.
  const part = run(s, 3, input(3, { losses, active: [1, 0, 1] })).w;
  const e2 = [e[0], e[2]], s2 = e2[0] + e2[1];
  assertClose(part, [(2 * e2[0]) / s2 / losses[0], 0, (2 * e2[1]) / s2 / losses[2]], { atol: 0, rtol: 1e-14, label: 'inactive task' });
});

// ---------------------------------------------------------------------------
// FAMO

test('FAMO: w_t = z_t/(c·D_t); after the update ξ takes one Adam step along z ⊙ (δ − zᵀδ) (+ the weight decay)', () => {
  const s = attached({ type: 'famo' }, 2);
  assert.equal(s.needs.lossesAfterUpdate, true);
  const D = [2 + 1e-8, 0.5 + 1e-8];
  const first = run(s, 2, input(2, { losses: [2, 0.5] }));
  const c0 = 0.5 / D[0] + 0.5 / D[1];
  assertClose(first.w, [0.5 / (c0 * D[0]), 0.5 / (c0 * D[1])], { ...EXACT, label: 'step 0 (ξ = 0)' });
  assertClose(first.w, [0.2, 0.8], { atol: 1e-8, rtol: 0, label: '≈ [0.2, 0.8]' });
  assert.deepEqual(first.c, first.w);
  s.afterUpdate(new Float64Array([1.8, 0.5]), new Uint8Array([1, 1]));
  const delta = Math.log(D[0]) - Math.log(1.8 + 1e-8); // task 1 did not move: δ₁ = 0
  const g = [0.5 * (delta - 0.5 * delta), 0.5 * (0 - 0.5 * delta)];
  const xi = g.map((x) => -0.025 * x / (Math.abs(x) + 1e-8)); // Adam's first step from 0 (no decay term: ξ = 0)
  assertClose(Array.from(s.logits()), xi, { atol: 1e-17, rtol: 1e-12, label: 'ξ after one update' });
  const z = [Math.exp(xi[0]), Math.exp(xi[1])].map((x, _, a) => x / (a[0] + a[1]));
  const D2 = [1.8 + 1e-8, 0.5 + 1e-8];
  const c1 = z[0] / D2[0] + z[1] / D2[1];
  assertClose(run(s, 2, input(2, { losses: [1.8, 0.5] })).w, [z[0] / (c1 * D2[0]), z[1] / (c1 * D2[1])], { atol: 0, rtol: 1e-12, label: 'step 1' });
  assert.ok(xi[0] < 0 && xi[1] > 0, 'the task that improved gives weight to the one that did not');
});

// ---------------------------------------------------------------------------
// UPGrad, DualProj

/** The normalized Gram matrix (trace 1) with regEps on the diagonal, as nested arrays. */
function normalizedRef(vs, regEps) {
  const G = nested(gramOf(vs), vs.length);
  const trace = G.reduce((s, row, i) => s + row[i], 0);
  return G.map((row, i) => row.map((g, j) => g / trace + (i === j ? regEps : 0)));
}

test('UPGrad: two conflicting gradients give half PCGrad; agreeing ones the mean; random cases Σ_i of the exact dual-cone projections', () => {
  const pair = [[3, 1], [-2, 2]];
  const tiny = { type: 'upgrad', regEps: 1e-13 };
  const { w, c } = run(attached(tiny, 2), 2, input(2, { gram: gramOf(pair) }));
  assert.deepEqual(w, [1, 1]);
  const pc = run(attached({ type: 'pcgrad' }, 2), 2, input(2, { gram: gramOf(pair) })).c;
  assertClose(c, pc.map((x) => x / 2), { atol: 1e-11, rtol: 1e-11, label: 'half PCGrad' });
  assertClose(run(attached(tiny, 2), 2, input(2, { gram: gramOf([[3, 1], [-1, 4]]) })).c, [0.5, 0.5], { atol: 1e-12, rtol: 0, label: 'no conflict: the mean' });
  for (const [T, seed] of [[3, 3], [4, 17], [5, 40]]) {
    const vs = random(T, 6, seed);
    const G = normalizedRef(vs, 1e-4);
    const expected = new Array(T).fill(0);
    for (let i = 0; i < T; i++) {
      const u = new Array(T).fill(0);
      u[i] = 1 / T;
      dualConeRef(G, u).forEach((v, j) => { expected[j] += v; });
    }
    const got = run(attached({ type: 'upgrad' }, T), T, input(T, { gram: gramOf(vs) })).c;
    assertClose(got, expected, { atol: 1e-12, rtol: 1e-10, label: `${T} random tasks` });
    const d = combine(got, vs);
    assert.ok(vs.every((g) => dot(g, d) >= -1e-12), `${T} random tasks: no task's loss rises to first order`);
  }
});

test('DualProj: the mean projected onto the dual cone — itself when nothing conflicts, the exact projection otherwise', () => {
  assertClose(run(attached({ type: 'dualproj', regEps: 1e-13 }, 2), 2, input(2, { gram: gramOf([[3, 1], [-1, 4]]) })).c, [0.5, 0.5], { atol: 1e-12, rtol: 0, label: 'no conflict' });
  // Two conflicting: the mean of g₁ = (1, 0) and g₂ = (−2, 0.5) points against g₁; its projection onto
  // {d: g₁·d ≥ 0, g₂·d ≥ 0} lies on g₁·d = 0, i.e. d ∝ (0, 1): v₁ = 2v₂, and v ≥ ½ gives v = (1, ½).
  const pair = [[1, 0], [-2, 0.5]];
  const p = run(attached({ type: 'dualproj', regEps: 1e-13 }, 2), 2, input(2, { gram: gramOf(pair) })).c;
  assertClose(p, [1, 0.5], { atol: 1e-10, rtol: 0, label: 'conflict' });
  assertClose(combine(p, pair), [0, 0.25], { atol: 1e-10, rtol: 0, label: 'd = (0, ¼)' });
  for (const [T, seed] of [[3, 8], [5, 13]]) {
    const vs = random(T, 5, seed);
    const got = run(attached({ type: 'dualproj' }, T), T, input(T, { gram: gramOf(vs) })).c;
    assertClose(got, dualConeRef(normalizedRef(vs, 1e-4), new Array(T).fill(1 / T)), { atol: 1e-12, rtol: 1e-10, label: `${T} random tasks` });
  }
});

// ---------------------------------------------------------------------------
// ConFIG

test('ConFIG: equal angles with every gradient, length Σ g_t·d̂; a hand case; a zero gradient', () => {
  const { w, c } = run(attached({ type: 'config' }, 2), 2, input(2, { gram: gramOf([[2, 0], [0, 1]]) }));
  assert.deepEqual(w, [1, 1]);
  // b = (1, 1) (u₁ = e₁, u₂ = e₂); d̂ = (1, 1)/√2; length (2 + 1)/√2; d = (1.5, 1.5) = 0.75·g₁ + 1.5·g₂.
  assertClose(c, [0.75, 1.5], { atol: 1e-15, rtol: 1e-14, label: 'hand case' });
  for (const [T, seed] of [[3, 4], [4, 30]]) {
    const vs = random(T, 7, seed);
    const r = run(attached({ type: 'config' }, T), T, input(T, { gram: gramOf(vs) })).c;
    const d = combine(r, vs);
    const cos = vs.map((g) => dot(unit(g), unit(d)));
    assertClose(cos, new Array(T).fill(cos[0]), { atol: 1e-12, rtol: 0, label: `${T} random: equal cosines` });
    assert.ok(cos[0] > 0);
    assertClose([norm(d)], [vs.reduce((s, g) => s + dot(g, unit(d)), 0)], { atol: 1e-12, rtol: 1e-12, label: `${T} random: length` });
  }
  const z = run(attached({ type: 'config' }, 3), 3, input(3, { gram: gramOf([[2, 0], [0, 0], [0, 1]]) })).c;
  assertClose(z, [0.75, 0, 1.5], { atol: 1e-15, rtol: 1e-14, label: 'a zero gradient: a zero row of U' });
});

// ---------------------------------------------------------------------------
// Krum

test('Krum: scores from the Gram distances, the lowest selected (Multi-Krum averages m); ties to the first task', () => {
  // 1-D gradients 0, 1, 2.5, 10: scores with f = 0 (the 2 nearest): 3.5, 2.5, 4, 16.5.
  const vs = [[0], [1], [2.5], [10]];
  const G = gramOf(vs);
  const one = run(attached({ type: 'krum' }, 4), 4, input(4, { gram: G }));
  assert.deepEqual(one.c, [0, 1, 0, 0]);
  assert.deepEqual(one.w, [1, 1, 1, 1]);
  assert.deepEqual(run(attached({ type: 'krum', nSelected: 2 }, 4), 4, input(4, { gram: G })).c, [0.5, 0.5, 0, 0]);
  // f = 1 (the nearest only): scores 1, 1, 1.5, 7.5 — a tie between tasks 0 and 1 goes to task 0.
  assert.deepEqual(run(attached({ type: 'krum', nByzantine: 1 }, 4), 4, input(4, { gram: G })).c, [1, 0, 0, 0]);
  // Fewer active tasks than Krum needs (f + 3): the mean of the active ones.
  assert.deepEqual(run(attached({ type: 'krum' }, 4), 4, input(4, { gram: G, active: [1, 0, 1, 0] })).c, [0.5, 0, 0.5, 0]);
  assert.throws(() => attached({ type: 'krum' }, 2), argErr(/krum.attach: nByzantine 0 needs at least 3 tasks \(nByzantine \+ 3\), the model has 2/));
  assert.throws(() => attached({ type: 'krum', nSelected: 5 }, 4), argErr(/nSelected 5 is more than the 4 tasks/));
});
