// Plain references for the federated aggregation (src/federated/): the weighted
// mean with BigInt integers (what the fixed-point sum must equal exactly) and
// in f64 (what it approximates), and the server optimizers in f64.

/** round(v · 2^F) as a BigInt, as the fixed-point sum rounds (Math.round: halves toward +∞). */
export function fixedPoint(v, fractionBits, scale = 1) {
  return BigInt(Math.round(v * scale * 2 ** fractionBits));
}

/** Σ_k w_k · round(v_k · 2^F) per value, in BigInt: the exact integer the accumulator must hold. */
export function integerSum(updates, fractionBits) {
  const n = updates[0].values.length;
  const out = new Array(n).fill(0n);
  for (const { values, weight } of updates) for (let i = 0; i < n; i++) out[i] += fixedPoint(values[i], fractionBits) * BigInt(weight);
  return out;
}

/** The f64 weighted mean Σ w_k v_k / Σ w_k of the values as given. */
export function weightedMean(updates) {
  const n = updates[0].values.length;
  const out = new Float64Array(n);
  let total = 0;
  for (const { values, weight } of updates) { total += weight; for (let i = 0; i < n; i++) out[i] += weight * values[i]; }
  return out.map((v) => v / total);
}

/** One server step in f64 (src/federated/server-optimizer.ts). */
export function serverStepRef(config, weights, delta, state) {
  const w = Float64Array.from(weights);
  const n = w.length;
  for (let i = 0; i < n; i++) {
    if (config.type === 'fedavg') w[i] += config.learningRate * delta[i];
    else if (config.type === 'fedavgm') { state.m[i] = config.momentum * state.m[i] + delta[i]; w[i] += config.learningRate * state.m[i]; }
    else {
      state.m[i] = config.beta1 * state.m[i] + (1 - config.beta1) * delta[i];
      state.v[i] = config.beta2 * state.v[i] + (1 - config.beta2) * delta[i] ** 2;
      w[i] += config.learningRate * state.m[i] / (Math.sqrt(state.v[i]) + config.tau);
    }
  }
  return w;
}

/** Every ordering of `items` (for small n). */
export function permutations(items) {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [x, ...p]));
}
