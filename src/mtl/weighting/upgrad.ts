// UPGrad, unconflicting projection of gradients (Quinton & Rey 2024, "Jacobian
// Descent for Multi-Objective Optimization"; LibMTL's UPGrad and torchjd's):
//
//   Ĝ = G / tr(G) + ε_reg·I        (0 + ε_reg·I when tr(G) < ε_norm)
//   for each task i:  v⁽ⁱ⁾ = argmin_v vᵀĜv  subject to  v ≥ e_i/T
//                     (J v⁽ⁱ⁾ is the projection of g_i/T onto the dual cone
//                      { d : g_t·d ≥ 0 ∀t }, Proposition 1 of the paper)
//   α = Σ_i v⁽ⁱ⁾,  update d = Σ_t α_t g_t
//
// Each task's gradient is projected until it conflicts with no other, and the
// projections are averaged: d never increases any task's loss to first order.
// With two tasks whose gradients conflict, v⁽¹⁾ projects g₁ off g₂ — PCGrad's
// projection — so UPGrad is half PCGrad there; with no conflict it is the mean.
// Where LibMTL and torchjd call quadprog, the QPs are solved exactly by
// Lawson–Hanson's active-set method (linalg.ts dualCone). ε_norm and ε_reg are
// `normEps` and `regEps` (default 1e-4 each, LibMTL's and torchjd's). Task weights are 1.
//
// Cost per step: per-task gradients of the shared parameters (default; or of the
// representation), T small QPs.
//
// Inactive tasks are left out (T above counts the active ones; weight and
// coefficient 0). currentWeights() is each task's mean α over the latest epoch's
// steps in which it was active.

import { checkKeys, choiceOption, numberOption, type OptionRecord } from '../../runtime/validate.js';
import { GRADIENT_SOURCES, ReportingStrategy, activeGram, needsOf, startCombining, type GradientSource } from './common.js';
import { SmallLinalg } from './linalg.js';
import type { WeightingNeeds, WeightingStepInput, WeightingStepOutput } from './types.js';

export interface UpgradWeightingSpec {
  type: 'upgrad';
  /** Below this trace the Gram matrix counts as 0. Default 1e-4. */
  normEps?: number;
  /** Added to the normalized Gram matrix's diagonal (keeps it positive definite). Default 1e-4. */
  regEps?: number;
  /** Which per-task gradients the Gram matrix is built from. Default 'parameters'. */
  gradients?: GradientSource;
}

/** The spec fields UPGrad and DualProj share, validated. */
export function dualConeOptions(where: string, spec: OptionRecord): { normEps: number; regEps: number; gradients: GradientSource } {
  checkKeys(where, spec, ['type', 'normEps', 'regEps', 'gradients']);
  return {
    normEps: numberOption(where, spec, 'normEps', 1e-4, (v) => v >= 0, 'a finite number ≥ 0'),
    regEps: numberOption(where, spec, 'regEps', 1e-4, (v) => v > 0, 'a finite number > 0'),
    gradients: choiceOption(where, spec, 'gradients', 'parameters', GRADIENT_SOURCES),
  };
}

/** G ← the active Gram matrix, normalized by its trace (zeros below normEps), plus regEps on the diagonal. */
export function normalizedGram(gram: Float64Array, T: number, idx: Int32Array, n: number, normEps: number, regEps: number, G: Float64Array): void {
  activeGram(gram, T, idx, n, G);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += G[i * n + i]!;
  for (let i = 0; i < n * n; i++) G[i] = trace < normEps ? 0 : G[i]! / trace;
  for (let i = 0; i < n; i++) G[i * n + i] = G[i * n + i]! + regEps;
}

export class UpgradWeighting extends ReportingStrategy {
  readonly type: string = 'upgrad';
  readonly needs: WeightingNeeds;
  protected readonly options: { normEps: number; regEps: number; gradients: GradientSource };
  protected active = new Int32Array(0);
  protected G = new Float64Array(0);
  protected u = new Float64Array(0);
  protected linalg = new SmallLinalg(0);

  constructor(spec: OptionRecord, where: string) {
    super();
    this.options = dualConeOptions(where, spec);
    this.needs = needsOf(this.options.gradients);
  }

  protected override setup(): void {
    super.setup();
    const T = this.T;
    this.active = new Int32Array(T);
    this.G = new Float64Array(T * T);
    this.u = new Float64Array(T);
    this.linalg = new SmallLinalg(T);
  }

  protected compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const T = this.T, act = this.active, u = this.u, la = this.linalg;
    const n = startCombining(input.active, out, act, T);
    if (n > 0) {
      normalizedGram(input.gram!, T, act, n, this.options.normEps, this.options.regEps, this.G);
      for (let i = 0; i < n; i++) {
        u.fill(0, 0, n);
        u[i] = 1 / n;
        la.dualCone(this.G, u, n);
        for (let j = 0; j < n; j++) {
          const t = act[j]!;
          out.sharedCoefficients[t] = out.sharedCoefficients[t]! + la.x[j]!;
        }
      }
    }
    this.report.add(input.epoch, out.sharedCoefficients, input.active);
  }

  config(): Record<string, unknown> {
    return { type: this.type, ...this.options };
  }

  protected override load(state: OptionRecord): void {
    super.load(state);
  }
}
