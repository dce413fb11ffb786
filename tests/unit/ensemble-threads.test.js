// Ensemble.train with its members one per worker thread (src/threads/jobs.ts):
// the ensemble — every member's weights, weighting state and step count, its
// out-of-bag metrics, its saved file — is the one trained one after another on
// the calling thread, bit for bit, at 1, 2, 3, 4 and 8 threads; options that
// cannot reach a worker (callbacks) train on the calling thread with the same
// result; a member that fails, or a job worker that dies, is a typed error and
// the next call works. Runs unchanged under Node, Deno and Bun.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  init, tasks, Dataset, Ensemble, ArgumentError, ThreadError, TrainingDivergedError, setWarningHandler, ConvergenceWarning, shutdown,
} from '../../dist/index.js';
import { jobWorkerSetup, runJobs, jobCounts, jobSettings, idleJobWorkers, jobRunner, JOB_WORKER_FILE } from '../../dist/internal.js';
import { typedError } from '../helpers/errors.js';
import { hex } from '../helpers/threads-cases.js';

const PENGUINS = readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8');
const MODEL = {
  // Dropout and a learned weighting: the dropout stream and the weighting state must come back from the worker too.
  architecture: { type: 'sharedBottom', units: [10], towerUnits: [4], dropout: 0.2 },
  tasks: [tasks.multiclass('species'), tasks.binary('sex'), tasks.regression('body_mass_g')],
  weighting: { type: 'uncertainty' },
  optimizer: { type: 'adam', learningRate: 0.02 },
  seed: 11,
};
let train, valid;

before(async () => {
  await init({ threads: 2 });
  const data = Dataset.fromCSV(PENGUINS, {
    features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
    targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
  });
  [train, valid] = data.split(0.75, { seed: 2, stratify: 'species' });
}, { timeout: 60_000 });

/** What must not depend on the thread count: the ensemble's file, its out-of-bag metrics and its members' step counts. */
function fingerprint(e) {
  return { file: hex(e.save()), outOfBag: e.outOfBag, steps: e.models.map((m) => m.steps) };
}

test('members on worker threads: the ensemble trained one after another, bit for bit, at 1, 2, 3, 4 and 8 threads', { timeout: 240_000 }, async () => {
  assert.notEqual(await jobWorkerSetup(JOB_WORKER_FILE), null, 'the members go to worker threads here');
  const options = (threads) => ({
    members: 9, seed: 5, threads,
    // validationData (a Dataset) and early stopping must reach the workers as they are.
    fit: { epochs: 4, batchSize: 32, seed: 21, validationData: valid, earlyStopping: { patience: 2 } },
  });
  const one = await Ensemble.train(MODEL, train, options(1));
  const expected = fingerprint(one);
  assert.ok(expected.outOfBag !== null);
  const rows = [{ bill_length_mm: 45.1, bill_depth_mm: 14.5, flipper_length_mm: 215, island: 'Biscoe' }];
  for (const threads of [2, 3, 4, 8]) {
    // Every member in a worker (which member the calling thread takes is a race with the workers' start), then mixed.
    for (const callerRuns of [false, true]) {
      jobSettings.callerRuns = callerRuns;
      const before = { ...jobCounts };
      try {
        const e = await Ensemble.train(MODEL, train, options(threads));
        const label = `${threads} threads${callerRuns ? ', the calling thread too' : ''}`;
        if (!callerRuns) assert.equal(jobCounts.workers - before.workers, 9, `${label}: every member trained in a worker`);
        else assert.equal(jobCounts.workers + jobCounts.local - before.workers - before.local, 9, label);
        assert.deepEqual(fingerprint(e), expected, `${label}: the ensemble differs from the one trained on one thread`);
        assert.deepEqual(e.predict(rows), one.predict(rows));
        e.dispose();
      } finally {
        jobSettings.callerRuns = true;
      }
    }
  }
  // Seeds sampling, and the spec's own input (another Dataset than the training rows), too.
  const seeds = (threads) => Ensemble.train({ ...MODEL, input: valid }, train, { members: 3, sampling: 'seeds', threads, fit: { epochs: 2 } });
  const [a, b] = [await seeds(1), await seeds(3)];
  assert.deepEqual(fingerprint(b), fingerprint(a));
  assert.notDeepEqual(hex(a.models[0].save()), hex(a.models[1].save()), 'the members differ');
  for (const e of [one, a, b]) e.dispose();
});

test('fit callbacks cannot reach a worker: the members train on the calling thread, calling them, with the same result', { timeout: 120_000 }, async () => {
  const epochs = [];
  const fit = { epochs: 2, batchSize: 64 };
  const withCallbacks = await Ensemble.train(MODEL, train, { members: 3, threads: 3, fit: { ...fit, callbacks: { onEpochEnd: (epoch) => { epochs.push(epoch); } } } });
  assert.deepEqual(epochs, [0, 1, 0, 1, 0, 1], 'each member\'s epochs, member after member');
  const inWorkers = await Ensemble.train(MODEL, train, { members: 3, threads: 3, fit });
  assert.deepEqual(fingerprint(withCallbacks), fingerprint(inWorkers));
  withCallbacks.dispose();
  inWorkers.dispose();
});

