// The browser example (examples/browser/) in Debian's Chromium, driven by playwright-core.
//
// The page is served by scripts/serve-browser.mjs (what `npm run serve:browser`
// runs) on 127.0.0.1, port 0. Two training runs on the bundled penguins:
//
//  1. A long one (100,000 epochs, early stopping unticked) that the test stops
//     with the Stop button once it is under way. While it runs, the page's main
//     thread is measured — the longest gap between animation frames, and the
//     Long Tasks (> 50 ms) it ran — to show that training in the Worker leaves
//     the page responsive; the chart's x-axis spans the epochs run, not the
//     100,000 asked for. Stop must end it early and leave a usable model.
//     The bounds on the main thread's work are on its own time (a Chromium
//     trace's thread time): on a loaded machine the wall clock also counts the
//     time the operating system gives other processes' threads.
//  2. A seeded one (MMoE, up to 300 epochs) with early stopping, on by default:
//     it stops once the validation loss has not improved for 20 epochs and keeps
//     the best epoch's weights (the kept model's validation loss is the best
//     epoch's). The chart has a train and a validation line with a point per
//     epoch for every task and marks the epoch kept; the row counts in the
//     progress text and the results agree; the metrics table clears the
//     thresholds below, the affinity matrix is shown, and a prediction appears
//     for every task. The Worker's weights (SHA-256 of every parameter's f32
//     bytes, and of the whole model file) must equal those of the same training
//     in this Node process — the same code (examples/browser/train-core.js),
//     data, splits, options and seed.
//
// Then other files, chosen with the file input: Seattle's weather (default
// roles from the library's column inference, trained briefly), the penguins
// with NA cells separated by semicolons and by tabs (read as 7 columns, numbers
// as numbers), and a Latin-1 file (refused with a message saying so).
//
// No page errors, console errors or failed requests are allowed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ensureChromium, launchChromium } from './helpers/chromium.js';
import { REPO } from './helpers/process.js';
import { startServer } from '../../scripts/serve-browser.mjs';
import { PENGUINS_CSV, penguinsWith, latin1 } from '../helpers/csv-files.js';


/** Test-set thresholds for run 2 (measured: species 1.000, sex 0.853). */
const MIN_SPECIES_ACCURACY = 0.9;
const MIN_SEX_ACCURACY = 0.7;
/** Run 2: the seeded training, ended by early stopping (on by default, patience 20). */
const RUN2 = { architecture: 'mmoe', epochs: 300, learningRate: 0.01, seed: 1, earlyStopping: true, patience: 20 };
/** The chart's plot area runs from x = 48 to 640 − 14 (examples/browser/app.js drawChart). */
const CHART_RIGHT = 626;
const PLOT_WIDTH = CHART_RIGHT - 48;
/** Run 1: long enough to still be running when Stop is clicked. */
const RUN1_EPOCHS = 100_000;
/**
 * Main-thread bounds while the Worker trains (measured on a quiet 2-core machine: longest
 * frame gap 17-33 ms, no long task in 3 runs of 4 and one of 67 ms in the 4th, a click
 * handled within 7 ms). The frame gaps are
 * counted once training is under way (from its 20th epoch): in the first ~100 ms after the
 * click, while the Worker reads the data, builds the model and starts, the page drew no
 * frame for up to 100 ms on two cores with no long task on its own thread (its long tasks
 * are counted from before the click). Training itself once cost frames too:
 * redrawing every epoch's point on every frame and a message per epoch made 50-90 ms long
 * tasks by 1,700 epochs, and the first toLocaleString another ~50 ms (examples/browser/app.js
 * now draws at most a point per pixel ten times a second, gets epochs in batches every 50 ms,
 * and makes its number format when it loads). On data this small even training on
 * the main thread would stay within them (fit yields to the event loop after every
 * epoch and every 50 ms: measured 33-50 ms gaps, no long task); what shows the
 * training ran in the Worker is that the Worker, not the page, fetched manytask.wasm.
 *
 * Both bounds are on the time the main thread ran, its thread (CPU) time in a Chromium trace:
 * the work the page did between two frames, and in each task. The wall clock counts the time
 * the thread waited for a core besides: with two busy processes on the two cores a frame task
 * of 7-16 ms of thread time took 50-95 ms, and a gap between frames reached 183 ms with the
 * page's work in it as small as ever. The wall-clock gaps and the Long Tasks API's durations
 * are reported beside them.
 */
