// The contract every sharing architecture implements (one file per architecture
// in this folder). The multi-task model (src/mtl/model.ts) sees an architecture
// as two parts:
//
//   shared part   x (rows × inputSize)      → Z (rows × sharedSize)
//   task part t   (x, Z)                    → R_t (rows × outputSizes[t])
//
// Each task's head (its final Dense to logits) sits on R_t and belongs to the
// task, not to the architecture. Splitting at Z lets the trainer get per-task
// gradients cheaply: each task part's backward gives dZ_t, a strategy combines
// them, and the shared part runs backward once on the combination (or once per
// task where a strategy needs per-task gradients of the shared parameters).
//
//   shared-bottom  Z = trunk(x);                      task part = tower_t(Z)
//   MMoE           Z = [E_1(x) … E_n(x)];             task part = tower_t(Σ_i softmax(W_t x)_i · E_i)
//   CGC / PLE      Z = every expert of the last level (earlier levels, their gates
//                  included, are inside the shared part); task part = the last
//                  level's gate over the task's own and the shared experts, then tower_t
//   cross-stitch   Z = the task columns' last outputs, concatenated;  task part = tower_t(column t of Z)
//
// Pointers are byte offsets into WASM memory. Buffers returned by forward/backward
// calls belong to the architecture and stay valid until the next call of the same
// method (for the same task).

import type { Parameters } from '../../nn/params.js';
import type { Rng } from '../../nn/rng.js';

export interface ArchitectureContext {
  readonly params: Parameters;
  /** The model's dropout stream. */
  readonly rng: Rng;
  readonly inputSize: number;
  /** One entry per task, in task order; used in parameter names. */
  readonly taskNames: readonly string[];
}

export interface Architecture {
  /** The spec's type, e.g. 'mmoe'. */
  readonly type: string;
  /** Floats per row of Z. */
  readonly sharedSize: number;
  /** Floats per row of each task's representation R_t, in task order. */
  readonly outputSizes: readonly number[];
  /**
   * Names (or name prefixes, as Parameters.freeze takes them) of the shared part's
   * parameters; everything else the architecture declares is task-specific.
   */
  readonly sharedPrefixes: readonly string[];

  /** Declares every parameter in ctx.params (names documented per architecture). Called once. */
  build(ctx: ArchitectureContext): void;
  /** (Re)reserves per-batch buffers for up to maxRows rows. */
  allocate(maxRows: number): void;

  forwardShared(x: number, rows: number, training: boolean): number;
  forwardTask(task: number, x: number, z: number, rows: number, training: boolean): number;
  /**
   * Given dL/dR_t for the last forwardTask(task), overwrites the gradients of the
   * task part's parameters and returns a pointer to dL/dZ from this task (rows × sharedSize).
   */
  backwardTask(task: number, dRep: number, rows: number): number;
  /** Given dL/dZ, overwrites the gradients of the shared part's parameters. */
  backwardShared(dZ: number, rows: number): void;

  /** The JSON spec this architecture was made from (with defaults filled in). */
  config(): Record<string, unknown>;
  dispose(): void;
}