test('a member that fails in a worker is an error of its class naming the member; a worker that dies is a ThreadError; the next call works', { timeout: 180_000 }, async () => {
  // A learning rate that makes the loss explode: TrainingDivergedError, with its fields, from the worker.
  await assert.rejects(
    Ensemble.train({ ...MODEL, optimizer: { type: 'adam', learningRate: 1e9 } }, train, { members: 3, threads: 3, fit: { epochs: 3 } }),
    (err) => {
      typedError(TrainingDivergedError, 'E_DIVERGED', [/^Ensemble\.train member \d \(seed \d+\): training diverged at step/])(err);
      assert.equal(typeof err.step, 'number');
      assert.equal(typeof err.task, 'string');
      return true;
    },
  );
  // On one thread, member after member: named the same way.
  await assert.rejects(
    Ensemble.train({ ...MODEL, optimizer: { type: 'adam', learningRate: 1e9 } }, train, { members: 2, threads: 1, fit: { epochs: 3 } }),
    typedError(TrainingDivergedError, 'E_DIVERGED', [/^Ensemble\.train member 0 \(seed \d+\): training diverged at step/]),
  );
  await assert.rejects(Ensemble.train(MODEL, train, { members: 2, threads: 0 }), typedError(ArgumentError, 'E_ARGUMENT', [/threads must be an integer from 1 to 64/]));

  const setup = await jobWorkerSetup(JOB_WORKER_FILE);
  const init = { role: 'fault' };
  const name = (i) => `fault job ${i}`;
  await assert.rejects(runJobs(setup, init, ['warn', 'throw'], 2, name), typedError(ArgumentError, 'E_ARGUMENT', [/^fault job 1: a job that fails on purpose \(throw\)/]));
  await assert.rejects(runJobs(setup, init, ['die'], 1, name), typedError(ThreadError, 'E_THREAD', [/^fault job 0: its worker thread stopped \(code 70\)/]));
  await assert.rejects(runJobs(setup, { role: 'nobody' }, ['x'], 1, name), typedError(ArgumentError, 'E_ARGUMENT', [/unknown role "nobody"/]));
  // A warning raised in a job is raised again here, of its class.
  const seen = [];
  setWarningHandler((w) => seen.push(w));
  try {
    assert.deepEqual(await runJobs(setup, init, ['warn', 'warn'], 2, name), ['warned', 'warned']);
  } finally {
    setWarningHandler('console');
  }
  assert.equal(seen.length, 2);
  assert.ok(seen[0] instanceof ConvergenceWarning);
  assert.deepEqual([seen[0].code, seen[0].message], ['W_NOT_CONVERGED', 'a fault job: a warning on purpose']);

  // And the next call works.
  const e = await Ensemble.train(MODEL, train, { members: 2, threads: 2, fit: { epochs: 1 } });
  assert.equal(e.models.length, 2);
  e.dispose();
});

test('while job workers train, the calling thread\'s member keeps off the kernels\' pool; alone, it shards its batches across it', { timeout: 120_000 }, async () => {
  await init({ threads: 2 });
  const pool = jobRunner();
  // Batches of 256 rows: two micro-shards, run on the pool's threads when the calling thread trains alone.
  const options = (threads) => ({ members: 2, sampling: 'seeds', seed: 3, threads, fit: { epochs: 2, batchSize: 256 } });
  // Tasks of pool jobs, whichever thread claimed them (which one does is a race; that the job went to the pool is not).
  const poolTasks = () => pool.tasksRun().reduce((a, b) => a + b, 0);
  let before = poolTasks();
  const alone = await Ensemble.train(MODEL, train, options(1));
  assert.ok(poolTasks() > before, 'members one after another on the calling thread run their micro-shards as pool jobs');
  before = poolTasks();
  const local = jobCounts.local;
  const side = await Ensemble.train(MODEL, train, options(2));
  assert.ok(jobCounts.local > local, 'the calling thread trained a member');
  assert.equal(poolTasks(), before, 'beside a job worker, the calling thread\'s member ran no pool job');
  assert.deepEqual(fingerprint(side), fingerprint(alone));
  assert.equal(pool.threads, 2, 'the pool is the calling thread\'s again after the call');
  for (const e of [alone, side]) e.dispose();
});

test('job workers wait between calls: the next call takes them (no new thread) with the same bits; shutdown() ends them', { timeout: 120_000 }, async () => {
  const options = { members: 3, seed: 5, threads: 3, fit: { epochs: 2, batchSize: 32 } };
  jobSettings.callerRuns = false;
  try {
    const first = await Ensemble.train(MODEL, train, options);
    const expected = fingerprint(first);
    first.dispose();
    // A worker still getting ready when the call ended (the other took every member) is parked once it is ready.
    const deadline = Date.now() + 10_000;
    while (idleJobWorkers() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(idleJobWorkers() >= 2, 'the call\'s two job workers wait for the next');
    const before = { ...jobCounts };
    const again = await Ensemble.train(MODEL, train, options);
    assert.equal(jobCounts.started, before.started, 'no job worker was started');
    assert.equal(jobCounts.workers - before.workers, 3, 'the waiting workers trained every member');
    assert.deepEqual(fingerprint(again), expected);
    again.dispose();

    await shutdown();
    assert.equal(idleJobWorkers(), 0, 'shutdown() ends the waiting job workers');
    const after = await Ensemble.train(MODEL, train, options);
    assert.equal(jobCounts.started - before.started, 2, 'a call after shutdown() starts its workers again');
    assert.deepEqual(fingerprint(after), expected);
    after.dispose();
  } finally {
    jobSettings.callerRuns = true;
  }
});
