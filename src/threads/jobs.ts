// Whole jobs, one per worker thread: a sweep's runs, an ensemble's members.
// Unlike the pool (pool.ts: one shared memory, tasks over raw pointers), each job
// worker loads the library with the single-thread kernels on its own memory and
// runs a whole job — build a model, train it, give back its file — so that a job
// gives the bits it gives on the calling thread (the kernels are bit-identical
// for any thread count, tests/unit/threads.test.js).
//
// The calling thread (runJobs) takes `count` job workers — idle ones of an
// earlier call first, else it starts new ones, which load the kernels once —
// sends each the call's start-up data once, then hands out jobs one at a time in
// order as workers become free; results come back by job index, so their order
// never depends on which worker was faster. The worker side (serveJobs) runs the
// jobs it is sent one after another. After the call its workers drop the call's
// data and wait, unref'd, for the next call (shutdown() ends them). A job that
// throws rejects the whole call with an error of its class and code (the call's
// workers are then ended); a worker that stops while it holds a job is a
// ThreadError. Warnings a job raises are sent back and raised again on the
// calling thread, in job order.
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
import { holdToCallingThread } from './pool.js';

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

/** What a job worker is started with: the kernel module it instantiates once, for every call it serves. */
export interface JobWorkerBoot {
  readonly module: WebAssembly.Module;
}

/** From the calling thread: set up for a call (then 'ready'), run a job of it, drop the call's data. */
export type JobMessage<P> =
  | { readonly type: 'setup'; readonly init: JobWorkerInit }
  | { readonly type: 'run'; readonly index: number; readonly job: P }
  | { readonly type: 'release' };

export type JobReply<R> =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly index: number; readonly result: R; readonly warnings: readonly JobWarning[] }
  | { readonly type: 'failed'; readonly index: number; readonly error: JobFailure; readonly warnings: readonly JobWarning[] };

