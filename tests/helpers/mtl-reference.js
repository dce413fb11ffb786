// Plain f64 references for a whole multi-task model (src/mtl/core.ts): the
// architecture (arch-reference.js), each task's head (hidden Dense layers, then
// a linear output layer), the task-to-task inputs (a task's prediction appended
// to a reader's head input), each task's loss (loss-reference.js), the joint loss
// L = Σ_t w_t·L_t and the relatedness penalty. Written for clarity, not speed,
// with none of the implementation's buffers: they define what the model computes.
//
// Parameters come as { name: Float64Array } (row-major, as Parameters stores
// them); x is rows × inputSize. The last section drives a model's core
// (internals) for the tests that compare against these references.
import { archRef, denseLayerRef, softmaxRef } from './arch-reference.js';
import { lossRef, isIndexLoss } from './loss-reference.js';
import { ACTIVATIONS } from './nn-reference.js';
import { runtime, heapF32 } from '../../dist/internal.js';

/** The loss a task kind gets when its spec names none (src/mtl/tasks.ts defaultLoss). */
export function defaultLossRef(kind) {
  return kind === 'multiclass' || kind === 'clustering' ? { type: 'softmaxCrossEntropy' }
    : kind === 'regression' || kind === 'reconstruction' ? { type: 'mse' } : { type: 'bce' };
}

/** A task head: headUnits hidden layers (headActivation, default relu), then a linear layer to `width` logits. */
export function headRef(p, spec, input, rows, inputWidth, width) {
  const f = ACTIVATIONS[spec.headActivation ?? 'relu'].f;
  let h = input, m = inputWidth;
  const units = [...(spec.headUnits ?? []), width];
  units.forEach((u, i) => {
    const last = i === units.length - 1;
    h = denseLayerRef(p, `head.${spec.name}.${i}`, h, rows, m, u, last ? (v) => v : (v) => f(v, 0.01));
    m = u;
  });
  return h;
}

/** A task's prediction from its logits: sigmoid (binary, multilabel), softmax (multiclass), the value (regression). */
export function predictionRef(kind, logits, rows, width) {
  if (kind === 'regression' || kind === 'reconstruction') return Float64Array.from(logits);
  if (kind === 'multiclass' || kind === 'clustering') return softmaxRef(logits, rows, width);
  return logits.map((z) => 1 / (1 + Math.exp(-z)));
}

/**
 * Every task's logits and prediction. `widths[t]` is task t's output width.
 * `detached` (optional): predictions from another evaluation, read by the tasks
 * with backpropToInputs: false in place of their sources' live predictions (a
 * stop-gradient: perturbing a parameter then changes them only through the
 * reader's own path, which is the derivative the model computes).
 */
export function modelRef(archSpec, taskSpecs, { params, x, rows, inputSize, widths, detached }) {
  const names = taskSpecs.map((s) => s.name);
  const { R } = archRef(archSpec, { params, x, rows, inputSize, taskNames: names });
  const repWidth = R.map((r) => r.length / rows);
  const logits = new Array(names.length), preds = new Array(names.length);
  const visit = (t) => {
    if (logits[t]) return;
    const spec = taskSpecs[t];
    const srcs = (spec.inputsFrom ?? []).map((n) => names.indexOf(n));
    srcs.forEach(visit);
    let input = R[t], width = repWidth[t];
    if (srcs.length > 0) {
      const blocks = [R[t], ...srcs.map((s) => (spec.backpropToInputs === false && detached ? detached.preds[s] : preds[s]))];
      const ws = [repWidth[t], ...srcs.map((s) => widths[s])];
      width = ws.reduce((a, b) => a + b, 0);
      input = new Float64Array(rows * width);
      for (let i = 0; i < rows; i++) {
        let at = 0;
        blocks.forEach((blk, b) => { for (let c = 0; c < ws[b]; c++) input[i * width + at + c] = blk[i * ws[b] + c]; at += ws[b]; });
      }
    }
    logits[t] = headRef(params, spec, input, rows, width, widths[t]);
    preds[t] = predictionRef(spec.kind, logits[t], rows, widths[t]);
  };
  names.forEach((_, t) => visit(t));
  return { logits, preds };
}

/**
 * Per-task mean losses and L = Σ_t w_t·L_t (+ the relatedness penalty).
 * labels[t]: { targets (class indices, or rows × width values), mask (per row, truthy = labeled) };
 * sampleWeights: optional, one per row; classWeights[t]: optional.
 */
