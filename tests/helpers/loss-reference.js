// Plain f64 references for the loss kernels (assembly/loss.ts), written for
// clarity rather than speed: they define the semantics the tests hold the
// kernels to. Only the loss is defined here; gradients are checked against
// central differences of it (centralDifferences, tests/helpers/check-op.js).
//
// The only numerical care taken is what keeps f64 finite and accurate at
// logits of ±1e4: log σ(x) = −softplus(−x) with a stable softplus, log-sum-exp
// through the maximum, and 1 − e^a as −expm1(a).

/** log(1 + eˣ), without overflow for large x. */
export function softplus(x) {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** log σ(x). */
export function logSigmoid(x) {
  return -softplus(-x);
}

/** log Σ exp(v). */
export function logSumExp(values) {
  const m = Math.max(...values);
  let s = 0;
  for (const v of values) s += Math.exp(v - m);
  return m + Math.log(s);
}

export const DEFAULTS = {
  bce: {},
  softmaxCrossEntropy: { temperature: 1, labelSmoothing: 0 },
  softCrossEntropy: { temperature: 1, output: 'softmax' },
  focal: { gamma: 2, alpha: 0.25 },
  multiclassFocal: { gamma: 2 },
  softDice: { smooth: 1 },
  mse: {},
  huber: { delta: 1 },
};

/** Losses whose targets are one class index per row (the others take rows × cols values). */
export function isIndexLoss(type) {
  return type === 'softmaxCrossEntropy' || type === 'multiclassFocal';
}

/**
 * One row's loss and the weight its class weights give it (1 unless the loss
 * weights rows by their true class). z: the row's logits; target: a class index
 * or the row's cols target values; classWeights: undefined or the loss's class weights.
 */
export function rowLoss(spec, z, target, classWeights) {
  const s = { ...DEFAULTS[spec.type], ...spec };
  const C = z.length;
  const mean = (f) => { let t = 0; for (let j = 0; j < C; j++) t += f(j); return t / C; };
  // bce and focal: element weight (1 − y)·w0 + y·w1.
  const elementWeight = (y) => (classWeights ? (1 - y) * classWeights[0] + y * classWeights[1] : 1);
  switch (s.type) {
    case 'bce':
      return {
        loss: mean((j) => {
          const x = z[j], y = target[j];
          return elementWeight(y) * (-y * logSigmoid(x) - (1 - y) * logSigmoid(-x));
        }),
        weight: 1,
      };
    case 'softmaxCrossEntropy': {
      const u = z.map((x) => x / s.temperature);
      const lse = logSumExp(u);
      let loss = 0;
      for (let j = 0; j < C; j++) {
        const q = (j === target ? 1 - s.labelSmoothing : 0) + s.labelSmoothing / C;
        loss -= q * (u[j] - lse);                 // −Σ q_j·log p_j
      }
      return { loss, weight: classWeights ? classWeights[target] : 1 };
    }
    case 'softCrossEntropy': {
      const u = z.map((x) => x / s.temperature);
      if (s.output === 'sigmoid') {
        return { loss: mean((j) => -target[j] * logSigmoid(u[j]) - (1 - target[j]) * logSigmoid(-u[j])), weight: 1 };
      }
      const lse = logSumExp(u);
      let loss = 0;
      for (let j = 0; j < C; j++) loss -= target[j] * (u[j] - lse); // −Σ y_j·log p_j
      return { loss, weight: 1 };
    }
    case 'focal':
      return {
        loss: mean((j) => {
          const x = z[j], y = target[j];
          const logP = logSigmoid(x), log1mP = logSigmoid(-x);   // log p, log(1 − p)
          const pGamma = Math.exp(s.gamma * logP), oneMinusPGamma = Math.exp(s.gamma * log1mP);
          return elementWeight(y) * (
            -s.alpha * y * oneMinusPGamma * logP - (1 - s.alpha) * (1 - y) * pGamma * log1mP
          );
        }),
        weight: 1,
      };
    case 'multiclassFocal': {
      const logPt = z[target] - logSumExp(z);
      const oneMinusPt = -Math.expm1(logPt);
      return { loss: -(oneMinusPt ** s.gamma) * logPt, weight: classWeights ? classWeights[target] : 1 };
    }
    case 'softDice': {
      let inter = 0, sumP = 0, sumY = 0;
      for (let j = 0; j < C; j++) {
        const p = Math.exp(logSigmoid(z[j]));
        inter += p * target[j]; sumP += p; sumY += target[j];
      }
      return { loss: 1 - (2 * inter + s.smooth) / (sumP + sumY + s.smooth), weight: 1 };
    }
    case 'mse':
      return { loss: mean((j) => (z[j] - target[j]) ** 2), weight: 1 };
    case 'huber':
      return {
        loss: mean((j) => {
          const d = Math.abs(z[j] - target[j]);
          return d <= s.delta ? 0.5 * d * d : s.delta * (d - 0.5 * s.delta);
        }),
        weight: 1,
      };
    default:
      throw new Error(`no reference for ${s.type}`);
  }
}

/**
 * The reduced loss of a batch. logits: rows·cols values, row-major; targets: one
 * class index per row, or rows·cols values; mask: undefined or one truthy/falsy
 * entry per row; sampleWeights: undefined or one per row; reduction 'mean' or 'sum'.
 *   sum  = Σ over labeled rows of sampleWeight · classWeight · rowLoss
 *   mean = sum / (number of labeled rows), 0 if there is none.
 */
export function lossRef(spec, { rows, cols, logits, targets, mask, sampleWeights, classWeights, reduction = 'mean' }) {
  let total = 0, labeled = 0;
  for (let i = 0; i < rows; i++) {
    if (mask && !mask[i]) continue;
    labeled++;
    const z = Array.from(logits.slice(i * cols, (i + 1) * cols));
    const target = isIndexLoss(spec.type) ? targets[i] : Array.from(targets.slice(i * cols, (i + 1) * cols));
    const { loss, weight } = rowLoss(spec, z, target, classWeights);
    total += (sampleWeights ? sampleWeights[i] : 1) * weight * loss;
  }
  if (labeled === 0) return 0;
  return reduction === 'mean' ? total / labeled : total;
}