/** A call's start-up data for its job workers has a role (the kind of job they run); the kernels they have (JobWorkerBoot). */
export interface JobWorkerInit {
  readonly role: string;
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

/** @internal Jobs run since the process started: on the calling thread (runJobs' `local`) and in job workers; job workers started. */
export const jobCounts = { local: 0, workers: 0, started: 0 };

/**
 * @internal For manytask's tests: `callerRuns: false` leaves every job to the
 * workers (which job runs where is otherwise a race between the calling thread
 * and the workers' start).
 */
export const jobSettings = { callerRuns: true };

/** A job worker, kept between calls: started once, set up by each call that uses it. */
interface JobWorker {
  readonly handle: WorkerHandle;
  /** What it was started with: a call for another module or script cannot use it. */
  readonly setup: JobWorkerSetup;
  /** The call's listeners while a call uses it; null while it waits in `idle`. */
  reply: ((reply: JobReply<unknown>) => void) | null;
  exit: ((code: number, error: unknown) => void) | null;
  /** Whether the thread has ended (such a worker is never parked). */
  ended: boolean;
  /** `shutdowns` when it started: a worker started before the last shutdown() is ended, not parked. */
  readonly generation: number;
}

// Job workers that ran a call's jobs and wait for the next call, unref'd (they
// keep no process alive). Starting a worker — a thread, the library's script,
// the kernels compiled in — takes longer than a small job (an ensemble member
// of 30 epochs on a few hundred rows: about 25 ms against 60–120 ms): a call
// that started its workers afresh finished most of its jobs on the calling
// thread before they were up, and 2 threads were slower than 1. A worker
// that stays is also warm (its JIT has compiled the training code).
const idle: JobWorker[] = [];
// The most workers one call has asked for: more never wait idle (calls that overlap a worker's start may start extra ones).
let idleCap = 0;
// How many times endJobWorkers has run. A worker a call still holds when shutdown() runs (one
// still getting ready after the call's jobs were done is parked only when it is ready) is
// ended when its call lets it go, instead of waiting after the shutdown.
let shutdowns = 0;

async function startJobWorker(setup: JobWorkerSetup): Promise<JobWorker> {
  const generation = shutdowns;
  const handle = await spawnWorker(setup.flavor, setup.url, { module: setup.module } satisfies JobWorkerBoot);
  jobCounts.started++;
  const worker: JobWorker = { handle, setup, reply: null, exit: null, ended: false, generation };
  handle.onMessage((m) => worker.reply?.(m as JobReply<unknown>));
  handle.onExit((code, error) => {
    worker.ended = true;
    const at = idle.indexOf(worker);
    if (at >= 0) idle.splice(at, 1);
    worker.exit?.(code, error);
  });
  return worker;
}

/** An idle worker started with `setup`'s module and script (idle workers of another are ended), or null. */
function idleWorker(setup: JobWorkerSetup): JobWorker | null {
  for (let i = idle.length - 1; i >= 0; i--) {
    const w = idle[i]!;
    if (w.setup.module !== setup.module || w.setup.url.href !== setup.url.href || w.setup.flavor !== setup.flavor) {
      idle.splice(i, 1);
      void w.handle.terminate();
    }
  }
  return idle.pop() ?? null;
}

/** Puts a worker whose call is over back among the idle ones (it drops the call's data), or ends it if enough wait. */
function park(w: JobWorker): void {
  w.reply = null;
  w.exit = null;
  if (w.ended) return;
  if (idle.length >= idleCap || w.generation !== shutdowns) { void w.handle.terminate(); return; }
  w.handle.post({ type: 'release' } satisfies JobMessage<never>);
  w.handle.unref();
  idle.push(w);
}

/** @internal Ends the idle job workers (shutdown(); a later call starts new ones). */
export async function endJobWorkers(): Promise<void> {
  shutdowns++;
  await Promise.all(idle.splice(0).map((w) => w.handle.terminate()));
}

/** @internal The idle job workers: for manytask's tests. */
export function idleJobWorkers(): number {
  return idle.length;
}

/**
 * Runs `jobs` and gives back their results in job order: on `count` job workers
 * and, with `local`, on the calling thread too. The calling thread starts on the
 * first job at once, while the workers get ready (idle workers of an earlier call
 * at once; a new worker loads the library first: 60–120 ms), so a call whose jobs
 * are quick is never much slower than running them one after another here; the
 * results are the same wherever a job ran. `describe(i)` names job i in errors.
 * The workers stay, idle, for the next call; a call that fails ends its workers.
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
  // The workers of this call, and whether each has said it is set up for it.
  const used: { worker: JobWorker; ready: boolean }[] = [];
  let over = false;
  let release: (() => void) | null = null;
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
  idleCap = Math.max(idleCap, workerCount);
  const enlist = (w: JobWorker) => {
    const entry = { worker: w, ready: false };
    used.push(entry);
    w.handle.ref();
    let holding = -1;
    const give = () => {
      holding = failure === null && next < jobs.length ? next++ : -1;
      if (holding >= 0) w.handle.post({ type: 'run', index: holding, job: jobs[holding]! } satisfies JobMessage<P>);
    };
    w.reply = (m) => {
      const reply = m as JobReply<R>;
      if (reply.type === 'ready') {
        entry.ready = true;
        // Set up after the call was over: it waits for the next call.
        if (over) { if (failure === null) park(w); return; }
        give();
        return;
      }
      holding = -1;
      warnings[reply.index] = reply.warnings;
      if (reply.type === 'failed') { fail(raised(reply.error, `${describe(reply.index)}: `)); return; }
      jobCounts.workers++;
      finish(reply.index, reply.result);
      give();
    };
    // A worker that ends while the call runs is a failure (its workers are ended only once the call has settled).
    w.exit = (code, error) => {
      if (failure !== null || done === jobs.length) return;
      const why = `(code ${code})${error === null || error === undefined ? '' : `: ${error instanceof Error ? error.message : String(error)}`}`;
      fail(new ThreadError(holding >= 0
        ? `${describe(holding)}: its worker thread stopped ${why}`
        : `a job worker thread stopped before it took a job ${why}`));
    };
    w.handle.post({ type: 'setup', init } satisfies JobMessage<P>);
  };
  const start = async () => {
    for (let i = 0; i < workerCount && failure === null && next < jobs.length; i++) {
      const w = idleWorker(setup) ?? await startJobWorker(setup);
      if (over) { park(w); continue; }
      enlist(w);
    }
  };
  try {
    start().catch((err: unknown) => fail(err instanceof Error ? err : new ThreadError(String(err))));
    if (local !== undefined && jobSettings.callerRuns) {
      // The other cores run the job workers: the calling thread's jobs keep off the kernels' pool meanwhile.
      release = workerCount > 0 ? holdToCallingThread() : null;
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
    release?.();
    over = true;
    for (const { worker, ready } of used) {
      // A failed call's workers may hold jobs of it: ended (not awaited: that would hold the call up).
      if (failure !== null) { worker.reply = worker.exit = null; void worker.handle.terminate(); }
      // Every job is done, so a worker that is set up holds none; one still getting ready is parked when it is.
      else if (ready) park(worker);
    }
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
 * The worker side: `boot` prepares the worker once (loads the kernels it was
 * started with); for each call, `setup` prepares from the call's start-up data
 * (rebuilds its data) and returns the function that runs a job, which then runs
 * each job it is sent, one after another, replying with its result or its error.
 */
export async function serveJobs<P, R>(
  boot: (module: WebAssembly.Module) => Promise<void>,
  setup: (init: JobWorkerInit) => Promise<(job: P) => Promise<R>>,
): Promise<void> {
  const port = await workerPort();
  // Listened to at once (a Web Worker's next messages would otherwise be missed); a failed boot fails every call's set-up.
  const booted = boot((port.data as JobWorkerBoot).module);
  booted.catch(() => { /* raised by each set-up */ });
  let run: ((job: P) => Promise<R>) | null = null;
  let collected: JobWarning[] = [];
  setWarningHandler((w) => { collected.push({ name: w.name, code: w.code, where: w.where, message: w.message }); });
  let queue = Promise.resolve();
  port.onMessage((m) => {
    const message = m as JobMessage<P>;
    queue = queue.then(async () => {
      if (message.type === 'release') { run = null; return; }
      if (message.type === 'setup') {
        try {
          await booted;
          run = await setup(message.init);
        } catch (err) {
          // Every job of the call then fails with the reason (a worker that never said ready would leave the caller waiting).
          run = () => Promise.reject(err);
        }
        port.post({ type: 'ready' } satisfies JobReply<R>);
        return;
      }
      const { index, job } = message;
      collected = [];
      try {
        if (run === null) throw new ThreadError('a job worker was sent a job before the call set it up');
        const result = await run(job);
        port.post({ type: 'result', index, result, warnings: collected } satisfies JobReply<R>);
      } catch (err) {
        port.post({ type: 'failed', index, error: failure(err), warnings: collected } satisfies JobReply<R>);
      }
    });
  });
}
