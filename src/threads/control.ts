// The control block of the worker pool: one SharedArrayBuffer (apart from the
// kernels' WebAssembly memory, so it never moves or grows) through which the
// calling thread hands out jobs and the workers claim their tasks, with
// Atomics.wait/notify and compare-and-swap. Shared by src/threads/pool.ts (the
// calling thread) and src/threads/worker.ts (the workers).
//
// A job is a kind (a row of src/threads/tasks.ts), a task count and its
// arguments. The calling thread writes the arguments, then NEXT (the job's
// generation tag and task 0), then bumps GEN and wakes the workers; every
// thread, the caller included, claims tasks from NEXT by compare-and-swap until
// none is left. NEXT carries the generation (its high bits) so that a worker
// that woke late, for a job that has since ended, can never claim a task of the
// next one with the arguments it read for the old one.

/** Bytes of the control block. */
export const CONTROL_BYTES = 8192;

// Int32 slots.
/** Job generation: workers sleep on it (Atomics.wait) between jobs. */
export const GEN = 0;
/** The job's kind (index into TASKS of tasks.ts). */
export const KIND = 1;
/** Number of tasks in the job. */
export const TASK_COUNT = 2;
/** (generation & GEN_MASK) << TASK_BITS | next unclaimed task. */
export const NEXT = 3;
/** Tasks finished (successfully or not). */
export const DONE = 4;
/** 0, or 1 + the thread index of the first task that failed. */
export const FAIL_THREAD = 5;
/** What failed: FAIL_TRAP, FAIL_ERROR. */
export const FAIL_KIND = 6;
/** The task that failed. */
export const FAIL_TASK = 7;
/** Workers that stopped unexpectedly (bumped by the supervisor). */
export const DEATHS = 8;
/** 1 once the pool is shutting down: workers leave their loop. */
export const STOP = 9;
/** Workers that have instantiated the kernels and passed the self-test probe. */
export const READY = 10;
/** Bumped (and notified) whenever a task ends or a worker goes idle or dies: the caller waits on it. */
export const WAKE = 11;
/** Characters of the failure message (in MESSAGE). */
export const MESSAGE_LENGTH = 12;
/** Workers whose start failed (instantiation, probe). */
export const START_FAILURES = 13;
/** DEATHS when the current job was handed out: a task that waits for other tasks of its job stops waiting when a worker died since. */
export const JOB_DEATHS = 14;

/** A task failed with a WebAssembly trap. */
export const FAIL_TRAP = 1;
/** A task failed with any other exception. */
export const FAIL_ERROR = 2;

/** Bits of NEXT that hold the task index: at most 4095 tasks per job. */
export const TASK_BITS = 12;
export const MAX_TASKS = (1 << TASK_BITS) - 1;
export const GEN_MASK = (1 << (31 - TASK_BITS)) - 1;

/** Integer arguments of the current job: I32_ARGS..I32_ARGS + 63. */
export const I32_ARGS = 32;
export const I32_ARG_COUNT = 64;
/** Float64 arguments: indices into the Float64Array view of the block. */
export const F64_ARGS = 64; // byte 512
export const F64_ARG_COUNT = 32;

/** Per-worker state, worker w at STATUS + w. */
export const STATUS = 192; // byte 768
export const MAX_WORKERS = 63;
export const STATUS_STARTING = 0;
export const STATUS_IDLE = 1;
export const STATUS_BUSY = 2;
export const STATUS_DEAD = 3;
export const STATUS_STOPPED = 4;

/** The self-test results of worker w: Float64 slots PROBE + 2w (what it read) and + 2w + 1 (what it wrote). */
export const PROBE = 128; // byte 1024, up to byte 2032
/** Tasks each thread has run since the pool started: thread t at TASKS_RUN + t (the calling thread is 0). */
export const TASKS_RUN = 512; // byte 2048, up to byte 2304
/** Micro-shard programs (JOB_PROGRAM tasks) each thread has run: thread t at PROGRAM_TASKS_RUN + t. */
export const PROGRAM_TASKS_RUN = 576; // byte 2304, up to byte 2560
/** The failure message: UTF-16 code units from byte 4096. */
export const MESSAGE_BYTE = 4096;
export const MESSAGE_CAPACITY = (CONTROL_BYTES - MESSAGE_BYTE) / 2;

