// The page: picks the data and columns, starts and stops training, draws the
// live loss chart, and shows metrics, task affinity and predictions. The model
// lives in worker.js; this thread only talks to it with postMessage and draws,
// so it stays responsive however long training takes.
import { PENGUINS, DEFAULTS, TASK_KINDS, FEATURE_KINDS } from './train-core.js';

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

const state = {
  status: 'loading',
  source: null, // { name, bundled }
  columns: [],
  run: null, // { options, selection, epochs: [], tasks: [] }
  done: null,
  filledRow: null,
  predictionId: 0,
  predictions: [],
};
// For people poking around in devtools, and for the test.
window.manytaskDemo = state;

// `?threads=N` in the page's address: the Worker's manytask runs on N threads (worker.js).
const workerUrl = new URL('./worker.js', import.meta.url);
const askedThreads = new URLSearchParams(location.search).get('threads');
if (askedThreads !== null) workerUrl.searchParams.set('threads', askedThreads);
const worker = new Worker(workerUrl, { type: 'module' });
worker.onmessage = (event) => onWorkerMessage(event.data);
worker.onerror = (event) => {
  event.preventDefault();
  showError(`The training worker failed to start: ${event.message || 'see the browser console'}`);
  setStatus('error');
};
worker.onmessageerror = () => showError('A message from the worker could not be read.');

// ---------------------------------------------------------------- controls

$('epochs').value = DEFAULTS.epochs;
$('learning-rate').value = DEFAULTS.learningRate;
$('seed').value = DEFAULTS.seed;
$('architecture').value = DEFAULTS.architecture;
$('early-stopping').checked = DEFAULTS.earlyStopping;
$('patience').value = DEFAULTS.patience;
$('early-stopping').addEventListener('change', () => { $('patience').disabled = !$('early-stopping').checked; });

