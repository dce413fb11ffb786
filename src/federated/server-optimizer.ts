// The coordinator's optimizer (Reddi et al. 2021, "Adaptive Federated
// Optimization"): the round's average update Δ (clients' weights − the global
// weights they started from) is a pseudo-gradient −Δ, and the server steps with it.
//
//   fedavg    w ← w + η·Δ                                   (η = 1: plain FedAvg)
//   fedavgm   m ← β·m + Δ;  w ← w + η·m                     (Hsu, Qi & Brown 2019)
//   fedadam   m ← β₁·m + (1 − β₁)·Δ;  v ← β₂·v + (1 − β₂)·Δ²;  w ← w + η·m / (√v + τ)
//
// FedAdam follows the paper (no bias correction; τ controls adaptivity, 1e−3 by
// default). State and arithmetic are f64 (+ − × ÷ and Math.sqrt only, so the same
// inputs give the same weights in every engine); the weights are stored as f32.
// Each part of the model (the shared part, each task's) has its own state, and a
// part no client updated in a round takes no step.

import { checkKeys, checkName, numberOption, type OptionRecord } from '../runtime/validate.js';
import { ArgumentError } from '../runtime/errors.js';

export type ServerOptimizerSpec =
  | { type: 'fedavg'; learningRate?: number }
  | { type: 'fedavgm'; learningRate?: number; momentum?: number }
  | { type: 'fedadam'; learningRate?: number; beta1?: number; beta2?: number; tau?: number };

export const SERVER_OPTIMIZERS = ['fedavg', 'fedavgm', 'fedadam'] as const;

export type ServerOptimizerConfig =
  | { type: 'fedavg'; learningRate: number }
  | { type: 'fedavgm'; learningRate: number; momentum: number }
  | { type: 'fedadam'; learningRate: number; beta1: number; beta2: number; tau: number };

const positive = (v: number) => v > 0;
const unit = (v: number) => v >= 0 && v < 1;

export function readServerOptimizer(where: string, spec: unknown): ServerOptimizerConfig {
  if (spec === undefined) return { type: 'fedavg', learningRate: 1 };
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new ArgumentError(`${where}: serverOptimizer must be an object like { type: 'fedadam', learningRate: 0.01 }`);
  const o = spec as OptionRecord;
  const type = checkName(where, 'server optimizer', o.type, SERVER_OPTIMIZERS);
  const w = `${where} (serverOptimizer ${type})`;
  if (type === 'fedavg') {
    checkKeys(w, o, ['type', 'learningRate']);
    return { type, learningRate: numberOption(w, o, 'learningRate', 1, positive, 'a number > 0') };
  }
  if (type === 'fedavgm') {
    checkKeys(w, o, ['type', 'learningRate', 'momentum']);
    return { type, learningRate: numberOption(w, o, 'learningRate', 1, positive, 'a number > 0'), momentum: numberOption(w, o, 'momentum', 0.9, unit, 'a number in [0, 1)') };
  }
  checkKeys(w, o, ['type', 'learningRate', 'beta1', 'beta2', 'tau']);
  return {
    type,
    learningRate: numberOption(w, o, 'learningRate', 0.01, positive, 'a number > 0'),
    beta1: numberOption(w, o, 'beta1', 0.9, unit, 'a number in [0, 1)'),
    beta2: numberOption(w, o, 'beta2', 0.99, unit, 'a number in [0, 1)'),
    tau: numberOption(w, o, 'tau', 1e-3, positive, 'a number > 0'),
  };
}

/** f64 values of state per value of a part: FedAvg keeps none, FedAvgM m, FedAdam m and v. */
export function stateWidth(config: ServerOptimizerConfig): number {
  return config.type === 'fedavg' ? 0 : config.type === 'fedavgm' ? 1 : 2;
}

/**
 * One server step on a part: `weights` (f32, the part packed) moves by the
 * average update `delta`; `state` (stateWidth × length f64: m, then v) is updated.
 */
export function serverStep(config: ServerOptimizerConfig, weights: Float32Array, delta: Float64Array, state: Float64Array): void {
  const n = weights.length;
  const lr = config.learningRate;
  if (config.type === 'fedavg') {
    for (let i = 0; i < n; i++) weights[i] = weights[i]! + lr * delta[i]!;
  } else if (config.type === 'fedavgm') {
    const beta = config.momentum;
    for (let i = 0; i < n; i++) {
      const m = beta * state[i]! + delta[i]!;
      state[i] = m;
      weights[i] = weights[i]! + lr * m;
    }
  } else {
    const { beta1, beta2, tau } = config;
    for (let i = 0; i < n; i++) {
      const d = delta[i]!;
      const m = beta1 * state[i]! + (1 - beta1) * d;
      const v = beta2 * state[n + i]! + (1 - beta2) * d * d;
      state[i] = m;
      state[n + i] = v;
      weights[i] = weights[i]! + (lr * m) / (Math.sqrt(v) + tau);
    }
  }
}
