// The worker pool, seen from the calling thread: it starts the supervisor
// (which starts the kernel workers, src/threads/worker.ts), runs jobs and stops.
//
// A job runs synchronously: `run` publishes it in the control block, wakes the
// workers, claims and runs tasks itself like any worker, then waits
// (Atomics.wait on WAKE; a busy wait where the thread may not block, as a
// page's main thread) until no task is left to claim and no live worker holds
// one. Then it throws if a task failed or was lost with a worker that died.
// The results never depend on which thread ran which task (tasks.ts), so the
// same job with no worker at all — after `shutdown`, or before the workers are
// up — runs every task on the calling thread and gives the same bits.

import { ThreadError, WasmTrapError } from '../runtime/errors.js';
import type { Allocator } from '../runtime/allocator.js';
import {
  CONTROL_BYTES, DEATHS, DONE, JOB_DEATHS, F64_ARGS, FAIL_ERROR, FAIL_KIND, FAIL_THREAD, FAIL_TRAP, GEN, GEN_MASK, I32_ARGS, KIND, MAX_TASKS,
  NEXT, PROBE, PROGRAM_TASKS_RUN, READY, START_FAILURES, STATUS, STATUS_BUSY, STATUS_DEAD, STATUS_IDLE, STOP, TASK_BITS, TASK_COUNT, TASKS_RUN, WAKE,
  SPIN_MS, awaitChange, claimTask, controlViews, exhaustTasks, failureMessage, recordFailure, type Control,
} from './control.js';
import { JOB_KERNELS, TASKS, type TaskContext, type TaskKernels } from './tasks.js';
import { spawnWorker, type Flavor, type WorkerHandle } from './spawn.js';
import type { KernelWorkerInit, SupervisorInit } from './worker.js';

/** What the calling thread's kernels must offer the pool. */
export interface PoolKernels extends TaskKernels {
  gemmScratchBytes(): number;
  rngSeed(state: number, seed: number, stream: number): void;
  rngUniform(state: number, n: number, out: number, lo: number, hi: number): void;
  sumSquaresF64(n: number, x: number): number;
}

export interface PoolOptions {
  /** Worker threads to start (the calling thread is one more). */
  readonly workers: number;
  readonly flavor: Flavor;
  readonly workerUrl: URL;
  readonly module: WebAssembly.Module;
  readonly relaxed: WebAssembly.Module | null;
  readonly memory: WebAssembly.Memory;
  readonly allocator: Allocator;
  /** The calling thread's kernels (raw: the pool maps traps itself). */
  readonly kernels: PoolKernels;
  /** How long `start` waits for the workers to come up before it goes on without the late ones. */
  readonly startTimeoutMs?: number;
}

/** Runs jobs: the pool, or the calling thread alone (LocalRunner). */
export interface JobRunner {
  /** The threads a job can use now, the calling one included. */
  readonly threads: number;
  /** Integer arguments of the next job (slots of tasks.ts). */
  readonly args: Int32Array;
  /** Float64 arguments of the next job. */
  readonly fargs: Float64Array;
  /** One more than the highest thread index a task may see (per-thread scratch is laid out for this many). */
  readonly capacity: number;
  /** Runs tasks 0..tasks−1 of job `kind`; throws WasmTrapError or ThreadError for a task that failed. */
  run(kind: number, tasks: number): void;
  /** The same, every task on the calling thread (a call too small to be worth waking the workers). */
  runLocal(kind: number, tasks: number): void;
  /**
   * Whether the workers are still checking for a job: the last one ended less
   * than half of SPIN_MS ago, so the next is taken up in a couple of
   * microseconds instead of a wake-up from Atomics.wait.
   */
  readonly warm: boolean;
}

/** Jobs on the calling thread alone: every task in order (where there are no workers, and for small calls). */
export class LocalRunner implements JobRunner {
  readonly threads = 1;
  readonly capacity = 1;
  readonly warm = false;
  readonly #ctx: TaskContext;

