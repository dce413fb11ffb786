// The script every worker of the pool runs (dist/worker.js), in one of two roles:
//
//  - supervisor: one per pool, started by the calling thread. It starts the
//    kernel workers and watches them. The calling thread blocks in Atomics.wait
//    while a job runs, so it cannot see a worker's exit event then; the
//    supervisor's event loop can, and marks the worker dead in the control
//    block and wakes the caller, which then fails the job with a typed error
//    instead of waiting forever. It starts a replacement for a worker that died.
//  - kernel: instantiates the threaded kernel module on the shared memory (its
//    own instance: its own globals and, through setGemmScratch, its own GEMM
//    scratch), checks that it sees the memory the other threads write (the
//    self-test), then claims and runs tasks until the pool stops.

import {
  DEATHS, GEN, KIND, MAX_WORKERS, PROBE, READY, START_FAILURES, STATUS, STATUS_BUSY, STATUS_DEAD, STATUS_IDLE,
  STATUS_STOPPED, STOP, TASK_COUNT, TASKS_RUN, DONE, FAIL_ERROR, FAIL_TRAP, claimTask, controlViews, exhaustTasks, recordFailure,
  awaitChange, wakeCaller, type Control,
} from './control.js';
import { JOB_KERNELS, TASKS, type TaskContext, type TaskKernels } from './tasks.js';
import { spawnWorker, workerPort, type Flavor, type WorkerHandle } from './spawn.js';

/** What a kernel worker needs; the supervisor passes it on with the worker's index and scratch. */
export interface KernelWorkerInit {
  readonly role: 'kernel';
  readonly flavor: Flavor;
  readonly index: number;
  readonly module: WebAssembly.Module;
  readonly relaxed: WebAssembly.Module | null;
  readonly memory: WebAssembly.Memory;
  readonly control: SharedArrayBuffer;
  /** This worker's GEMM scratch (and the relaxed GEMM's), from the caller's allocator. */
  readonly scratch: number;
  readonly relaxedScratch: number;
  /** The self-test: n floats at `read`, written by the caller; 16 + 4n bytes at `write` for this worker. */
  readonly probe: { readonly n: number; readonly read: number; readonly write: number; readonly seed: number };
}

export interface SupervisorInit {
  readonly role: 'supervisor';
  readonly flavor: Flavor;
  readonly workerUrl: string;
  readonly control: SharedArrayBuffer;
  /** One per kernel worker, index = worker index. */
  readonly workers: readonly Omit<KernelWorkerInit, 'role' | 'flavor'>[];
}

/** A worker that ended is replaced at most this many times in the pool's life (no restart loop). */
const RESTARTS_PER_WORKER = 3;

class WorkerDeath extends Error {}

async function start(): Promise<void> {
  const port = await workerPort();
  const init = port.data as SupervisorInit | KernelWorkerInit | { role: string };
  if (init.role === 'supervisor') return supervise(init as SupervisorInit, port.onMessage);
  if (init.role === 'kernel') return kernelWorker(init as KernelWorkerInit);
  port.post({ error: `manytask worker: unknown role ${String(init.role)}` });
}

function supervise(init: SupervisorInit, onMessage: (l: (m: unknown) => void) => void): void {
  const c = controlViews(init.control);
  const workers: (WorkerHandle | null)[] = init.workers.map(() => null);
  const restarts = init.workers.map(() => 0);
  let stopping = false;

  const launch = async (w: number): Promise<void> => {
    const spec = init.workers[w]!;
    Atomics.store(c.i32, STATUS + w, 0);
    let handle: WorkerHandle;
    try {
      handle = await spawnWorker(init.flavor, init.workerUrl, { ...spec, role: 'kernel', flavor: init.flavor } satisfies KernelWorkerInit);
    } catch {
      Atomics.add(c.i32, START_FAILURES, 1);
      Atomics.store(c.i32, STATUS + w, STATUS_DEAD);
      wakeCaller(c);
      return;
    }
    workers[w] = handle;
    handle.onExit(() => {
      workers[w] = null;
      if (stopping || Atomics.load(c.i32, STOP) !== 0) return;
      // Unexpected: the caller may be waiting for this worker's task. DEATHS first:
      // the caller stops waiting when it sees the status, and then reads DEATHS.
      Atomics.add(c.i32, DEATHS, 1);
      Atomics.store(c.i32, STATUS + w, STATUS_DEAD);
      wakeCaller(c);
      if (restarts[w]! < RESTARTS_PER_WORKER) {
        restarts[w]!++;
        void launch(w);
      }
    });
  };
  for (let w = 0; w < init.workers.length && w < MAX_WORKERS; w++) void launch(w);

  onMessage((m) => {
    if ((m as { type?: string }).type !== 'stop') return;
    stopping = true;
    for (const h of workers) h?.terminate();
    // Then end this thread too (its message listener would keep it alive).
    const scope = globalThis as unknown as { process?: { exit(code: number): void }; close?: () => void };
    if (init.flavor === 'node') scope.process?.exit(0);
    else scope.close?.();
  });
}