const MAX_FRAME_GAP_MS = 100;
const MAX_LONG_TASKS_MS = 200;
/** A task is long past 50 ms (the Long Tasks API's threshold), here of thread time. */
const LONG_TASK_MS = 50;
/** The trace categories with the main thread's tasks (RunTask), calls (FunctionCall) and console.timeStamp marks, each with its thread time. */
const TRACE_CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline'];
/** The name of the probe's animation-frame callback, to find its calls in the trace. */
const FRAME_PROBE = 'manytaskFrameProbe';
/** The console.timeStamp mark from which the frame gaps are counted. */
const FRAMES_FROM = 'manytask: frame gaps from here';
/**
 * From a click on Stop during training to its handler (measured: under 5 ms), the main thread's
 * own time in it, as for the bounds above (with two busy processes on the cores the wall clock
 * reached 36 ms).
 */
const MAX_INPUT_DELAY_MS = 50;
/** The console.timeStamp mark of the click on Stop reaching its handler. */
const STOP_HANDLED = 'manytask: the click on Stop handled';

/** The same training in this process, with the Node build. */
async function trainInNode(selection, options) {
  const mt = await import('../../dist/node.js');
  const { train, fingerprint } = await import('../../examples/browser/train-core.js');
  await mt.init();
  const csv = await readFile(join(REPO, 'examples/data/penguins.csv'), 'utf8');
  const result = await train(mt, csv, selection, options);
  try {
    return { fingerprint: await fingerprint(result.model), evaluation: result.evaluation, epochsRun: result.history.epochs.length };
  } finally {
    result.model.dispose();
  }
}

/**
 * Starts measuring the main thread: animation frames (their callback is named FRAME_PROBE, for the
 * trace) and their wall-clock gaps, and Long Tasks (wall-clock durations, reported).
 */
function startMainThreadProbe(page) {
  return page.evaluate((name) => {
    const probe = { frames: 0, maxGap: 0, longTasks: [], running: true, last: performance.now() };
    window.__probe = probe;
    const callback = {
      [name]: (now) => {
        if (!probe.running) return;
        probe.maxGap = Math.max(probe.maxGap, now - probe.last);
        probe.last = now;
        probe.frames++;
        requestAnimationFrame(callback);
      },
    }[name];
    requestAnimationFrame(callback);
    probe.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) probe.longTasks.push(Math.round(e.duration));
    });
    probe.observer.observe({ type: 'longtask' });
  }, FRAME_PROBE);
}

/**
 * Counts frames and their gaps afresh from now (the long tasks go on being collected), and marks
 * the trace there (console.timeStamp); returns Date.now().
 */
async function restartFrameCount(page) {
  await page.evaluate((mark) => {
    Object.assign(window.__probe, { frames: 0, maxGap: 0, last: performance.now() });
    console.timeStamp(mark);
  }, FRAMES_FROM);
  return Date.now();
}

/**
 * The page's main thread in a Chromium trace (the thread that ran the probe's frames): for each
 * gap between two of its frames from the FRAMES_FROM mark on, the gap on the wall clock and the
 * thread time the main thread ran in it (the difference of the two calls' thread clocks); the
 * thread time of each of its tasks longer than LONG_TASK_MS of it; and the thread time it ran from
 * the click on Stop (`stopLatencyMs` of wall clock before the STOP_HANDLED mark) to its handler.
 */
