// Whole jobs, one per worker thread: a sweep's runs, an ensemble's members.
// Unlike the pool (pool.ts: one shared memory, tasks over raw pointers), each job
// worker loads the library with the single-thread kernels on its own memory and
// runs a whole job — build a model, train it, give back its file — so that a job
// gives the bits it gives on the calling thread (the kernels are bit-identical
// for any thread count, tests/unit/threads.test.js).
//
// The calling thread (runJobs) starts `count` workers of the job script, sends
// each the same start-up data once, then hands out jobs one at a time in order
// as workers become free; results come back by job index, so their order never
// depends on which worker was faster. The worker side (serveJobs) runs the jobs
// it is sent one after another. A job that throws rejects the whole call with an
// error of its class and code (the workers are then ended); a worker that stops
// while it holds a job is a ThreadError. Warnings a job raises are sent back and
// raised again on the calling thread, in job order.
//
// One script serves every kind of job (JOB_WORKER_FILE, built from
// src/sweep/worker.ts: the lowest folder whose code sees every job kind); its
// start-up data's `role` says which kind it runs.

import {
  ArgumentError, DisposedError, InitError, ManytaskError, NonFinitePredictionError, NotInitializedError, OutOfMemoryError, ShapeError,
  ThreadError, TrainingDivergedError, WasmTrapError, type ErrorCode,
} from '../runtime/errors.js';
import { ConvergenceWarning, ManytaskWarning, setWarningHandler, warn, type WarningCode } from '../runtime/warnings.js';
import { spawnWorker, workerPort, type Flavor, type WorkerHandle } from './spawn.js';

/** The script of the job workers, beside the library's entry (see the top of this file). */
export const JOB_WORKER_FILE = 'sweep-worker.js';

/** Where job workers come from: the single-thread kernel module, the script, how to start it (jobWorkerSetup in index.ts). */
export interface JobWorkerSetup {
  readonly module: WebAssembly.Module;
  readonly url: URL;
  readonly flavor: Flavor;
}

/** An error as it crosses from a job worker: enough to raise one of the same class, code and fields. */
export interface JobFailure {
  readonly name: string;
  readonly code: string | null;
  readonly message: string;
  /** The error's own data fields (TrainingDivergedError's task and step, …). */
  readonly fields: Record<string, unknown>;
}

export interface JobWarning {
  readonly name: string;
  readonly code: WarningCode;
  readonly where: string;
  readonly message: string;
}

export type JobRequest<P> = { readonly type: 'run'; readonly index: number; readonly job: P };

export type JobReply<R> =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly index: number; readonly result: R; readonly warnings: readonly JobWarning[] }
  | { readonly type: 'failed'; readonly index: number; readonly error: JobFailure; readonly warnings: readonly JobWarning[] };

/** Every job worker's start-up data has a role (the kind of job it runs) and the kernel module. */
export interface JobWorkerInit {
  readonly role: string;
  readonly module: WebAssembly.Module;
}

// The classes an error of a job can be raised again as (those of the lowest layer: a
// job's error of a class above it comes back as a ManytaskError of its code and name).
const CLASSES: Partial<Record<ErrorCode, { prototype: ManytaskError }>> = {
  E_INIT: InitError, E_NOT_INITIALIZED: NotInitializedError, E_SHAPE: ShapeError, E_ARGUMENT: ArgumentError,
  E_DISPOSED: DisposedError, E_OUT_OF_MEMORY: OutOfMemoryError, E_WASM_TRAP: WasmTrapError, E_DIVERGED: TrainingDivergedError,
  E_NOT_FINITE: NonFinitePredictionError, E_THREAD: ThreadError,
};

/** What the calling thread does while the workers run (runJobs' `local`). */
export interface LocalJobs<P, R> {
  /** Runs a job on the calling thread: it takes jobs from the same queue as the workers, from the first. */
  readonly run: (job: P) => Promise<R>;
  /** Frees a result the call will not return (the call failed). */
  readonly discard?: (result: R) => void;
}

/** @internal Jobs run since the process started: on the calling thread (runJobs' `local`) and in job workers. */
export const jobCounts = { local: 0, workers: 0 };

/**
 * @internal For manytask's tests: `callerRuns: false` leaves every job to the
 * workers (which job runs where is otherwise a race between the calling thread
 * and the workers' start).
 */
export const jobSettings = { callerRuns: true };

/**
 * Runs `jobs` and gives back their results in job order: on `count` job workers
 * and, with `local`, on the calling thread too. The calling thread starts on the
 * first job at once, while the workers start (a worker loads the library before
 * it takes a job: a few hundred milliseconds), so a call whose jobs are quick is
 * never much slower than running them one after another here; the results are
 * the same wherever a job ran. `describe(i)` names job i in errors.
 */
