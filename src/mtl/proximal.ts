// The proximal term μ/2 · ‖w − w₀‖² over some of a model's parameters, w₀ their
// values when the term was set: FedProx's local objective (Li et al. 2020, the
// anchor being the global weights a client starts its round from), or L2-SP in
// transfer learning (Li, Grandvalet & Davies 2018: stay near the pretrained
// weights). Its gradient μ·(w − w₀) is added to the gradient block after the
// backward pass, before the optimizer (MultiTaskModelCore.computeGradients), like
// the relatedness regularizer. Which parameters: those of the shared part
// (owner −1) or all, by their declared owner.

import { runtime } from '../runtime/module.js';
import { Holding } from '../runtime/holdings.js';
import { checkKeys, checkOptionsObject, checkNumber, checkChoice } from '../runtime/validate.js';
import type { Parameters } from '../nn/params.js';

export interface ProximalOptions {
  /** μ ≥ 0, the term's strength (FedProx's paper tries 0.001 to 1). */
  mu: number;
  /** The parameters it pulls back: 'shared' (default: owned by no task) or 'all'. */
  parameters?: 'shared' | 'all';
}

export function readProximal(where: string, value: unknown): Required<ProximalOptions> | null {
  if (value === undefined) return null;
  const o = checkOptionsObject(`${where} proximal`, value);
  checkKeys(`${where} proximal`, o, ['mu', 'parameters']);
  const mu = checkNumber(`${where} proximal`, 'mu', o.mu, (v) => v >= 0 && Number.isFinite(Math.fround(v)), 'a number ≥ 0 within the float32 range');
  const parameters = o.parameters === undefined ? 'shared' : checkChoice(`${where} proximal`, 'parameters', o.parameters, ['shared', 'all'] as const);
  return { mu, parameters };
}

export class ProximalTerm {
  readonly mu: number;
  readonly #params: Parameters;
  /** Runs of the block it covers: [offset, length] in floats (alignment padding included: it is 0 on both sides). */
  readonly #ranges: Array<[number, number]> = [];
  #anchor = 0;
  #diff = 0;
  readonly #memory = new Holding('ProximalTerm');

  /** Anchors the term at the parameters' current values. */
  constructor(params: Parameters, options: Required<ProximalOptions>) {
    this.mu = options.mu;
    this.#params = params;
    const list = params.list();
    list.forEach((p, i) => {
      if (options.parameters === 'shared' && p.owner !== -1) return;
      const end = i + 1 < list.length ? list[i + 1]!.offset : params.size;
      const last = this.#ranges[this.#ranges.length - 1];
      if (last !== undefined && last[0] + last[1] === p.offset) last[1] = end - last[0];
      else this.#ranges.push([p.offset, end - p.offset]);
    });
    const floats = this.#ranges.reduce((n, [, len]) => n + len, 0);
    if (floats === 0) return;
    this.#anchor = this.#memory.alloc(this, floats * 4, `the proximal term's anchor (${floats} weights)`);
    this.#diff = this.#memory.alloc(this, Math.max(...this.#ranges.map(([, len]) => len)) * 4);
    const k = runtime('proximal').kernels;
    let at = 0;
    for (const [off, len] of this.#ranges) {
      k.copyBlock(1, len, params.params + off * 4, len, this.#anchor + at * 4, len);
      at += len;
    }
  }

  /** g += μ·(w − w₀) over the covered parameters (exactly 0 where w = w₀). */
  addGradients(): void {
    if (this.mu === 0 || this.#anchor === 0) return;
    const k = runtime('proximal').kernels;
    const p = this.#params.params, g = this.#params.grads, diff = this.#diff;
    let at = 0;
    for (const [off, len] of this.#ranges) {
      k.copyBlock(1, len, p + off * 4, len, diff, len);
      k.axpy(len, -1, this.#anchor + at * 4, diff);
      k.axpy(len, this.mu, diff, g + off * 4);
      at += len;
    }
  }

  /** μ/2 · ‖w − w₀‖² (for tests and logs). */
  penalty(): number {
    const k = runtime('proximal').kernels;
    const p = this.#params.params, diff = this.#diff;
    let sum = 0, at = 0;
    for (const [off, len] of this.#ranges) {
      k.copyBlock(1, len, p + off * 4, len, diff, len);
      k.axpy(len, -1, this.#anchor + at * 4, diff);
      sum += k.sumSquaresF64(len, diff);
      at += len;
    }
    return (this.mu / 2) * sum;
  }

  dispose(): void {
    this.#memory.release();
    this.#anchor = 0;
    this.#diff = 0;
  }
}