function mainThreadWork(trace, stopLatencyMs) {
  const events = JSON.parse(trace.toString('utf8')).traceEvents;
  const calls = events.filter((e) => e.name === 'FunctionCall' && e.ph === 'X' && e.args?.data?.functionName === FRAME_PROBE);
  assert.ok(calls.length > 0, `the trace has no call of the frame probe (${events.length} events)`);
  const { pid, tid } = calls[0];
  const main = (e) => e.pid === pid && e.tid === tid;
  const mark = events.find((e) => e.name === 'TimeStamp' && main(e) && e.args?.data?.message === FRAMES_FROM);
  assert.ok(mark, 'the trace lacks the mark from which the frame gaps are counted');
  const frames = calls.filter((e) => main(e) && e.ts >= mark.ts).sort((a, b) => a.ts - b.ts);
  assert.ok(frames.length >= 2 && frames.every((f) => Number.isFinite(f.tts)), `the trace has ${frames.length} frames after the mark, or frames without thread time`);
  const gaps = frames.slice(1).map((f, i) => ({ wall: (f.ts - frames[i].ts) / 1000, thread: (f.tts - frames[i].tts) / 1000 }));
  const tasks = events.filter((e) => e.name === 'RunTask' && e.ph === 'X' && main(e));
  assert.ok(tasks.length > 0 && tasks.every((e) => Number.isFinite(e.tdur)), 'the trace has no task of the main thread with its thread time');
  const longTasks = tasks.filter((e) => e.tdur > LONG_TASK_MS * 1000).map((e) => Math.round(e.tdur / 1000));
  // The thread clock when the click was made: in the task then running, in proportion to the part of
  // it past; between tasks (the thread idle), where the last one left it.
  const handled = events.find((e) => e.name === 'TimeStamp' && main(e) && e.args?.data?.message === STOP_HANDLED);
  assert.ok(handled && Number.isFinite(handled.tts), 'the trace lacks the mark of the click on Stop reaching its handler, or its thread time');
  const clicked = handled.ts - stopLatencyMs * 1000;
  const before = tasks.filter((e) => e.ts <= clicked).reduce((a, e) => (a === null || e.ts > a.ts ? e : a), null);
  const clickTts = before === null ? handled.tts
    : clicked < before.ts + before.dur ? before.tts + before.tdur * ((clicked - before.ts) / before.dur) : before.tts + before.tdur;
  return { frames: frames.length, gaps, longTasks, stopWork: Math.max(0, handled.tts - clickTts) / 1000 };
}

function stopMainThreadProbe(page) {
  return page.evaluate(() => {
    const p = window.__probe;
    p.running = false;
    p.observer.disconnect();
    return { frames: p.frames, maxGap: p.maxGap, longTasks: p.longTasks };
  });
}

const state = (page) => page.evaluate(() => document.body.dataset.state);

