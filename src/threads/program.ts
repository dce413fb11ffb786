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

/** The kernels a program may call (append only: the index is the opcode). */
export const PROGRAM_KERNELS = [
  'gemm', 'actForward', 'actBackward', 'colSums', 'add', 'mul', 'copyRows', 'copyBlock', 'softmaxRows', 'softmaxRowsBackward',
  'mixForward', 'mixBackward', 'conv1dIm2col', 'conv1dCol2im', 'temporalPoolForward', 'temporalPoolBackward', 'distributionForward',
  'embeddingGather', 'embeddingScatterAdd', 'dselectForward', 'dselectBackward', 'rngDropoutMask', 'fillZero', 'axpy',
  'addBroadcast', 'attentionForward', 'attentionBackward', 'layerNormForward', 'layerNormBackward',
] as const satisfies readonly (keyof Kernels)[];

/** Kernels whose result is a bad input's index (≥ 0) or −1: recorded as checked calls. */
const CHECKED: ReadonlySet<string> = new Set(['embeddingGather']);

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
    const r = fns[code >>> 1]!.apply(undefined, p.subarray(a, a + argc) as unknown as number[]);
    if ((code & 1) !== 0 && r >= 0 && bad < 0) bad = r;
    i = a + argc;
  }
  return bad;
}