export async function runJobs<P, R>(
  setup: JobWorkerSetup, init: JobWorkerInit, jobs: readonly P[], count: number, describe: (index: number) => string,
  local?: LocalJobs<P, R>,
): Promise<R[]> {
  const results: R[] = new Array(jobs.length);
  const have: boolean[] = new Array(jobs.length).fill(false);
  const warnings: (readonly JobWarning[])[] = new Array(jobs.length);
  let next = 0;
  let done = 0;
  let failure: Error | null = null;
  const workers: WorkerHandle[] = [];
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => { settle = resolve; });
  const fail = (err: Error) => { if (failure === null) { failure = err; settle(); } };
  const finish = (index: number, result: R) => {
    results[index] = result;
    have[index] = true;
    if (++done === jobs.length) settle();
  };
  // At least one worker when the calling thread takes no job (else nothing would run them).
  const workerCount = Math.min(jobs.length, Math.max(count, local !== undefined && jobSettings.callerRuns ? 0 : 1));
  const start = async () => {
    for (let i = 0; i < workerCount && failure === null && next < jobs.length; i++) {
      const w = await spawnWorker(setup.flavor, setup.url, init);
      workers.push(w);
      let holding = -1;
      const give = () => {
        holding = failure === null && next < jobs.length ? next++ : -1;
        if (holding >= 0) w.post({ type: 'run', index: holding, job: jobs[holding]! } satisfies JobRequest<P>);
      };
      w.onMessage((m) => {
        const reply = m as JobReply<R>;
        if (reply.type === 'ready') { give(); return; }
        holding = -1;
        warnings[reply.index] = reply.warnings;
        if (reply.type === 'failed') { fail(raised(reply.error, `${describe(reply.index)}: `)); return; }
        jobCounts.workers++;
        finish(reply.index, reply.result);
        give();
      });
      // The workers are ended only once the call has settled: an exit before is a failure.
      w.onExit((code, error) => {
        if (failure !== null || done === jobs.length) return;
        const why = `(code ${code})${error === null || error === undefined ? '' : `: ${error instanceof Error ? error.message : String(error)}`}`;
        fail(new ThreadError(holding >= 0
          ? `${describe(holding)}: its worker thread stopped ${why}`
          : `a job worker thread stopped before it took a job ${why}`));
      });
    }
  };
  try {
    start().catch((err: unknown) => fail(err instanceof Error ? err : new ThreadError(String(err))));
    if (local !== undefined && jobSettings.callerRuns) {
      while (failure === null && next < jobs.length) {
        const index = next++;
        try {
          const result = await local.run(jobs[index]!);
          jobCounts.local++;
          finish(index, result);
        } catch (err) {
          // Named as a worker's failure is, so that the message does not depend on where the job ran.
          if (err instanceof Error) err.message = `${describe(index)}: ${err.message}`;
          fail(err instanceof Error ? err : new Error(`${describe(index)}: ${String(err)}`));
        }
      }
    }
    if (jobs.length > 0) await settled;
  } finally {
    // Not awaited: a worker still starting would hold the call up for its whole start (it takes no job now).
    for (const w of workers) void w.terminate();
  }
  if (failure !== null) {
    if (local?.discard !== undefined) results.forEach((r, i) => { if (have[i]) local.discard!(r); });
    throw failure;
  }
  for (const list of warnings) {
    for (const w of list ?? []) {
      // The message without the `where: ` the constructor puts back.
      const Class = w.name === 'ConvergenceWarning' ? ConvergenceWarning : ManytaskWarning;
      warn(new Class(w.code, w.where, w.message.slice(w.where.length + 2)));
    }
  }
  return results;
}

/** The error a job's failure stands for: its class (where this layer knows it), code, name and fields, its message prefixed. */
function raised(f: JobFailure, prefix: string): Error {
  const cls = f.code === null ? undefined : CLASSES[f.code as ErrorCode];
  const err = f.code === null ? new Error(prefix + f.message) : new ManytaskError(f.code as ErrorCode, prefix + f.message);
  if (cls !== undefined) Object.setPrototypeOf(err, cls.prototype);
  Object.assign(err, f.fields);
  err.name = f.name;
  return err;
}

/** What crosses back for an error a job threw. */
function failure(err: unknown): JobFailure {
  const e = err instanceof Error ? err : new Error(String(err));
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(e)) {
    if (key === 'code' || key === 'name' || key === 'message' || key === 'cause') continue;
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
  }
  return { name: e.name, code: e instanceof ManytaskError ? e.code : null, message: e.message, fields };
}

/**
 * The worker side: reads the start-up data, lets `setup` prepare (load the
 * kernels, rebuild the data), then runs each job it is sent with the function
 * `setup` returned, one after another, replying with its result or its error.
 */
export async function serveJobs<P, R>(setup: (init: JobWorkerInit) => Promise<(job: P) => Promise<R>>): Promise<void> {
  const port = await workerPort();
  let run: (job: P) => Promise<R>;
  try {
    run = await setup(port.data as JobWorkerInit);
  } catch (err) {
    // Every job then fails with the reason (a worker that never said ready would leave the caller waiting).
    run = () => Promise.reject(err);
  }
  let collected: JobWarning[] = [];
  setWarningHandler((w) => { collected.push({ name: w.name, code: w.code, where: w.where, message: w.message }); });
  let queue = Promise.resolve();
  port.onMessage((m) => {
    const { index, job } = m as JobRequest<P>;
    queue = queue.then(async () => {
      collected = [];
      try {
        const result = await run(job);
        port.post({ type: 'result', index, result, warnings: collected } satisfies JobReply<R>);
      } catch (err) {
        port.post({ type: 'failed', index, error: failure(err), warnings: collected } satisfies JobReply<R>);
      }
    });
  });
  port.post({ type: 'ready' } satisfies JobReply<R>);
}