async function kernelWorker(init: KernelWorkerInit): Promise<void> {
  const c = controlViews(init.control);
  const w = init.index;
  const text = (ptr: number): string => {
    if (ptr === 0) return '';
    const bytes = new Uint32Array(init.memory.buffer, ptr - 4, 1)[0] ?? 0;
    return String.fromCharCode(...new Uint16Array(init.memory.buffer, ptr, bytes >>> 1));
  };
  const abort = (msg: number, file: number, line: number, column: number): never => {
    throw new Error(`kernel aborted: ${text(msg)} at ${text(file)}:${line}:${column}`);
  };
  let kernels: TaskKernels;
  try {
    const instance = await WebAssembly.instantiate(init.module, { env: { memory: init.memory, abort } });
    const exports = instance.exports as unknown as TaskKernels & ProbeKernels & { setGemmScratch(p: number): void };
    exports.setGemmScratch(init.scratch);
    let gemm = exports.gemm;
    if (init.relaxed !== null) {
      const r = await WebAssembly.instantiate(init.relaxed, { env: { memory: init.memory } });
      const fast = r.exports as unknown as { gemm: TaskKernels['gemm']; setGemmScratch(p: number): void };
      fast.setGemmScratch(init.relaxedScratch);
      gemm = fast.gemm;
    }
    // Every export (a micro-shard's program calls many kernels: program.ts), the relaxed GEMM in fast mode.
    kernels = { ...(instance.exports as unknown as TaskKernels), gemm };
    probe(exports, init, c);
  } catch {
    Atomics.add(c.i32, START_FAILURES, 1);
    Atomics.store(c.i32, STATUS + w, STATUS_DEAD);
    wakeCaller(c);
    return;
  }
  const flavorDie = init.flavor === 'node'
    ? (): never => (globalThis as unknown as { process: { exit(code: number): never } }).process.exit(70)
    : (): never => { throw new WorkerDeath('a worker ended on purpose (test)'); };
  const ctx: TaskContext = { kernels, memory: init.memory, control: c, thread: w + 1, die: flavorDie };
  Atomics.store(c.i32, STATUS + w, STATUS_IDLE);
  Atomics.add(c.i32, READY, 1);
  wakeCaller(c);
  loop(c, ctx, w);
}

interface ProbeKernels {
  rngSeed(state: number, seed: number, stream: number): void;
  rngUniform(state: number, n: number, out: number, lo: number, hi: number): void;
  sumSquaresF64(n: number, x: number): number;
}

// The self-test (oven-sh/bun#25677: WebAssembly stores on a shared memory that
// other threads did not see): read, with this thread's kernels, what the caller
// wrote with its kernels; write numbers of our own for the caller to read.
function probe(k: ProbeKernels, init: KernelWorkerInit, c: Control): void {
  const { n, read, write, seed } = init.probe;
  c.f64[PROBE + 2 * init.index] = k.sumSquaresF64(n, read);
  k.rngSeed(write, seed + 1 + init.index, 0);
  k.rngUniform(write, n, write + 16, 0, 1);
  c.f64[PROBE + 2 * init.index + 1] = k.sumSquaresF64(n, write + 16);
}

function loop(c: Control, ctx: TaskContext, w: number): void {
  let seen = Atomics.load(c.i32, GEN);
  for (;;) {
    awaitChange(c, GEN, seen, Infinity);
    if (Atomics.load(c.i32, STOP) !== 0) break;
    const gen = Atomics.load(c.i32, GEN);
    if (gen === seen) continue;
    seen = gen;
    const kind = Atomics.load(c.i32, KIND), tasks = Atomics.load(c.i32, TASK_COUNT);
    Atomics.store(c.i32, STATUS + w, STATUS_BUSY);
    for (;;) {
      const t = claimTask(c, gen, tasks);
      if (t < 0) break;
      try {
        TASKS[kind]!(ctx, t);
      } catch (err) {
        if (err instanceof WorkerDeath) throw err;
        const trap = err instanceof WebAssembly.RuntimeError;
        const what = err instanceof Error ? err.message : String(err);
        recordFailure(c, ctx.thread, trap ? FAIL_TRAP : FAIL_ERROR, t, `${JOB_KERNELS[kind] ?? 'task'} (task ${t}): ${what}`);
        exhaustTasks(c, gen, tasks);
      }
      Atomics.add(c.i32, TASKS_RUN + ctx.thread, 1);
      Atomics.add(c.i32, DONE, 1);
      wakeCaller(c);
    }
    Atomics.store(c.i32, STATUS + w, STATUS_IDLE);
    wakeCaller(c);
  }
  Atomics.store(c.i32, STATUS + w, STATUS_STOPPED);
}

void start();
