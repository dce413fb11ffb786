// A micro-shard's pass as a program: the list of kernel calls the calling
// thread's training code makes for one shard (forward, backward: src/graph/,
// src/mtl/engine.ts, src/mtl/core.ts), recorded once instead of executed, then
// run by whichever thread claims the shard (a task of JOB_PROGRAM, tasks.ts).
// The semantics of every operation stay where they are: the program holds
// nothing but the calls those files make, in their order, with their pointers
// and sizes — the same floats, by construction, as the code run directly.
//
// Encoding (f64, so that every pointer, size and f32 or f64 scalar argument is
// kept exactly): per call [code, argc, arg₀ … arg_argc−1], code = 2 × the
// kernel's index in PROGRAM_KERNELS + 1 if its result is checked (a result ≥ 0
// is a bad input the caller reports: embeddingGather's first bad row).

import type { Kernels } from '../runtime/abi.js';

/** A first-phase task's result until it ends (ProgramPieces.run's `phase`; tasks.ts waits on it). */
export const PENDING = -2;

/** The kernels a program may call (append only: the index is the opcode). */
export const PROGRAM_KERNELS = [
  'gemm', 'actForward', 'actBackward', 'colSums', 'add', 'mul', 'copyRows', 'copyBlock', 'softmaxRows', 'softmaxRowsBackward',
  'mixForward', 'mixBackward', 'conv1dIm2col', 'conv1dCol2im', 'temporalPoolForward', 'temporalPoolBackward', 'distributionForward',
  'embeddingGather', 'embeddingScatterAdd', 'dselectForward', 'dselectBackward', 'rngDropoutMask', 'fillZero', 'axpy',
  'addBroadcast', 'attentionForward', 'attentionBackward', 'layerNormForward', 'layerNormBackward',
  'adam', 'sgd', 'firstNonFinite',
  'rngUniform', 'gumbelLogits', 'gumbelSettled', 'divideByScalar', 'crossStitchAlpha', 'writePointer', 'crossStitchForward', 'crossStitchBackward',
] as const satisfies readonly (keyof Kernels)[];

/** Kernels whose result is a bad input's index (≥ 0) or −1: recorded as checked calls. */
const CHECKED: ReadonlySet<string> = new Set(['embeddingGather', 'firstNonFinite']);

type KernelFn = (...args: number[]) => number;

/** A kernel the recording reached that a program cannot hold (the pass then runs on the calling thread). */
export class NotRecordable extends Error {}

/**
 * Kernels that record into `sink` instead of running: every kernel of
 * PROGRAM_KERNELS appends its call (a checked one returns −1, "no bad row": the
 * thread that runs the program checks); any other kernel throws NotRecordable.
 */
export function recordingKernels(base: Kernels, sink: number[]): Kernels {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(base)) {
    const index = (PROGRAM_KERNELS as readonly string[]).indexOf(name);
    out[name] = index < 0
      ? () => { throw new NotRecordable(`${name} cannot be recorded into a micro-shard's program`); }
      : (...args: number[]) => {
        sink.push(2 * index + (CHECKED.has(name) ? 1 : 0), args.length, ...args);
        return -1;
      };
  }
  return out as unknown as Kernels;
}

const tables = new WeakMap<object, readonly KernelFn[]>();

/** The function table of one thread's kernels (raw exports), indexed by opcode. */
export function programFunctions(kernels: object): readonly KernelFn[] {
  let fns = tables.get(kernels);
  if (fns === undefined) {
    const all = kernels as Record<string, KernelFn | undefined>;
    fns = PROGRAM_KERNELS.map((name) => {
      const f = all[name];
      if (typeof f !== 'function') throw new Error(`the kernels lack ${name}, which a micro-shard's program calls`);
      return f;
    });
    tables.set(kernels, fns);
  }
  return fns;
}

/** Runs the program `p`; returns −1, or the first result ≥ 0 of a checked call (a bad input). */
export function runProgram(fns: readonly KernelFn[], p: Float64Array): number {
  let bad = -1;
  for (let i = 0; i < p.length;) {
    const code = p[i]!, argc = p[i + 1]!, a = i + 2;
    const r = call(fns[code >>> 1]!, p, a, argc);
    if ((code & 1) !== 0 && r >= 0 && bad < 0) bad = r;
    i = a + argc;
  }
  return bad;
}

/**
 * `f` on the `argc` arguments at p[a…]: a call with its arguments written out
 * for the kernels' argument counts (2 to 12, 15, 17), since a program runs tens of
 * calls per shard on every step and `apply` on a fresh subarray costs an
 * allocation and a slower call each time.
 */