$('train-form').addEventListener('submit', (event) => {
  event.preventDefault();
  startTraining();
});
$('stop').addEventListener('click', () => {
  if (state.status !== 'training') return;
  worker.postMessage({ type: 'stop' });
  $('stop').disabled = true;
  $('progress-text').textContent += ' · stopping…';
});
$('use-penguins').addEventListener('click', () => loadPenguins());
$('file').addEventListener('change', (event) => {
  const file = event.target.files?.[0];
  if (file) loadFile(file);
  event.target.value = '';
});
const drop = $('drop');
for (const type of ['dragenter', 'dragover']) {
  drop.addEventListener(type, (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
}
for (const type of ['dragleave', 'drop']) drop.addEventListener(type, () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  const file = event.dataTransfer?.files?.[0];
  if (file) loadFile(file);
});
$('predict-form').addEventListener('submit', (event) => {
  event.preventDefault();
  predict();
});
$('inputs').addEventListener('input', () => { state.filledRow = null; });
$('fill-row').addEventListener('change', () => fillRow(Number($('fill-row').value)));
$('save').addEventListener('click', () => worker.postMessage({ type: 'save' }));

function setStatus(status) {
  state.status = status;
  document.body.dataset.state = status;
  const training = status === 'training';
  const canTrain = status === 'ready' || status === 'trained' || status === 'stopped';
  $('start').disabled = !canTrain;
  $('stop').disabled = !training;
  for (const id of ['architecture', 'epochs', 'learning-rate', 'seed', 'early-stopping', 'file', 'use-penguins']) $(id).disabled = training;
  $('patience').disabled = training || !$('early-stopping').checked;
  for (const el of document.querySelectorAll('#columns select')) el.disabled = training || el.dataset.fixed === 'true';
  const trained = status === 'trained' || status === 'stopped';
  $('predict').disabled = !trained;
  $('fill-row').disabled = !trained;
  $('save').disabled = !trained;
}

function showError(message) {
  const el = $('error');
  el.textContent = message;
  el.hidden = false;
}

function clearError() {
  $('error').hidden = true;
}

// ---------------------------------------------------------------- data

async function loadPenguins() {
  clearError();
  try {
    const response = await fetch(new URL(PENGUINS.url, import.meta.url));
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    const text = await response.text();
    state.source = { name: `${PENGUINS.name} (penguins.csv)`, bundled: true };
    setStatus('loading');
    worker.postMessage({ type: 'load', text, name: 'penguins.csv' });
  } catch (err) {
    showError(`Could not load the bundled penguins.csv: ${err.message}`);
    setStatus('error');
  }
}

function loadFile(file) {
  if (state.status === 'training') return;
  clearError();
  state.source = { name: file.name, bundled: false };
  setStatus('loading');
  $('source-name').textContent = file.name;
  $('source-info').textContent = 'reading…';
  worker.postMessage({ type: 'load', file, name: file.name });
}

function onColumns(msg) {
  const columns = msg.columns.map((c) => ({ ...c }));
  if (state.source?.bundled) {
    for (const c of columns) {
      if (PENGUINS.tasks[c.name]) { c.role = 'task'; c.kind = PENGUINS.tasks[c.name]; }
      else if (PENGUINS.features[c.name]) { c.role = 'feature'; c.kind = PENGUINS.features[c.name]; }
      else c.role = 'ignore';
    }
  }
  state.columns = columns;
  state.done = null; // the Worker's model was trained on other data
  // The delimiter the library detected: a semicolon or tab file is not one column of text.
  const separated = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' }[msg.delimiter] ?? `"${msg.delimiter}"`;
  state.loaded = { name: state.source?.name ?? msg.name, info: `${msg.rows} rows × ${msg.header.length} columns, ${separated}-separated` };
  $('source-name').textContent = state.loaded.name;
  $('source-info').textContent = state.loaded.info;
  renderColumns();
  resetResults();
  setStatus('ready');
  $('progress-text').textContent = 'Ready: choose the tasks and features, then start training.';
}

function renderColumns() {
  const body = $('columns').tBodies[0];
  body.replaceChildren();
  for (const col of state.columns) {
    const tr = el('tr', { 'data-column': col.name });
    const values = col.distinct === 0 ? 'all missing'
      : col.numeric ? `numbers${col.missing ? `, ${col.missing} missing` : ''}`
        : `text, ${col.distinct} distinct${col.missing ? `, ${col.missing} missing` : ''}`;
    // Why manytask leaves a column out by default (an id, dates, …): the library's note, on hover.
    const why = col.note ? ` — left out: ${col.note}` : '';
    tr.append(
      el('td', {}, el('code', {}, col.name)),
      el('td', { class: 'hint', title: `e.g. ${col.example}${why}`, ...(col.note ? { 'data-note': col.note } : {}) }, values),
    );
    const role = el('select', { 'aria-label': `role of ${col.name}`, 'data-role': col.name });
    for (const r of ['task', 'feature', 'ignore']) role.append(el('option', { value: r }, r));
    role.value = col.role;
    const kind = el('select', { 'aria-label': `kind of ${col.name}`, 'data-kind': col.name });
    const fillKinds = () => {
      kind.replaceChildren();
      const kinds = col.role === 'task' ? TASK_KINDS : col.role === 'feature' ? FEATURE_KINDS : [];
      for (const k of kinds) {
        const numericOnly = k === 'numeric' || k === 'regression';
        // values is null beyond the number of categories manytask one-hot encodes by default.
        const tooMany = (k === 'binary' && col.distinct !== 2) || ((k === 'multiclass' || k === 'categorical') && col.values === null);
        kind.append(el('option', { value: k, ...((numericOnly && !col.numeric) || tooMany ? { disabled: '' } : {}) }, k));
      }
      if (col.role === 'ignore') kind.append(el('option', { value: '' }, '—'));
      kind.value = col.role === 'ignore' ? '' : col.kind;
      kind.dataset.fixed = String(col.role === 'ignore');
      kind.disabled = col.role === 'ignore';
    };
    role.addEventListener('change', () => {
      col.role = role.value;
      if (col.role === 'task') col.kind = col.taskKind ?? (col.numeric ? 'regression' : 'multiclass');
      if (col.role === 'feature') col.kind = col.numeric ? 'numeric' : 'categorical';
      fillKinds();
      tr.className = col.role;
    });
    kind.addEventListener('change', () => { col.kind = kind.value; });
    fillKinds();
    tr.className = col.role;
    tr.append(el('td', {}, role), el('td', {}, kind));
    body.append(tr);
  }
}

function selection() {
  const tasks = {}, features = {};
  for (const c of state.columns) {
    if (c.role === 'task') tasks[c.name] = c.kind;
    if (c.role === 'feature') features[c.name] = c.kind;
  }
  return { tasks, features };
}

// ---------------------------------------------------------------- training

function startTraining() {
  if (!(state.status === 'ready' || state.status === 'trained' || state.status === 'stopped')) return;
  clearError();
  const form = $('train-form');
  if (!form.reportValidity()) return;
  const sel = selection();
  if (Object.keys(sel.tasks).length === 0) return showError('Choose at least one column as a task.');
  if (Object.keys(sel.features).length === 0) return showError('Choose at least one column as a feature.');
  const options = {
    architecture: $('architecture').value,
    epochs: Number($('epochs').value),
    learningRate: Number($('learning-rate').value),
    seed: Number($('seed').value),
    earlyStopping: $('early-stopping').checked,
    patience: Number($('patience').value),
  };
  state.run = { options, selection: sel, tasks: Object.keys(sel.tasks), epochs: [], started: performance.now() };
  state.done = null;
  resetResults();
  renderLegend(state.run.tasks);
  drawChart();
  $('progress-bar').max = options.epochs;
  $('progress-bar').value = 0;
  $('progress-text').textContent = 'Starting…';
  setStatus('training');
  startFrameMeter();
  worker.postMessage({ type: 'train', selection: sel, options });
}

function onEpochs(summaries) {
  const run = state.run;
  const last = summaries.at(-1);
  if (!run || !last) return;
  run.epochs.push(...summaries);
  $('progress-bar').value = last.epoch + 1;
  const val = last.valLoss === null ? '' : ` · validation ${fmt(last.valLoss)}`;
  $('progress-text').textContent = `Epoch ${last.epoch + 1} / ${last.epochs} · loss ${fmt(last.loss)}${val}`;
  scheduleChart();
}

function onDone(msg) {
  stopFrameMeter();
  state.done = msg;
  $('progress-bar').max = msg.epochsRun;
  $('progress-bar').value = msg.epochsRun;
  const stopped = msg.reason === 'stopped';
  const secs = msg.seconds.toFixed(1);
  const rows = `${msg.steps} steps on ${msg.rows.train} rows; ${msg.rows.validation} validation rows`;
  const kept = msg.bestEpoch === msg.epochsRun - 1 ? '' : ` The model keeps the weights of epoch ${msg.bestEpoch + 1}, where the validation loss was lowest (${fmt(msg.validationLoss)}).`;
  $('progress-text').textContent = stopped
    ? `Stopped after ${msg.epochsRun} epochs (${secs} s; ${rows}).${kept || ' The model keeps the weights it has.'} Evaluate and predict below.`
    : msg.reason === 'earlyStopping'
      ? `Stopped early after ${msg.epochsRun} epochs in ${secs} s (${rows}): the validation loss had not improved for ${msg.options.patience} epochs.${kept}`
      : `Trained ${msg.epochsRun} epochs in ${secs} s (${rows}).${kept}`;
  drawChart();
  renderMetrics(msg);
  renderAffinity(msg.affinity);
  $('fingerprint').replaceChildren(
    `Weights (${msg.fingerprint.parameters} tensors): SHA-256 `, el('code', { title: msg.fingerprint.weights }, `${msg.fingerprint.weights.slice(0, 16)}…`),
    '. Trained with the same data, options and seed, Node, Deno, Bun and workerd give the same bits.',
  );
  buildPredictForm(msg);
  setStatus(stopped ? 'stopped' : 'trained');
}

// ---------------------------------------------------------------- chart

/**
 * While training, the chart is redrawn at most every CHART_INTERVAL_MS (in an animation frame):
 * ten times a second follows the curves well, and the frames between are left to the rest of
 * the page.
 */
const CHART_INTERVAL_MS = 100;
let chartScheduled = false;
let chartDrawn = 0;
function scheduleChart() {
  if (chartScheduled) return;
  chartScheduled = true;
  setTimeout(() => requestAnimationFrame(() => {
    chartScheduled = false;
    chartDrawn = performance.now();
    drawChart();
  }), Math.max(0, chartDrawn + CHART_INTERVAL_MS - performance.now()));
}

function niceStep(range, count) {
  const raw = range / Math.max(count, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
}

function drawChart() {
  const svg = $('chart');
  svg.replaceChildren();
  const W = 640, H = 280, L = 48, R = 14, T = 12, B = 34;
  const run = state.run;
  const epochs = run?.epochs ?? [];
  // The x-axis spans the epochs run (10 at least while they start), not the epochs asked for:
  // 30,000 requested would squeeze the curve into the left edge.
  const total = Math.max(epochs.length, Math.min(run?.options.epochs ?? 10, 10), 2);
  let max = 0;
  for (const e of epochs) {
    for (const t of Object.values(e.tasks)) {
      if (Number.isFinite(t.loss)) max = Math.max(max, t.loss);
      if (Number.isFinite(t.valLoss)) max = Math.max(max, t.valLoss);
    }
  }
  if (!(max > 0)) max = 1;
  const yStep = niceStep(max, 5);
  const yMax = Math.ceil(max / yStep) * yStep;
  const x = (epoch) => L + ((epoch - 1) / Math.max(total - 1, 1)) * (W - L - R);
  const y = (v) => T + (1 - v / yMax) * (H - T - B);

  const grid = el('g', { class: 'grid' }, [], SVG);
  for (let v = 0; v <= yMax + yStep / 2; v += yStep) {
    grid.append(el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v) }, [], SVG));
    grid.append(el('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, trimNumber(v), SVG));
  }
  const xStep = Math.max(1, niceStep(total, 8));
  for (let e = xStep; e <= total; e += xStep) {
    grid.append(el('line', { x1: x(e), x2: x(e), y1: T, y2: H - B, class: 'minor' }, [], SVG));
    grid.append(el('text', { x: x(e), y: H - B + 16, 'text-anchor': 'middle' }, String(e), SVG));
  }
  grid.append(el('text', { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis-title' }, 'epoch', SVG));
  grid.append(el('text', { x: 12, y: (T + H - B) / 2, 'text-anchor': 'middle', class: 'axis-title', transform: `rotate(-90 12 ${(T + H - B) / 2})` }, 'loss', SVG));
  svg.append(grid);
  if (!run) {
    svg.append(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, 'the loss of each task appears here, epoch by epoch', SVG));
    return;
  }
  // The epoch whose weights the model keeps (early stopping restores the best one).
  const best = state.done && state.done.bestEpoch !== state.done.epochsRun - 1 ? state.done.bestEpoch + 1 : null;
  if (best !== null) {
    svg.append(el('line', { x1: x(best), x2: x(best), y1: T, y2: H - B, class: 'best', 'data-best-epoch': best }, [], SVG));
    svg.append(el('text', { x: x(best) + 4, y: T + 10, class: 'best' }, `weights kept (epoch ${best})`, SVG));
  }
  run.tasks.forEach((task, i) => {
    for (const series of ['train', 'val']) {
      const xs = [], ys = [];
      for (const e of epochs) {
        const v = series === 'train' ? e.tasks[task]?.loss : e.tasks[task]?.valLoss;
        if (Number.isFinite(v)) { xs.push(x(e.epoch + 1)); ys.push(y(v)); }
      }
      // At most one point per pixel of the plot: past that, each point is the mean of a run of
      // consecutive epochs. Drawing every epoch made each frame cost more as training went on
      // (some 1,700 epochs already kept this page's thread busy for most of every frame).
      const perPoint = Math.ceil(xs.length / (W - L - R));
      const pts = [];
      for (let i = 0; i < xs.length; i += perPoint) {
        const end = Math.min(i + perPoint, xs.length);
        let sx = 0, sy = 0;
        for (let j = i; j < end; j++) { sx += xs[j]; sy += ys[j]; }
        pts.push(`${(sx / (end - i)).toFixed(1)},${(sy / (end - i)).toFixed(1)}`);
      }
      svg.append(el('polyline', {
        points: pts.join(' '),
        fill: 'none',
        stroke: COLORS[i % COLORS.length],
        'stroke-width': series === 'train' ? 2 : 1.6,
        'stroke-dasharray': series === 'train' ? '' : '5 4',
        'data-task': task,
        'data-series': series,
        'data-points': pts.length,
      }, [], SVG));
    }
  });
}

function renderLegend(tasks) {
  const legend = $('legend');
  legend.replaceChildren();
  tasks.forEach((task, i) => {
    const sw = el('span', { class: 'swatch', style: `background:${COLORS[i % COLORS.length]}` });
    legend.append(el('span', { class: 'key' }, [sw, task]));
  });
  legend.append(el('span', { class: 'key hint' }, [el('span', { class: 'line solid' }), 'train']));
  legend.append(el('span', { class: 'key hint' }, [el('span', { class: 'line dashed' }), 'validation']));
}

// ---------------------------------------------------------------- results

const METRICS = [['accuracy', 3], ['f1', 3], ['auc', 3], ['mae', 'auto'], ['rmse', 'auto'], ['r2', 3]];

function resetResults() {
  $('metrics').tBodies[0].replaceChildren(el('tr', {}, el('td', { colspan: 10, class: 'hint' }, 'Train a model to see its metrics.')));
  $('affinity').replaceChildren(el('p', { class: 'hint' }, '—'));
  $('fingerprint').textContent = '';
  $('inputs').replaceChildren(el('p', { class: 'hint' }, 'Train a model first.'));
  $('fill-row').replaceChildren();
  $('prediction').replaceChildren();
}

function renderMetrics(msg) {
  const body = $('metrics').tBodies[0];
  body.replaceChildren();
  $('results-note').textContent = `on the ${msg.rows.test} held-out test rows (${msg.rows.train} trained on, ${msg.rows.validation} for validation)`;
  msg.tasks.forEach((task, i) => {
    const ev = msg.evaluation.tasks[task.name];
    const tr = el('tr', { 'data-task': task.name });
    const name = el('td', {}, [el('span', { class: 'swatch', style: `background:${COLORS[i % COLORS.length]}` }), task.name]);
    tr.append(name, el('td', {}, task.kind), el('td', { class: 'num' }, ev ? String(ev.rows) : '0'));
    tr.append(metricCell(task.name, 'loss', ev?.loss, 3));
    for (const [metric, digits] of METRICS) tr.append(metricCell(task.name, metric, ev?.[metric], digits));
    body.append(tr);
  });
}

function metricCell(task, metric, value, digits) {
  const has = typeof value === 'number' && Number.isFinite(value);
  return el('td', { class: 'num', 'data-task': task, 'data-metric': metric, ...(has ? { 'data-value': String(value) } : {}) },
    has ? (digits === 'auto' ? fmt(value) : value.toFixed(digits)) : '—');
}

function renderAffinity(affinity) {
  const box = $('affinity');
  box.replaceChildren();
  if (!affinity) {
    box.append(el('p', { class: 'hint' }, 'Affinity needs two tasks or more.'));
    return;
  }
  const table = el('table', { class: 'affinity' });
  table.append(el('tr', {}, [el('th'), ...affinity.tasks.map((t) => el('th', {}, t))]));
  affinity.tasks.forEach((s, i) => {
    const tr = el('tr', {}, el('th', {}, s));
    affinity.tasks.forEach((t, j) => {
      const v = affinity.matrix[i][j];
      const ok = Number.isFinite(v);
      const a = ok ? Math.min(Math.abs(v), 1) : 0;
      const bg = !ok || Math.abs(v) < 0.005 ? '#f1f5f9' : v >= 0 ? `rgba(22,163,74,${0.1 + 0.6 * a})` : `rgba(220,38,38,${0.1 + 0.6 * a})`;
      tr.append(el('td', { class: 'num', style: `background:${bg}`, 'data-pair': `${s}|${t}` }, ok ? (Math.abs(v) < 0.005 ? 0 : v).toFixed(2) : '—'));
    });
    table.append(tr);
  });
  box.append(table);
  box.append(el('p', {}, ['Suggested groups: ', ...affinity.groups.flatMap((g, i) => [i ? ' ' : '', el('span', { class: 'group' }, `{ ${g.join(', ')} }`)])]));
}

// ---------------------------------------------------------------- predict

function buildPredictForm(msg) {
  const box = $('inputs');
  box.replaceChildren();
  for (const input of msg.inputs) {
    let field;
    if (input.type === 'categorical' && input.values) {
      field = el('select', { name: input.name, 'data-feature': input.name });
      field.append(el('option', { value: '' }, '(missing)'));
      for (const v of input.values) field.append(el('option', { value: v }, v));
    } else if (input.type === 'categorical') {
      field = el('input', { name: input.name, type: 'text', 'data-feature': input.name });
    } else {
      field = el('input', { name: input.name, type: 'number', step: 'any', placeholder: 'missing', 'data-feature': input.name });
    }
    box.append(el('label', {}, [el('span', {}, input.name), field]));
  }
  const fill = $('fill-row');
  fill.replaceChildren();
  const tasks = msg.tasks.map((t) => t.name);
  msg.sampleRows.forEach((row, i) => {
    const labels = tasks.map((t) => (row[t] === null ? '?' : typeof row[t] === 'number' ? fmt(row[t]) : row[t])).join(', ');
    fill.append(el('option', { value: i }, `#${i + 1}: ${labels}`));
  });
  if (msg.sampleRows.length) fillRow(0);
}

function fillRow(i) {
  const row = state.done?.sampleRows[i];
  if (!row) return;
  for (const field of $('inputs').querySelectorAll('[data-feature]')) {
    const v = row[field.dataset.feature];
    field.value = v === null || v === undefined ? '' : String(v);
  }
  state.filledRow = row;
  $('prediction').replaceChildren();
}

function predict() {
  if (!state.done) return;
  const row = {};
  for (const field of $('inputs').querySelectorAll('[data-feature]')) {
    const input = state.done.inputs.find((f) => f.name === field.dataset.feature);
    const text = field.value.trim();
    row[input.name] = text === '' ? null : input.type === 'numeric' ? Number(text) : text;
  }
  const id = ++state.predictionId;
  state.pendingPrediction = { id, actual: state.filledRow };
  worker.postMessage({ type: 'predict', id, row });
}

function onPrediction(msg) {
  if (state.pendingPrediction?.id !== msg.id) return;
  const actual = state.pendingPrediction.actual;
  state.predictions.push(msg.result);
  const box = $('prediction');
  box.replaceChildren();
  state.done.tasks.forEach((task, i) => {
    const p = msg.result[task.name];
    if (!p) return;
    const card = el('div', { class: 'card', 'data-task': task.name }, el('h4', {}, [el('span', { class: 'swatch', style: `background:${COLORS[i % COLORS.length]}` }), task.name]));
    let text;
    if (p.kind === 'regression') text = fmt(p.value);
    else if (p.kind === 'binary' || p.kind === 'multiclass') text = String(p.label);
    else text = p.labels.length ? p.labels.join(', ') : '(no label)';
    card.append(el('p', { class: 'answer', 'data-prediction': task.name }, text));
    if (p.kind === 'binary') card.append(el('p', { class: 'hint' }, `p(${p.classes[1]}) = ${p.probability.toFixed(3)}`));
    if (p.kind === 'multiclass' || p.kind === 'multilabel') {
      const bars = el('div', { class: 'bars' });
      p.classes.forEach((c, j) => {
        const pr = p.probabilities[j];
        bars.append(el('div', { class: 'bar' }, [el('span', { class: 'label' }, String(c)), el('span', { class: 'track' }, el('span', { class: 'fill', style: `width:${(pr * 100).toFixed(1)}%;background:${COLORS[i % COLORS.length]}` })), el('span', { class: 'num' }, pr.toFixed(2))]));
      });
      card.append(bars);
    }
    if (actual && actual[task.name] !== undefined) {
      const a = actual[task.name];
      card.append(el('p', { class: 'hint' }, `the row's label: ${a === null ? 'missing' : typeof a === 'number' ? fmt(a) : a}`));
    }
    box.append(card);
  });
}

// ---------------------------------------------------------------- the main thread's frame rate

const meter = { running: false, frames: 0, longest: 0, last: 0, shown: 0 };
function startFrameMeter() {
  Object.assign(meter, { running: true, frames: 0, longest: 0, last: performance.now(), shown: performance.now() });
  const tick = (now) => {
    if (!meter.running) return;
    meter.longest = Math.max(meter.longest, now - meter.last);
    meter.last = now;
    meter.frames++;
    if (now - meter.shown > 500) {
      meter.shown = now;
      $('fps').textContent = meterText();
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
function meterText() {
  return `This page while the Worker trains: ${meter.frames} frames drawn; the longest gap between two frames: ${meter.longest.toFixed(0)} ms.`;
}
function stopFrameMeter() {
  meter.running = false;
  $('fps').textContent = meter.frames ? meterText() : '';
}

// ---------------------------------------------------------------- worker messages

/** How many threads the Worker's manytask runs on, and why not more. */
function showThreads(info) {
  const el = $('threads');
  el.dataset.threads = String(info.threads);
  el.textContent = `manytask runs on ${info.threads} thread${info.threads === 1 ? '' : 's'}` +
    (info.reason ? ` (${info.reason})` : askedThreads === null ? ' (the browser default: one per core, less one left to this page; ?threads=N for others)' : '');
}

// Made when the page loads: the first toLocaleString took the page's thread ~50 ms (loading the
// locale's data), a long task at the start of every training.
const COUNT = new Intl.NumberFormat('en');

function onWorkerMessage(msg) {
  switch (msg.type) {
    case 'ready':
      showThreads(msg.threads);
      loadPenguins();
      break;
    case 'columns':
      onColumns(msg);
      break;
    case 'started':
      $('progress-text').textContent = `Training a model with ${COUNT.format(msg.parameters)} parameters on ${msg.features} encoded features…`;
      break;
    case 'batch':
      if (state.run && state.run.epochs.length === 0) $('progress-text').textContent = `Epoch 1 · step ${msg.step}…`;
      break;
    case 'epochs':
      onEpochs(msg.epochs);
      break;
    case 'done':
      onDone(msg);
      break;
    case 'prediction':
      onPrediction(msg);
      break;
    case 'saved': {
      const url = URL.createObjectURL(new Blob([msg.bytes], { type: 'application/octet-stream' }));
      const a = el('a', { href: url, download: 'model.mtsk' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      break;
    }
    case 'error': {
      const where = { load: 'reading the CSV', train: 'training', predict: 'predicting', save: 'saving', init: 'loading manytask' }[msg.during] ?? msg.during;
      showError(`Error while ${where}: ${msg.message}${msg.code ? ` (${msg.code})` : ''}`);
      if (msg.during === 'train') {
        stopFrameMeter();
        $('progress-text').textContent = 'Training failed.';
        setStatus(state.columns.length ? 'ready' : 'error');
      } else if (msg.during === 'load') {
        // The Worker keeps the data it had: show that again.
        setStatus(state.loaded ? (state.done ? (state.done.reason === 'stopped' ? 'stopped' : 'trained') : 'ready') : 'error');
        $('source-name').textContent = state.loaded?.name ?? '';
        $('source-info').textContent = state.loaded?.info ?? 'no data';
      } else if (msg.during === 'init') {
        setStatus('error');
      }
      break;
    }
    default:
      break;
  }
}

// ---------------------------------------------------------------- helpers

function el(tag, attrs = {}, children = [], ns = null) {
  const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of [].concat(children)) node.append(c);
  return node;
}

function fmt(v) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(3) : v.toPrecision(3);
}

function trimNumber(v) {
  return String(Number(v.toPrecision(6)));
}

drawChart();