test('browser example: trains in a Worker, charts, evaluates, predicts, stops, and matches Node bit for bit', { timeout: 1_200_000 }, async (t) => {
  await ensureChromium(t);
  for (const f of ['dist/web.js', 'dist/node.js', 'dist/manytask.wasm']) {
    assert.ok(existsSync(join(REPO, f)), `${f} is missing: run npm run build`);
  }
  const started = Date.now();
  const requests = [];
  const problems = [];
  const { server, url } = await startServer({ port: 0, onRequest: (r) => requests.push(r) });
  let browser;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => problems.push(`page error: ${err.stack ?? err}`));
    page.on('console', (msg) => { if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()}`); });
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`));
    page.on('worker', (w) => w.on('console', (msg) => { if (msg.type() === 'error') problems.push(`worker console error: ${msg.text()}`); }));
    const context = () => `\nrequests: ${JSON.stringify(requests.filter((r) => r.status !== 200))}\nproblems: ${problems.join('\n')}`;

    const response = await page.goto(url, { waitUntil: 'load', timeout: 20_000 });
    assert.equal(response?.status(), 200);
    await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 20_000 });
    assert.equal(await state(page), 'ready', `the page did not get ready: ${await page.textContent('#error')}${context()}`);
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), true, `the page is not cross-origin isolated${context()}`);
    // The Worker's manytask on init's default in a browser (the cores less one, at least 1, at most 8); the page says how many.
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const defaultThreads = Math.max(1, Math.min(8, cores - 1));
    assert.equal(await page.$eval('#threads', (el) => Number(el.dataset.threads)), defaultThreads, `${await page.textContent('#threads')}${context()}`);
    assert.match(await page.textContent('#threads'), new RegExp(`runs on ${defaultThreads} thread`));
    // The bundled penguins, with the preset tasks and features.
    const roles = await page.$$eval('#columns tbody tr', (trs) => trs.map((tr) => [tr.dataset.column, tr.querySelector('[data-role]').value, tr.querySelector('[data-kind]').value]));
    assert.deepEqual(Object.fromEntries(roles.map(([c, r, k]) => [c, `${r}:${k}`])), {
      species: 'task:multiclass', island: 'feature:categorical', bill_length_mm: 'feature:numeric', bill_depth_mm: 'feature:numeric',
      flipper_length_mm: 'feature:numeric', body_mass_g: 'task:regression', sex: 'task:binary',
    });

    // ---- run 1: a long training, stopped with the button; the main thread measured meanwhile.
    assert.equal(await page.isChecked('#early-stopping'), true, 'early stopping is on by default');
    await page.selectOption('#architecture', 'sharedBottom');
    await page.fill('#epochs', String(RUN1_EPOCHS));
    await page.uncheck('#early-stopping');
    await startMainThreadProbe(page);
    await browser.startTracing(page, { categories: TRACE_CATEGORIES });
    const t1 = Date.now();
    await page.click('#start');
    await page.waitForFunction(() => (window.manytaskDemo.run?.epochs.length ?? 0) >= 20, null, { timeout: 20_000 });
    const framesFrom = await restartFrameCount(page);
    // Let it train for a while, then check the chart is being drawn live.
    await page.waitForTimeout(1500);
    assert.equal(await state(page), 'training', `run 1 ended before it was stopped${context()}`);
    const live = await page.$$eval('#chart polyline[data-series="train"]', (ls) => ls.map((l) => Number(l.dataset.points)));
    assert.ok(live.length === 3 && live.every((n) => n >= 20), `the chart is not drawn while training: ${live}`);
    // However many epochs have run, a line has at most one point per pixel of the plot (its cost per frame stays bounded).
    assert.ok(live.every((n) => n <= PLOT_WIDTH), `a line of the chart has more points (${live}) than the plot has pixels (${PLOT_WIDTH})`);
    // The x-axis spans the epochs run: the newest point is at the right edge, not squeezed to the left of a 100,000-epoch axis.
    const lastX = await page.$$eval('#chart polyline[data-series="train"]', (ls) => ls.map((l) => Number(l.getAttribute('points').trim().split(/\s+/).at(-1).split(',')[0])));
    for (const x of lastX) assert.ok(x > CHART_RIGHT - 5 && x <= CHART_RIGHT, `the newest point is at x = ${x}, not at the right edge (${CHART_RIGHT})`);
    // How long the click on Stop waits for the main thread: from the input event to its handler.
    await page.evaluate((mark) => document.getElementById('stop').addEventListener('click', (e) => {
      window.__stopLatency = performance.now() - e.timeStamp;
      console.timeStamp(mark);
    }, { capture: true, once: true }), STOP_HANDLED);
    const stopClicked = Date.now();
    await page.click('#stop');
    await page.waitForFunction(() => document.body.dataset.state !== 'training', null, { timeout: 10_000 });
    const stopMs = Date.now() - stopClicked;
    const probe = await stopMainThreadProbe(page);
    const stopLatency = await page.evaluate(() => window.__stopLatency);
    const work = mainThreadWork(await browser.stopTracing(), stopLatency);
    const run1Ms = Date.now() - t1;
    assert.equal(await state(page), 'stopped', `Stop did not stop training cleanly: ${await page.textContent('#error')}${context()}`);
    const run1 = await page.evaluate(() => ({ reason: window.manytaskDemo.done.reason, epochsRun: window.manytaskDemo.done.epochsRun }));
    assert.equal(run1.reason, 'stopped');
    assert.ok(run1.epochsRun >= 20 && run1.epochsRun < RUN1_EPOCHS, `run 1 ran ${run1.epochsRun} epochs`);
    assert.ok(stopMs < 5000, `Stop took ${stopMs} ms to take effect`);
    // The page's main thread kept drawing frames while the Worker trained.
    const framesMs = Date.now() - framesFrom;
    assert.ok(probe.frames >= (framesMs / 1000) * 10, `only ${probe.frames} animation frames in ${framesMs} ms of training`);
    // Its work between two frames and in its tasks, in its own (thread) time.
    const busiest = work.gaps.reduce((a, g) => (g.thread > a.thread ? g : a));
    const longestGap = Math.max(...work.gaps.map((g) => g.wall));
    assert.ok(busiest.thread < MAX_FRAME_GAP_MS,
      `the main thread ran ${busiest.thread.toFixed(0)} ms between two frames while training (over ${busiest.wall.toFixed(0)} ms of wall clock; bound ${MAX_FRAME_GAP_MS} ms)`);
    const longTasksMs = work.longTasks.reduce((a, b) => a + b, 0);
    assert.ok(longTasksMs < MAX_LONG_TASKS_MS,
      `${longTasksMs} ms of long tasks on the main thread while training (${work.longTasks.join(', ')} ms of thread time; bound ${MAX_LONG_TASKS_MS} ms)`);
    assert.ok(work.stopWork < MAX_INPUT_DELAY_MS,
      `the click on Stop waited for ${work.stopWork.toFixed(1)} ms of the main thread's work (${stopLatency.toFixed(1)} ms of wall clock; bound ${MAX_INPUT_DELAY_MS} ms)`);
    // The kernels ran in the Worker: it fetched manytask.wasm (init()), the page itself did not.
    const pageResources = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
    assert.ok(!pageResources.includes('/dist/manytask.wasm'), `the page's main thread fetched manytask.wasm: ${pageResources}`);
    const [worker] = page.workers();
    assert.ok(worker && new URL(worker.url()).pathname === '/examples/browser/worker.js', `no worker.js Worker: ${page.workers().map((w) => w.url())}`);
    const workerResources = await worker.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname));
    assert.ok(workerResources.includes('/dist/manytask.wasm'), `the Worker did not fetch manytask.wasm: ${workerResources}`);
    // The stopped model is still usable: metrics and a prediction.
    assert.ok(Number(await page.getAttribute('#metrics td[data-task="species"][data-metric="accuracy"]', 'data-value')) > 0.5);
    await page.click('#predict');
    await page.waitForFunction(() => document.querySelectorAll('#prediction [data-prediction]').length === 3, null, { timeout: 10_000 });
    assert.match(await page.textContent('#fps'), /^This page while the Worker trains: \d+ frames drawn; the longest gap between two frames: \d+ ms\.$/);
    t.diagnostic(`run 1: stopped after ${run1.epochsRun} epochs (${run1Ms} ms; the click on Stop reached its handler after ${work.stopWork.toFixed(1)} ms of the main thread's time, ${stopLatency.toFixed(1)} ms on the wall clock, training ended ${stopMs} ms after it); main thread: ${probe.frames} frames in the last ${framesMs} ms, at most ${busiest.thread.toFixed(1)} ms of its time between two (the longest gap ${longestGap.toFixed(1)} ms on the wall clock, ${probe.maxGap.toFixed(1)} ms to the page), long tasks of its time [${work.longTasks.join(', ')}] (Long Tasks API, wall clock: [${probe.longTasks.join(', ')}])`);

    // ---- run 2: seeded, ended by early stopping.
    await page.check('#early-stopping');
    assert.equal(await page.inputValue('#patience'), String(RUN2.patience));
    await page.selectOption('#architecture', RUN2.architecture);
    await page.fill('#epochs', String(RUN2.epochs));
    await page.fill('#learning-rate', String(RUN2.learningRate));
    await page.fill('#seed', String(RUN2.seed));
    const t2 = Date.now();
    await page.click('#start');
    await page.waitForFunction((epochs) => ['trained', 'stopped', 'error'].includes(document.body.dataset.state) && window.manytaskDemo.run?.options.epochs === epochs && window.manytaskDemo.done, RUN2.epochs, { timeout: 30_000 });
    const run2Ms = Date.now() - t2;
    assert.equal(await state(page), 'trained', `run 2 did not complete: ${await page.textContent('#error')}${context()}`);
    const done = await page.evaluate(() => window.manytaskDemo.done);
    const epochs = await page.evaluate(() => window.manytaskDemo.run.epochs);
    assert.equal(done.reason, 'earlyStopping');
    assert.ok(done.epochsRun < RUN2.epochs, `run 2 ran all ${done.epochsRun} epochs`);
    // Stopped after `patience` epochs without improvement, and the best epoch's weights kept:
    // the kept model's validation loss is that epoch's, the lowest of the run, below the last epoch's.
    assert.equal(done.epochsRun, done.bestEpoch + 1 + RUN2.patience);
    const valLosses = epochs.map((e) => e.valLoss);
    assert.equal(Math.min(...valLosses), valLosses[done.bestEpoch]);
    assert.ok(Math.abs(done.validationLoss - valLosses[done.bestEpoch]) <= 1e-6 * valLosses[done.bestEpoch], `kept ${done.validationLoss}, best epoch ${valLosses[done.bestEpoch]}`);
    assert.ok(done.validationLoss < valLosses.at(-1), `kept ${done.validationLoss}, last epoch ${valLosses.at(-1)}`);
    assert.deepEqual(done.options, RUN2);
    // One count of rows everywhere: the rows trained on, those early stopping watched, the test rows.
    assert.equal(done.rows.train + done.rows.validation + done.rows.test, done.rows.all);
    assert.equal(done.rows.all, 344);
    const progressText = await page.textContent('#progress-text');
    assert.match(progressText, new RegExp(`^Stopped early after ${done.epochsRun} epochs in [\\d.]+ s \\(\\d+ steps on ${done.rows.train} rows; ${done.rows.validation} validation rows\\): .* The model keeps the weights of epoch ${done.bestEpoch + 1},`));
    assert.equal(await page.textContent('#results-note'), `on the ${done.rows.test} held-out test rows (${done.rows.train} trained on, ${done.rows.validation} for validation)`);
    const taskNames = done.tasks.map((x) => x.name);
    assert.deepEqual([...taskNames].sort(), ['body_mass_g', 'sex', 'species']);

    // The chart: a train and a validation polyline per task, one point per epoch.
    const lines = await page.$$eval('#chart polyline', (ls) => ls.map((l) => ({
      task: l.dataset.task, series: l.dataset.series, points: l.getAttribute('points').trim().split(/\s+/).filter(Boolean).length,
    })));
    for (const task of taskNames) {
      for (const series of ['train', 'val']) {
        const line = lines.find((l) => l.task === task && l.series === series);
        assert.ok(line, `no ${series} line for ${task} in the chart: ${JSON.stringify(lines)}`);
        assert.equal(line.points, done.epochsRun, `${task} ${series}: ${line.points} points, expected ${done.epochsRun}`);
      }
    }
    // The epoch kept is marked; the last epoch run sits at the right edge of the axis.
    assert.equal(await page.getAttribute('#chart line[data-best-epoch]', 'data-best-epoch'), String(done.bestEpoch + 1));
    const lastPoint = await page.$eval('#chart polyline[data-series="train"]', (l) => Number(l.getAttribute('points').trim().split(/\s+/).at(-1).split(',')[0]));
    assert.equal(lastPoint, CHART_RIGHT);

    // The metrics table.
    const metric = async (task, name) => Number(await page.getAttribute(`#metrics td[data-task="${task}"][data-metric="${name}"]`, 'data-value'));
    const speciesAccuracy = await metric('species', 'accuracy');
    const sexAccuracy = await metric('sex', 'accuracy');
    const massR2 = await metric('body_mass_g', 'r2');
    assert.ok(speciesAccuracy >= MIN_SPECIES_ACCURACY, `species accuracy ${speciesAccuracy} < ${MIN_SPECIES_ACCURACY}`);
    assert.ok(sexAccuracy >= MIN_SEX_ACCURACY, `sex accuracy ${sexAccuracy} < ${MIN_SEX_ACCURACY}`);
    assert.equal(speciesAccuracy, done.evaluation.tasks.species.accuracy);

    // The affinity matrix: tasks × tasks cells, 1 on the diagonal.
    const cells = await page.$$eval('#affinity td[data-pair]', (tds) => tds.map((td) => [td.dataset.pair, td.textContent]));
    assert.equal(cells.length, 9);
    for (const tn of taskNames) assert.equal(cells.find(([p]) => p === `${tn}|${tn}`)?.[1], '1.00');

    // A prediction for a test row (the form is prefilled from it), for every task.
    await page.selectOption('#fill-row', '1');
    const row = done.sampleRows[1];
    assert.equal(await page.inputValue('[data-feature="bill_length_mm"]'), String(row.bill_length_mm));
    await page.click('#predict');
    await page.waitForFunction(() => document.querySelectorAll('#prediction [data-prediction]').length === 3, null, { timeout: 10_000 });
    const shown = Object.fromEntries(await page.$$eval('#prediction [data-prediction]', (ps) => ps.map((p) => [p.dataset.prediction, p.textContent])));
    const prediction = await page.evaluate(() => window.manytaskDemo.predictions.at(-1));
    const species = done.tasks.find((x) => x.name === 'species').classes;
    assert.ok(species.includes(prediction.species.label), JSON.stringify(prediction));
    assert.equal(shown.species, prediction.species.label);
    assert.ok(['female', 'male'].includes(prediction.sex.label) && shown.sex === prediction.sex.label, JSON.stringify(prediction));
    assert.ok(prediction.body_mass_g.value > 2000 && prediction.body_mass_g.value < 7000, `body mass ${prediction.body_mass_g.value}`);

    // The finished page, for a person to look at.
    const shot = join(tmpdir(), 'manytask-browser-example.png');
    await page.screenshot({ path: shot, fullPage: true });

    // The same training in Node: bit-identical weights and model file, identical metrics.
    const node = await trainInNode(done.selection, done.options);
    // The downloaded model file loads in Node and predicts exactly what the Worker predicted.
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 10_000 }), page.click('#save')]);
    assert.equal(download.suggestedFilename(), 'model.mtsk');
    const { loadModel } = await import('../../dist/node.js');
    const loaded = loadModel(new Uint8Array(await readFile(await download.path())));
    try {
      const features = Object.fromEntries(done.inputs.map((f) => [f.name, row[f.name]]));
      const again = loaded.predict([features]);
      assert.deepEqual(again.species.probabilities[0], prediction.species.probabilities);
      assert.equal(again.sex.probabilities[0], prediction.sex.probability);
      assert.equal(again.body_mass_g.values[0], prediction.body_mass_g.value);
    } finally {
      loaded.dispose();
    }
    assert.equal(node.epochsRun, done.epochsRun);
    assert.equal(done.fingerprint.weights, node.fingerprint.weights, 'the weights trained in the Worker differ from Node\'s');
    assert.equal(done.fingerprint.modelFile, node.fingerprint.modelFile, 'the model file saved in the Worker differs from Node\'s');
    assert.deepEqual(done.evaluation, node.evaluation);

    t.diagnostic(`run 2: ${RUN2.architecture}, stopped early after ${done.epochsRun} of ${RUN2.epochs} epochs (weights of epoch ${done.bestEpoch + 1} kept, validation loss ${done.validationLoss.toFixed(4)}, last ${valLosses.at(-1).toFixed(4)}) in ${run2Ms} ms; test set: species accuracy ${speciesAccuracy.toFixed(3)}, sex accuracy ${sexAccuracy.toFixed(3)}, body mass R² ${massR2.toFixed(3)}`);
    t.diagnostic(`weights SHA-256 ${done.fingerprint.weights} (Worker = Node); model file ${done.fingerprint.modelFileBytes} bytes, same SHA-256; screenshot ${shot}`);

    // ---- run 2 again on a page that asks for more threads (`?threads=`): the pool starts in the Worker, and the weights are the same bits.
    const poolThreads = defaultThreads + 1;
    const pooled = await browser.newPage();
    pooled.on('pageerror', (err) => problems.push(`page error (threads=${poolThreads}): ${err.stack ?? err}`));
    await pooled.goto(`${url}?threads=${poolThreads}`, { waitUntil: 'load', timeout: 20_000 });
    await pooled.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state) && window.manytaskDemo.columns?.length, null, { timeout: 20_000 });
    assert.equal(await state(pooled), 'ready', `the page with ?threads=${poolThreads} did not get ready: ${await pooled.textContent('#error')}${context()}`);
    assert.equal(await pooled.$eval('#threads', (el) => Number(el.dataset.threads)), poolThreads, `${await pooled.textContent('#threads')}${context()}`);
    await pooled.check('#early-stopping');
    await pooled.selectOption('#architecture', RUN2.architecture);
    await pooled.fill('#epochs', String(RUN2.epochs));
    await pooled.fill('#learning-rate', String(RUN2.learningRate));
    await pooled.fill('#seed', String(RUN2.seed));
    await pooled.click('#start');
    await pooled.waitForFunction(() => ['trained', 'stopped', 'error'].includes(document.body.dataset.state) && window.manytaskDemo.done, null, { timeout: 30_000 });
    assert.equal(await state(pooled), 'trained', `run 2 on ${poolThreads} threads did not complete: ${await pooled.textContent('#error')}${context()}`);
    const pooledDone = await pooled.evaluate(() => window.manytaskDemo.done);
    assert.deepEqual(pooledDone.options, RUN2);
    assert.equal(pooledDone.fingerprint.weights, node.fingerprint.weights, `the weights trained on ${poolThreads} threads differ from Node's`);
    await pooled.close();

    // ---- run 3: a CSV the user chooses (Seattle's weather): default roles, one more task picked, trained briefly.
    await page.setInputFiles('#file', join(REPO, 'examples/data/seattle-weather.csv'));
    await page.waitForFunction(() => document.body.dataset.state === 'ready' && document.querySelector('#columns tr[data-column="weather"]'), null, { timeout: 10_000 });
    const defaults = await page.$$eval('#columns tbody tr', (trs) => trs.map((tr) => `${tr.dataset.column}=${tr.querySelector('[data-role]').value}:${tr.querySelector('[data-kind]').value}`));
    assert.deepEqual(defaults, ['date=ignore:', 'precipitation=feature:numeric', 'temp_max=feature:numeric', 'temp_min=feature:numeric', 'wind=feature:numeric', 'weather=task:multiclass']);
    await page.selectOption('[data-role="temp_max"]', 'task');
    assert.equal(await page.inputValue('[data-kind="temp_max"]'), 'regression');
    await page.fill('#epochs', '5');
    await page.click('#start');
    await page.waitForFunction(() => ['trained', 'stopped', 'error'].includes(document.body.dataset.state) && window.manytaskDemo.done, null, { timeout: 20_000 });
    assert.equal(await state(page), 'trained', `run 3 did not complete: ${await page.textContent('#error')}${context()}`);
    const weather = await page.evaluate(() => window.manytaskDemo.done);
    assert.deepEqual(weather.selection, { tasks: { temp_max: 'regression', weather: 'multiclass' }, features: { precipitation: 'numeric', temp_min: 'numeric', wind: 'numeric' } });
    const weatherLines = await page.$$eval('#chart polyline', (ls) => ls.map((l) => `${l.dataset.task}/${l.dataset.series}/${l.dataset.points}`));
    assert.deepEqual(weatherLines.sort(), ['temp_max/train/5', 'temp_max/val/5', 'weather/train/5', 'weather/val/5']);
    assert.ok(await metric('temp_max', 'r2') > 0.5, `temp_max R² ${await metric('temp_max', 'r2')}`);
    assert.ok(await metric('weather', 'accuracy') > 0.3);
    assert.deepEqual(await page.$$eval('#inputs [data-feature]', (fs) => fs.map((f) => f.dataset.feature)), ['precipitation', 'temp_min', 'wind']);
    await page.click('#predict');
    await page.waitForFunction(() => document.querySelectorAll('#prediction [data-prediction]').length === 2, null, { timeout: 10_000 });

    t.diagnostic(`run 3: seattle-weather.csv chosen with the file input; tasks weather (multiclass) and temp_max (regression), 5 epochs: weather accuracy ${(await metric('weather', 'accuracy')).toFixed(3)}, temp_max R² ${(await metric('temp_max', 'r2')).toFixed(3)}`);

    // ---- other delimiters and missing-value tokens: the penguins with NA, separated by ; and by tabs.
    const roleOf = () => page.$$eval('#columns tbody tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.dataset.column, `${tr.querySelector('[data-role]').value}:${tr.querySelector('[data-kind]').value}`])));
    for (const [name, text, shown] of [['penguins-semicolon.csv', penguinsWith('NA', ';'), 'semicolon'], ['penguins-tab.csv', penguinsWith('?', '\t'), 'tab']]) {
      await page.setInputFiles('#file', { name, mimeType: 'text/csv', buffer: Buffer.from(text) });
      await page.waitForFunction((n) => document.body.dataset.state === 'ready' && document.getElementById('source-name').textContent === n, name, { timeout: 10_000 });
      assert.deepEqual(await roleOf(), {
        species: 'feature:categorical', island: 'feature:categorical', bill_length_mm: 'feature:numeric', bill_depth_mm: 'feature:numeric',
        flipper_length_mm: 'feature:numeric', body_mass_g: 'feature:numeric', sex: 'task:binary',
      }, name);
      assert.equal(await page.textContent('#source-info'), `344 rows × 7 columns, ${shown}-separated`);
      assert.equal(await page.textContent('[data-column="bill_length_mm"] td.hint'), 'numbers, 2 missing');
    }
    // A Latin-1 file is refused, saying so; the page keeps the data it had.
    await page.setInputFiles('#file', { name: 'penguins-latin1.csv', mimeType: 'text/csv', buffer: Buffer.from(latin1(PENGUINS_CSV.replace('Adelie,Dream', 'Adelie,Dréam'))) });
    await page.waitForFunction(() => !document.getElementById('error').hidden, null, { timeout: 10_000 });
    assert.match(await page.textContent('#error'), /^Error while reading the CSV: parseCSV: line \d+: the bytes are not UTF-8 \(at byte \d+: 0xE9 .*\); the file is probably Latin-1 or Windows-1252: save it as UTF-8/);
    assert.equal(await state(page), 'ready');
    assert.equal(await page.textContent('#source-name'), 'penguins-tab.csv');

    // Requests: the page, its scripts, the library from dist/, the data; all served, the .wasm as application/wasm.
    const wasm = requests.filter((r) => r.path.endsWith('.wasm'));
    // One kernel module, fetched once per page: by the first page's Worker, then by the ?threads= page's (its threads make the memory import shared).
    assert.deepEqual(wasm.map((r) => [r.path, r.status, r.type]), [['/dist/manytask.wasm', 200, 'application/wasm'], ['/dist/manytask.wasm', 200, 'application/wasm']]);
    assert.ok(requests.some((r) => r.path === '/examples/data/penguins.csv' && r.status === 200));
    assert.ok(requests.every((r) => r.status === 200), `a request was not served${context()}`);
    assert.deepEqual(problems, [], `page errors or console errors${context()}`);
    t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s in all, Chromium ${browser.version()}`);

  } finally {
    await browser?.close();
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(resolve));
  }
});