  constructor(kernels: TaskKernels, memory: WebAssembly.Memory) {
    // A plain ArrayBuffer: Cloudflare Workers, for one, may have no SharedArrayBuffer.
    const control = controlViews(new ArrayBuffer(CONTROL_BYTES));
    this.#ctx = {
      kernels, memory, control, thread: 0,
      die: () => { throw new ThreadError('the calling thread cannot end itself'); },
    };
  }

  get args(): Int32Array { return this.#ctx.control.i32.subarray(I32_ARGS); }
  get fargs(): Float64Array { return this.#ctx.control.f64.subarray(F64_ARGS); }

  run(kind: number, tasks: number): void {
    this.runLocal(kind, tasks);
  }

  runLocal(kind: number, tasks: number): void {
    for (let t = 0; t < tasks; t++) runHere(this.#ctx, kind, t);
  }
}

function runHere(ctx: TaskContext, kind: number, t: number): void {
  try {
    TASKS[kind]!(ctx, t);
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) throw new WasmTrapError(JOB_KERNELS[kind] ?? 'task', err);
    throw err;
  }
}

// Holds on the pool (holdToCallingThread): while any is held, every pool runs jobs on the calling thread alone.
let holds = 0;

/**
 * @internal Runs the kernels' jobs on the calling thread alone until the returned
 * function is called: while job workers (jobs.ts) train on the other cores, the
 * calling thread's own job must not wake the pool's workers onto those cores too
 * (a training step's micro-shards would wait for a worker that has no core). The
 * results are the same bits on any thread count.
 */
export function holdToCallingThread(): () => void {
  holds++;
  let released = false;
  return () => {
    if (!released) { released = true; holds--; }
  };
}

/** What `Pool.start` found: a pool, or why there is none. */
export type PoolStart = { pool: Pool; problem: null } | { pool: null; problem: string };

const PROBE_FLOATS = 1024;
const PROBE_SEED = 0x6d74;

export class Pool implements JobRunner {
  readonly #control: Control;
  readonly #supervisor: WorkerHandle;
  readonly #workers: number;
  readonly #ctx: TaskContext;
  readonly #allocator: Allocator;
  readonly #blocks: number[];
  readonly #canBlock: boolean;
  #gen = 0;
  #stopped = false;
  #ended: Promise<void> | null = null;
  /** When the last job handed to the workers ended (performance.now()). */
  #lastJob = -Infinity;

  private constructor(control: Control, supervisor: WorkerHandle, o: PoolOptions, blocks: number[]) {
    this.#control = control;
    this.#supervisor = supervisor;
    this.#workers = o.workers;
    this.#allocator = o.allocator;
    this.#blocks = blocks;
    this.#canBlock = canBlock();
    this.#ctx = {
      kernels: o.kernels, memory: o.memory, control, thread: 0,
      die: () => { throw new ThreadError('the calling thread cannot end itself'); },
    };
  }

  /**
   * Starts the workers and waits until each has passed the self-test (or failed
   * to start, or startTimeoutMs passed). A worker that sees stale memory makes
   * the whole pool unusable: it is stopped and `problem` says why.
   */
  static async start(o: PoolOptions): Promise<PoolStart> {
    const control = controlViews(new SharedArrayBuffer(CONTROL_BYTES));
    const k = o.kernels;
    const blocks: number[] = [];
    const block = (bytes: number) => { const p = o.allocator.reserve(bytes, 'a worker thread\'s scratch'); blocks.push(p); return p; };
    const scratchBytes = k.gemmScratchBytes();
    const read = block(PROBE_FLOATS * 4 + 16);
    k.rngSeed(read, PROBE_SEED, 0);
    k.rngUniform(read, PROBE_FLOATS, read + 16, 0, 1);
    const workers: SupervisorInit['workers'][number][] = [];
    for (let w = 0; w < o.workers; w++) {
      workers.push({
        index: w, module: o.module, relaxed: o.relaxed, memory: o.memory, control: control.i32.buffer as SharedArrayBuffer,
        scratch: block(scratchBytes), relaxedScratch: o.relaxed === null ? 0 : block(scratchBytes),
        probe: { n: PROBE_FLOATS, read: read + 16, write: block(PROBE_FLOATS * 4 + 16), seed: PROBE_SEED },
      } satisfies Omit<KernelWorkerInit, 'role' | 'flavor'>);
    }
    const freeAll = () => { for (const p of blocks) o.allocator.free(p); };
    let supervisor: WorkerHandle;
    try {
      supervisor = await spawnWorker(o.flavor, o.workerUrl, {
        role: 'supervisor', flavor: o.flavor, workerUrl: o.workerUrl.href, control: control.i32.buffer as SharedArrayBuffer, workers,
      } satisfies SupervisorInit);
    } catch (err) {
      freeAll();
      return { pool: null, problem: `could not start a worker from ${o.workerUrl.href}: ${err instanceof Error ? err.message : String(err)}` };
    }
    supervisor.unref();
    let ended: string | null = null;
    supervisor.onExit((code, error) => {
      ended = `the supervising worker thread ended (code ${code})${error === null ? '' : `: ${error instanceof Error ? error.message : String(error)}`}`;
    });

    // Wait for every worker to be up (or to have failed).
    const deadline = Date.now() + (o.startTimeoutMs ?? 30_000);
    const settled = () => {
      let n = 0;
      for (let w = 0; w < o.workers; w++) {
        const s = Atomics.load(control.i32, STATUS + w);
        if (s === STATUS_IDLE || s === STATUS_BUSY || s === STATUS_DEAD) n++;
      }
      return n === o.workers;
    };
    while (!settled() && ended === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    if (ended !== null) {
      freeAll();
      return { pool: null, problem: ended };
    }

    const expectRead = k.sumSquaresF64(PROBE_FLOATS, read + 16);
    const stale: number[] = [];
    for (let w = 0; w < o.workers; w++) {
      if (Atomics.load(control.i32, STATUS + w) !== STATUS_IDLE) continue;
      const sawRead = control.f64[PROBE + 2 * w]!;
      const wrote = control.f64[PROBE + 2 * w + 1]!;
      const sawWrite = k.sumSquaresF64(PROBE_FLOATS, workers[w]!.probe.write + 16);
      if (!(sawRead === expectRead && sawWrite === wrote && wrote > 0)) stale.push(w);
    }
    const pool = new Pool(control, supervisor, o, blocks);
    const up = Atomics.load(control.i32, READY);
    if (stale.length > 0) {
      await pool.shutdown();
      return {
        pool: null,
        problem: `this runtime's WebAssembly threads failed the shared-memory self-test (worker ${stale[0]} did not see ` +
          'what another thread wrote; oven-sh/bun#25677)',
      };
    }
    if (up === 0) {
      const failures = Atomics.load(control.i32, START_FAILURES);
      await pool.shutdown();
      return { pool: null, problem: failures > 0 ? 'no worker could instantiate the threaded kernels' : 'no worker started in time' };
    }
    return { pool, problem: null };
  }

  /** The threads a job can use now: the calling thread and every live worker (the calling thread alone while held). */
  get threads(): number {
    return holds > 0 ? 1 : this.liveThreads;
  }

  /** The calling thread and every live worker, held or not (threadInfo). */
  get liveThreads(): number {
    if (this.#stopped) return 1;
    let n = 1;
    for (let w = 0; w < this.#workers; w++) {
      const s = Atomics.load(this.#control.i32, STATUS + w);
      if (s === STATUS_IDLE || s === STATUS_BUSY) n++;
    }
    return n;
  }

  get capacity(): number {
    return this.#workers + 1;
  }

  runLocal(kind: number, tasks: number): void {
    for (let t = 0; t < tasks; t++) runHere(this.#ctx, kind, t);
  }

  get warm(): boolean {
    return this.threads > 1 && performance.now() - this.#lastJob < SPIN_MS / 2;
  }

  /** Tasks each thread has run since the pool started (index 0: the calling thread). */
  tasksRun(): number[] {
    return Array.from({ length: this.#workers + 1 }, (_, t) => Atomics.load(this.#control.i32, TASKS_RUN + t));
  }

  /** Micro-shard programs each thread has run since the pool started (index 0: the calling thread). */
  programTasksRun(): number[] {
    return Array.from({ length: this.#workers + 1 }, (_, t) => Atomics.load(this.#control.i32, PROGRAM_TASKS_RUN + t));
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  get args(): Int32Array {
    return this.#control.i32.subarray(I32_ARGS);
  }

  get fargs(): Float64Array {
    return this.#control.f64.subarray(F64_ARGS);
  }

  /**
   * Runs `tasks` tasks of job `kind` (arguments written to `args`/`fargs` first)
   * on every thread, the calling one included unless `workersOnly` (the pool's
   * own tests). Throws WasmTrapError for a kernel that trapped, ThreadError for
   * a task that threw or a worker that died holding a task.
   */
  run(kind: number, tasks: number, workersOnly = false): void {
    if (!Number.isInteger(tasks) || tasks < 1 || tasks > MAX_TASKS) throw new RangeError(`a job has 1 to ${MAX_TASKS} tasks, got ${tasks}`);
    const c = this.#control;
    if (this.threads === 1) {
      if (workersOnly) throw new ThreadError('the pool has no live worker thread');
      for (let t = 0; t < tasks; t++) runHere(this.#ctx, kind, t);
      return;
    }
    // Read before the job is out: a worker may die of it before this thread runs another instruction.
    const deaths = Atomics.load(c.i32, DEATHS);
    Atomics.store(c.i32, JOB_DEATHS, deaths);
    const gen = this.#gen = (this.#gen + 1) & GEN_MASK;
    Atomics.store(c.i32, KIND, kind);
    Atomics.store(c.i32, TASK_COUNT, tasks);
    Atomics.store(c.i32, DONE, 0);
    Atomics.store(c.i32, FAIL_THREAD, 0);
    Atomics.store(c.i32, NEXT, gen << TASK_BITS);
    Atomics.store(c.i32, GEN, gen);
    Atomics.notify(c.i32, GEN);
    if (!workersOnly) {
      for (;;) {
        const t = claimTask(c, gen, tasks);
        if (t < 0) break;
        try {
          TASKS[kind]!(this.#ctx, t);
        } catch (err) {
          recordFailure(c, 0, err instanceof WebAssembly.RuntimeError ? FAIL_TRAP : FAIL_ERROR, t,
            `${JOB_KERNELS[kind] ?? 'task'} (task ${t}): ${err instanceof Error ? err.message : String(err)}`);
          exhaustTasks(c, gen, tasks);
        }
        Atomics.add(c.i32, TASKS_RUN, 1);
        Atomics.add(c.i32, DONE, 1);
      }
    }
    this.#waitForJob(gen, tasks);
    this.#lastJob = performance.now();
    const failed = Atomics.load(c.i32, FAIL_THREAD);
    if (failed !== 0) {
      const where = failed === 1 ? 'the calling thread' : `worker thread ${failed - 1}`;
      const message = `${failureMessage(c)} (in ${where})`;
      if (Atomics.load(c.i32, FAIL_KIND) === FAIL_TRAP) throw new WasmTrapError(JOB_KERNELS[kind] ?? 'task', new Error(message));
      throw new ThreadError(`a task of ${JOB_KERNELS[kind] ?? 'a job'} failed: ${message}`);
    }
    if (Atomics.load(c.i32, DONE) < tasks) {
      const died = Atomics.load(c.i32, DEATHS) - deaths;
      throw new ThreadError(
        `${JOB_KERNELS[kind] ?? 'a job'}: ${died > 0 ? 'a worker thread stopped' : 'a task was lost'} while running it; ` +
          'its results are incomplete. The pool carries on with the threads it has left (a replacement is starting).',
      );
    }
  }

  // Until no task of `gen` is left to claim and no live worker holds one.
  #waitForJob(gen: number, tasks: number): void {
    const c = this.#control;
    const tag = gen << TASK_BITS;
    for (;;) {
      const seen = Atomics.load(c.i32, WAKE);
      const next = Atomics.load(c.i32, NEXT);
      const exhausted = (next & ~MAX_TASKS) !== tag || (next & MAX_TASKS) >= tasks;
      if (exhausted && !this.#anyBusy()) return;
      if (this.#canBlock) awaitChange(c, WAKE, seen, 1000);
    }
  }

  #anyBusy(): boolean {
    for (let w = 0; w < this.#workers; w++) {
      if (Atomics.load(this.#control.i32, STATUS + w) === STATUS_BUSY) return true;
    }
    return false;
  }

  /** Stops the workers (idempotent); jobs run on the calling thread alone afterwards. */
  shutdown(): Promise<void> {
    this.#ended ??= this.#stop();
    return this.#ended;
  }

  async #stop(): Promise<void> {
    this.#stopped = true;
    const c = this.#control;
    Atomics.store(c.i32, STOP, 1);
    Atomics.add(c.i32, GEN, 1);
    Atomics.notify(c.i32, GEN);
    // The workers leave their loop; ending the supervisor ends them (a Worker's own workers end with it).
    this.#supervisor.post({ type: 'stop' });
    await this.#supervisor.terminate();
    for (const p of this.#blocks) this.#allocator.free(p);
    this.#blocks.length = 0;
  }
}

/** Whether this thread may block in Atomics.wait (a page's main thread may not). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}
