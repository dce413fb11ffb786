// DualProj (torchjd's; the projection of Lopez-Paz & Ranzato 2017, "Gradient
// Episodic Memory for Continual Learning", Equation 11, applied to the mean
// gradient):
//
//   Ĝ = G / tr(G) + ε_reg·I             (as UPGrad)
//   v = argmin_v vᵀĜv  subject to  v ≥ 1/T     update d = Σ_t v_t g_t
//
// The mean gradient, projected onto the dual cone { d : g_t·d ≥ 0 ∀t }: the
// closest direction to the mean that conflicts with no task. With no conflict it
// is the mean itself (v = 1/T). One QP (UPGrad solves T of them), solved exactly
// by Lawson–Hanson (linalg.ts dualCone). normEps and regEps as UPGrad's (default
// 1e-4 each, torchjd's). Task weights are 1.
//
// Cost per step: per-task gradients of the shared parameters (default; or of the
// representation), one small QP.
//
// Inactive tasks are left out (T above counts the active ones). currentWeights()
// is each task's mean v over the latest epoch's steps in which it was active.

import { startCombining, type GradientSource } from './common.js';
import { type OptionRecord } from '../../runtime/validate.js';
import { UpgradWeighting, normalizedGram } from './upgrad.js';
import type { WeightingStepInput, WeightingStepOutput } from './types.js';

export interface DualProjWeightingSpec {
  type: 'dualproj';
  /** Below this trace the Gram matrix counts as 0. Default 1e-4. */
  normEps?: number;
  /** Added to the normalized Gram matrix's diagonal (keeps it positive definite). Default 1e-4. */
  regEps?: number;
  /** Which per-task gradients the Gram matrix is built from. Default 'parameters'. */
  gradients?: GradientSource;
}

export class DualProjWeighting extends UpgradWeighting {
  override readonly type: string = 'dualproj';

  constructor(spec: OptionRecord, where: string) {
    super(spec, where);
  }

  protected override compute(input: WeightingStepInput, out: WeightingStepOutput): void {
    const T = this.T, act = this.active, u = this.u, la = this.linalg;
    const n = startCombining(input.active, out, act, T);
    if (n > 0) {
      normalizedGram(input.gram!, T, act, n, this.options.normEps, this.options.regEps, this.G);
      u.fill(1 / n, 0, n);
      la.dualCone(this.G, u, n);
      for (let j = 0; j < n; j++) out.sharedCoefficients[act[j]!] = la.x[j]!;
    }
    this.report.add(input.epoch, out.sharedCoefficients, input.active);
  }
}