export function jointLossRef(archSpec, taskSpecs, ctx, { labels, weights, sampleWeights, classWeights = [], relatedness }) {
  const { logits } = modelRef(archSpec, taskSpecs, ctx);
  const losses = taskSpecs.map((spec, t) => {
    const lossSpec = spec.loss ?? defaultLossRef(spec.kind);
    const l = labels[t];
    if (!l) return 0;
    return lossRef(lossSpec, {
      rows: ctx.rows, cols: ctx.widths[t], logits: logits[t], targets: l.targets, mask: l.mask, sampleWeights, classWeights: classWeights[t],
    });
  });
  let L = losses.reduce((s, v, t) => s + weights[t] * v, 0);
  if (relatedness) L += relatednessPenaltyRef(relatedness, taskSpecs.map((s) => s.name), ctx.params);
  return { L, losses };
}

/**
 * λ Σ_{s<t} A_st Σ ‖θ_s − θ_t‖² over every pair of tensors whose names differ
 * only in the segment naming the task (head.a.0.weight ↔ head.b.0.weight) and
 * that have the same number of values. A symmetric `matrix` or `pairs` [a, b, A_ab].
 */
export function relatednessPenaltyRef({ matrix: given, pairs, strength = 1e-3 }, taskNames, params) {
  const T = taskNames.length;
  const matrix = given ?? Array.from({ length: T }, () => new Array(T).fill(0));
  for (const [a, b, w] of pairs ?? []) {
    matrix[taskNames.indexOf(a)][taskNames.indexOf(b)] = w;
    matrix[taskNames.indexOf(b)][taskNames.indexOf(a)] = w;
  }
  let sum = 0;
  for (let s = 0; s < taskNames.length; s++) {
    for (let t = s + 1; t < taskNames.length; t++) {
      if (matrix[s][t] === 0) continue;
      for (const name of Object.keys(params)) {
        const parts = name.split('.');
        const at = parts.indexOf(taskNames[s]);
        if (at < 0) continue;
        parts[at] = taskNames[t];
        const other = params[parts.join('.')];
        if (!other || other.length !== params[name].length) continue;
        let d = 0;
        for (let i = 0; i < other.length; i++) d += (params[name][i] - other[i]) ** 2;
        sum += strength * matrix[s][t] * d;
      }
    }
  }
  return sum;
}


export { isIndexLoss };

// ---------------------------------------------------------------------------
// Driving a model's core directly (internals): a batch into its buffers.


/**
 * Puts rows of (x, labels) into model.core's batch buffers, as fit does:
 * makeResident (every row), ensureCapacity, loadBatch (the rows listed by
 * `indices`, default all, as i32 indices in WASM memory). `labels`: { task: values }.
 * `edit(data)`, if given, may change the resident data before the batch is gathered.
 * Returns the resident data (free it with core.freeResident) and the batch size.
 */
export function loadCoreBatch(model, { x, rows, labels, sampleWeights, indices, edit }) {
  const core = model.core;
  const data = core.makeResident(Float32Array.from(x), rows, new Map(Object.entries(labels)), sampleWeights);
  edit?.(data);
  const ids = indices ?? Array.from({ length: rows }, (_, i) => i);
  core.ensureCapacity(ids.length);
  const { allocator } = runtime('mtl test');
  const idx = allocator.alloc(ids.length * 4);
  try {
    new Int32Array(heapF32().buffer, idx, ids.length).set(ids);
    core.loadBatch(data, idx, ids.length);
  } finally {
    allocator.free(idx);
  }
  return { data, n: ids.length };
}

/**
 * Runs `fn(data, n)` with a batch loaded by loadCoreBatch (same `batch`), and
 * frees the resident data afterwards, whatever fn does.
 */
export function withCoreBatch(model, batch, fn) {
  const { data, n } = loadCoreBatch(model, batch);
  try {
    return fn(data, n);
  } finally {
    model.core.freeResident(data);
  }
}

/**
 * One backward pass of the engine on a batch (loadCoreBatch's `batch`), as fit's
 * step runs it, without the optimizer: the per-task losses and every parameter's
 * gradient by name. `prepare(data)` runs on the loaded batch first.
 */
export function coreGradients(model, batch, prepare) {
  return withCoreBatch(model, batch, (data, n) => {
    prepare?.(data);
    const losses = Array.from(model.core.computeGradients(n, 1e-3, 0));
    return { losses, grads: gradientsByName(model) };
  });
}

/** Every parameter's gradient, by name (copies). */
export function gradientsByName(model) {
  const p = model.parameters;
  return Object.fromEntries(p.names().map((n) => [n, p.gradient(n)]));
}

/** Every parameter's value, by name, as f64 (for the references). */
export function paramsF64(model) {
  const p = model.parameters;
  return Object.fromEntries(p.names().map((n) => [n, Float64Array.from(p.get(n))]));
}

/** A copy of the whole parameter block. */
export function weightsSnapshot(model) {
  const p = model.parameters;
  return heapF32().slice(p.params >>> 2, (p.params >>> 2) + p.size);
}