/** Typed views of one control block. */
export interface Control {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly text: Uint16Array;
}

export function controlViews(buffer: SharedArrayBuffer | ArrayBuffer): Control {
  return { i32: new Int32Array(buffer), f64: new Float64Array(buffer), text: new Uint16Array(buffer, MESSAGE_BYTE) };
}

/** Records a failure unless one is recorded already (the first wins); returns whether this one was recorded. */
export function recordFailure(c: Control, thread: number, kind: number, task: number, message: string): boolean {
  if (Atomics.compareExchange(c.i32, FAIL_THREAD, 0, thread + 1) !== 0) return false;
  const n = Math.min(message.length, MESSAGE_CAPACITY);
  for (let i = 0; i < n; i++) c.text[i] = message.charCodeAt(i);
  Atomics.store(c.i32, MESSAGE_LENGTH, n);
  Atomics.store(c.i32, FAIL_TASK, task);
  Atomics.store(c.i32, FAIL_KIND, kind);
  return true;
}

export function failureMessage(c: Control): string {
  const n = Atomics.load(c.i32, MESSAGE_LENGTH);
  let s = '';
  for (let i = 0; i < n; i += 4096) s += String.fromCharCode(...c.text.subarray(i, Math.min(n, i + 4096)));
  return s;
}

/**
 * Claims the next task of generation `gen` (of `tasks`), or returns −1 when none
 * is left or the job has moved on.
 */
export function claimTask(c: Control, gen: number, tasks: number): number {
  const tag = (gen & GEN_MASK) << TASK_BITS;
  for (;;) {
    const v = Atomics.load(c.i32, NEXT);
    if ((v & ~MAX_TASKS) !== tag) return -1;
    const t = v & MAX_TASKS;
    if (t >= tasks) return -1;
    if (Atomics.compareExchange(c.i32, NEXT, v, v + 1) === v) return t;
  }
}

/** Ends the claiming of generation `gen`: no further task is handed out. */
export function exhaustTasks(c: Control, gen: number, tasks: number): void {
  const tag = (gen & GEN_MASK) << TASK_BITS;
  for (;;) {
    const v = Atomics.load(c.i32, NEXT);
    if ((v & ~MAX_TASKS) !== tag || (v & MAX_TASKS) >= tasks) return;
    if (Atomics.compareExchange(c.i32, NEXT, v, tag | tasks) === v) return;
  }
}

/** Bumps WAKE and wakes the calling thread if it waits on it. */
export function wakeCaller(c: Control): void {
  Atomics.add(c.i32, WAKE, 1);
  Atomics.notify(c.i32, WAKE);
}

/**
 * How long a thread that has just finished its part of a job keeps checking for
 * the next one before it sleeps in Atomics.wait. Waking a sleeping thread takes
 * the operating system tens of microseconds, and a training step hands the pool
 * three or four jobs a few hundred microseconds apart: a thread that slept
 * between them would join each one late. A quarter of a millisecond covers the
 * gaps inside a step (about 40 µs at batch 256 and 120 µs at 1024 on the
 * benchmark network). Longer costs a loaded machine: a thread that spent its time
 * checking is scheduled later when the job comes (2 ms made the calling thread
 * run every shard of a fit itself, in tests/unit/threads.test.js under load).
 */
export const SPIN_MS = 0.25;

/**
 * Waits until `c.i32[slot]` is no longer `seen`: checks it in a loop for up to
 * SPIN_MS, then sleeps in Atomics.wait (up to `timeoutMs`; Infinity: until woken).
 */
export function awaitChange(c: Control, slot: number, seen: number, timeoutMs: number): void {
  const until = performance.now() + SPIN_MS;
  for (let i = 1; Atomics.load(c.i32, slot) === seen; i++) {
    if ((i & 255) === 0 && performance.now() > until) {
      Atomics.wait(c.i32, slot, seen, timeoutMs);
      return;
    }
  }
}
