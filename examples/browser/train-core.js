// The training job of the browser example, without the DOM and without imports:
// it receives the manytask module (`mt`), so the page's Web Worker runs it with
// dist/web.js and the test runs the very same code in Node with dist/node.js —
// same data, same split, same options, same seed — to compare the weights bit
// for bit (tests/runtimes/browser-example.test.js).

/** The bundled data set and the tasks the page trains on it by default. */
export const PENGUINS = {
  name: 'Palmer penguins',
  url: '../data/penguins.csv',
  tasks: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
  features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
};

export const TASK_KINDS = ['binary', 'multiclass', 'multilabel', 'regression'];
export const FEATURE_KINDS = ['numeric', 'categorical'];

/**
 * Early stopping is on by default: training ends once the validation loss has
 * not improved for `patience` epochs, and the model keeps the weights of its
 * best epoch (not the last, which has often begun to overfit).
 */
export const DEFAULTS = {
  architecture: 'sharedBottom', epochs: 60, learningRate: 0.01, batchSize: 32, seed: 1,
  testFraction: 0.2, validationFraction: 0.15, earlyStopping: true, patience: 20,
};

/**
 * What the page shows about a CSV (text or bytes; the delimiter detected and
 * the bytes checked for UTF-8 by the library), and a default role for each
 * column: the last column is the task, every other column a feature of the
 * type manytask infers (inferSchema: numbers, categories, or left out with a
 * note — ids, names, free text, dates, empty columns).
 */
export function describeCsv(mt, input) {
  const csv = mt.parseCSV(input);
  if (csv.rows.length < 10) throw new Error(`the CSV has ${csv.rows.length} data rows; training needs at least 10`);
  const schema = mt.inferSchema(csv);
  const columns = schema.columns.map((c) => ({
    name: c.name, numeric: c.numeric, missing: c.missing, distinct: c.distinct, values: c.levels, example: c.example,
    inferred: c.type, note: c.note ?? null,
  }));
  const guessTask = (col) => (col.distinct === 2 ? 'binary' : col.numeric && col.distinct > 10 ? 'regression' : 'multiclass');
  const last = columns[columns.length - 1];
  for (const col of columns) {
    col.taskKind = guessTask(col);
    if (col === last) { col.role = 'task'; col.kind = col.taskKind; continue; }
    col.role = col.inferred === 'ignored' ? 'ignore' : 'feature';
    col.kind = col.numeric ? 'numeric' : 'categorical';
  }
  return { header: csv.header, rows: csv.rows.length, delimiter: schema.delimiter, naValues: schema.naValues, columns };
}

/** The Dataset spec for a selection { tasks: {col: kind}, features: {col: kind} }; missing values as the library reads them by default. */
export function datasetSpec({ tasks, features }) {
  return {
    features: Object.fromEntries(Object.entries(features).map(([name, kind]) => [name, kind === 'categorical' ? { type: 'categorical', unknown: 'other' } : 'numeric'])),
    targets: tasks,
  };
}

export function architectureSpec(type) {
  if (type === 'mmoe') return { type: 'mmoe', experts: 4, expertUnits: [16], towerUnits: [8] };
  if (type === 'sharedBottom') return { type: 'sharedBottom', units: [32], towerUnits: [16] };
  throw new Error(`unknown architecture ${type}`);
}

/**
 * Reads the CSV with the selected columns, splits off a stratified test part
 * and, from the rest, a stratified validation part (what early stopping
 * watches), builds the model and trains it. `hooks.onEpoch(logs)` after every
 * epoch, `hooks.onModel(model)` once the model exists (to stop it:
 * model.stopTraining = true). Resolves with { model, data, train, validation,
 * test, history, evaluation, affinity }: `train` is exactly the rows the
 * optimizer saw.
 */
export async function train(mt, csv, selection, options = {}, hooks = {}) {
  const o = { ...DEFAULTS, ...options };
  const taskNames = Object.keys(selection.tasks);
  if (taskNames.length === 0) throw new Error('choose at least one task column');
  if (Object.keys(selection.features).length === 0) throw new Error('choose at least one feature column');
  const data = mt.Dataset.fromCSV(csv, datasetSpec(selection));
  const stratify = taskNames.find((t) => selection.tasks[t] === 'multiclass' || selection.tasks[t] === 'binary');
  const by = stratify ? { stratify } : {};
  const [rest, testPart] = data.split(1 - o.testFraction, { seed: o.seed, ...by });
  const [trainPart, validationPart] = rest.split(1 - o.validationFraction, { seed: o.seed, ...by });
  const model = new mt.MultiTaskModel({
    input: trainPart,
    architecture: architectureSpec(o.architecture),
    tasks: taskNames.map((t) => mt.tasks[selection.tasks[t]](t)),
    optimizer: { type: 'adam', learningRate: o.learningRate },
    seed: o.seed,
  });
  hooks.onModel?.(model);
  const history = await model.fit(trainPart, {
    epochs: o.epochs,
    batchSize: o.batchSize,
    validationData: validationPart,
    seed: o.seed,
    ...(o.earlyStopping ? { earlyStopping: { monitor: 'val_loss', patience: o.patience, restoreBestWeights: true } } : {}),
    callbacks: {
      onEpochEnd: (epoch, logs) => hooks.onEpoch?.(epochSummary(epoch, logs, o.epochs)),
      ...(hooks.onBatch ? { onBatchEnd: (batch, logs) => hooks.onBatch(batch, logs) } : {}),
    },
  });
  const evaluation = model.evaluate(testPart);
  return {
    model, data, train: trainPart, validation: validationPart, test: testPart, history, evaluation, affinity: model.taskAffinity(),
  };
}

/** One epoch's numbers, as plain data for postMessage. */
export function epochSummary(epoch, logs, epochs) {
  return {
    epoch,
    epochs,
    loss: logs.loss,
    valLoss: logs.val?.loss ?? null,
    seconds: logs.seconds,
    tasks: Object.fromEntries(Object.entries(logs.tasks).map(([t, v]) => [t, { loss: v.loss, valLoss: logs.val?.tasks[t]?.loss ?? null }])),
  };
}

/** Up to `count` rows of a Dataset as raw objects (features and, for display, the true labels). */
export function sampleRows(dataset, count) {
  const n = Math.min(count, dataset.rows);
  const cols = [...dataset.featureNames, ...dataset.targetNames].map((name) => [name, dataset.column(name)]);
  return Array.from({ length: n }, (_, r) => Object.fromEntries(cols.map(([name, col]) => {
    const v = col[r];
    return [name, v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? null : Array.isArray(v) ? v.join('|') : v];
  })));
}

/** SHA-256 (hex) of the bytes; Web Crypto, so the same in Node, workers and pages. */
export async function sha256(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Fingerprints of a trained model: every parameter's f32 bytes in declaration
 * order (names and shapes included), and the whole model file from save().
 */
export async function fingerprint(model) {
  const parts = [];
  let size = 0;
  for (const p of model.parameters.list()) {
    const name = new TextEncoder().encode(`${p.name}:${p.shape.join('x')};`);
    const values = new Uint8Array(model.parameters.get(p.name).buffer);
    parts.push(name, values);
    size += name.length + values.length;
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const part of parts) { all.set(part, at); at += part.length; }
  const file = model.save();
  return { parameters: model.parameters.list().length, weights: await sha256(all), modelFile: await sha256(file), modelFileBytes: file.length };
}