function call(f: KernelFn, p: Float64Array, a: number, argc: number): number {
  switch (argc) {
    case 2: return f(p[a]!, p[a + 1]!);
    case 3: return f(p[a]!, p[a + 1]!, p[a + 2]!);
    case 4: return f(p[a]!, p[a + 1]!, p[a + 2]!, p[a + 3]!);
    case 5: return f(p[a]!, p[a + 1]!, p[a + 2]!, p[a + 3]!, p[a + 4]!);
    case 6: return f(p[a]!, p[a + 1]!, p[a + 2]!, p[a + 3]!, p[a + 4]!, p[a + 5]!);
    case 7: return f(p[a]!, p[a + 1]!, p[a + 2]!, p[a + 3]!, p[a + 4]!, p[a + 5]!, p[a + 6]!);
    case 8: return f(p[a]!, p[a + 1]!, p[a + 2]!, p[a + 3]!, p[a + 4]!, p[a + 5]!, p[a + 6]!, p[a + 7]!);
    case 9: return f(p[a]!, p[a + 1]!, p[a + 2]!, p[a + 3]!, p[a + 4]!, p[a + 5]!, p[a + 6]!, p[a + 7]!, p[a + 8]!);
    case 10: return f(p[a]!, p[a + 1]!, p[a + 2]!, p[a + 3]!, p[a + 4]!, p[a + 5]!, p[a + 6]!, p[a + 7]!, p[a + 8]!, p[a + 9]!);
    case 11: return f(p[a]!, p[a + 1]!, p[a + 2]!, p[a + 3]!, p[a + 4]!, p[a + 5]!, p[a + 6]!, p[a + 7]!, p[a + 8]!, p[a + 9]!,
      p[a + 10]!);
    case 12: return f(p[a]!, p[a + 1]!, p[a + 2]!, p[a + 3]!, p[a + 4]!, p[a + 5]!, p[a + 6]!, p[a + 7]!, p[a + 8]!, p[a + 9]!,
      p[a + 10]!, p[a + 11]!);
    case 15: return f(p[a]!, p[a + 1]!, p[a + 2]!, p[a + 3]!, p[a + 4]!, p[a + 5]!, p[a + 6]!, p[a + 7]!, p[a + 8]!, p[a + 9]!,
      p[a + 10]!, p[a + 11]!, p[a + 12]!, p[a + 13]!, p[a + 14]!);
    case 17: return f(p[a]!, p[a + 1]!, p[a + 2]!, p[a + 3]!, p[a + 4]!, p[a + 5]!, p[a + 6]!, p[a + 7]!, p[a + 8]!, p[a + 9]!,
      p[a + 10]!, p[a + 11]!, p[a + 12]!, p[a + 13]!, p[a + 14]!, p[a + 15]!, p[a + 16]!);
    default: return f.apply(undefined, Array.from(p.subarray(a, a + argc)));
  }
}

/** Appends one call to a program: `name`'s opcode (checked as recordingKernels records it), the argument count, the arguments. */
export function encodeCall(program: number[], name: (typeof PROGRAM_KERNELS)[number], args: readonly number[]): void {
  program.push(2 * PROGRAM_KERNELS.indexOf(name) + (CHECKED.has(name) ? 1 : 0), args.length, ...args);
}

/**
 * The programs of one job of pieces (a training step's reduction of the shards'
 * gradients, an optimizer's update over ranges of the parameters), a program per
 * task, in WASM memory this object holds: room for the largest job it has run,
 * taken with `alloc` and given back with `free`.
 */
export class ProgramPieces {
  readonly #alloc: (bytes: number) => number;
  readonly #free: (ptr: number) => void;
  #block = 0;
  #bytes = 0;

  constructor(alloc: (bytes: number) => number, free: (ptr: number) => void) {
    this.#alloc = alloc;
    this.#free = free;
  }

  /**
   * Writes `programs` and runs them as one job through `run` (table, task count,
   * results, phase); returns −1, or the first task, in task order, whose program
   * found a bad input (a checked call's result ≥ 0). `phase`: the programs before
   * it run first, and the others only if none of those found one (tasks.ts,
   * PROGRAM.phase).
   */
  run(
    memory: WebAssembly.Memory, programs: readonly (readonly number[])[],
    run: (table: number, count: number, results: number, phase: number) => void, phase = 0,
  ): number {
    const count = programs.length;
    const floats = programs.reduce((n, p) => n + p.length, 0);
    const tableAt = floats * 8, resultsAt = tableAt + count * 8, bytes = resultsAt + count * 4;
    if (bytes > this.#bytes) {
      if (this.#block !== 0) this.#free(this.#block);
      this.#block = 0;
      this.#block = this.#alloc(bytes);
      this.#bytes = bytes;
    }
    const block = this.#block;
    const f64 = new Float64Array(memory.buffer, block, floats), table = new Int32Array(memory.buffer, block + tableAt, 2 * count);
    let at = 0;
    programs.forEach((p, i) => {
      f64.set(p, at);
      table[2 * i] = block + at * 8;
      table[2 * i + 1] = p.length;
      at += p.length;
    });
    const results = new Int32Array(memory.buffer, block + resultsAt, count);
    results.fill(-1);
    results.fill(PENDING, 0, phase);
    run(block + tableAt, count, block + resultsAt, phase);
    // The job may have grown the memory: a fresh view.
    return new Int32Array(memory.buffer, block + resultsAt, count).findIndex((r) => r >= 0);
  }

  /** Gives the memory back (the owner's dispose). */
  dispose(): void {
    if (this.#block !== 0) this.#free(this.#block);
    this.#block = 0;
    this.#bytes = 0;
  }
}
