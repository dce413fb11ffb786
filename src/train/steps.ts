// One optimizer step that cannot leave a model broken, shared by every model that
// trains (MultiTaskModel's core, AutoEncoder):
//
//   gradients  forward, losses, backward. A non-finite loss or gradient, or a loss
//              that breaks the run's divergence rule (divergence.ts), throws
//              TrainingDivergedError before anything is updated.
//   keep       the weights as they are now: their loss and gradient were good.
//   update     the optimizer's step. An update that overflows float32 puts the
//              kept weights back and throws. An update may also be where the
//              gradient is found not finite (core.ts sums and scans the shards'
//              gradients inside the update's job): it then throws
//              TrainingDivergedError having updated nothing, and that is handled
//              as if gradients had thrown it. An update that throws anything else
//              (a worker thread that died or threw while the update ran in pieces
//              on the pool) puts the kept weights back, the optimizer its own
//              state (applyUpdates), and the error goes on: the step did not happen.
//
// When gradients throws, the weights are those of the last update, which made the
// loss explode: the weights kept before it are put back (with a fresh optimizer
// state, whose moments led there) and the error says so. The first step of a run
// has nothing kept, and leaves the weights as they were given.

import { TrainingDivergedError } from '../runtime/errors.js';
import { heapF32 } from '../runtime/module.js';
import type { DivergenceGuard } from './divergence.js';

/** Floats in WASM memory: `size` of them at byte offset `params` (a Parameters block). */
export interface WeightBlock {
  readonly params: number;
  readonly size: number;
}

/** What one step of a model does; see the top of this file. */
export interface StepActions<L> {
  /** Forward, losses and backward; throws TrainingDivergedError as above. */
  gradients(): L;
  /** The optimizer's update; false when it overflowed float32. TrainingDivergedError: the gradient was not finite, and nothing was updated. */
  update(): boolean;
  /** The task to name when the update overflowed. */
  overflowed(): string;
}

export class GuardedSteps {
  /** Steps taken (the optimizer's step count); the step a loss belongs to in errors. */
  step = 0;
  /** The divergence rule of the current run, if any (begin). */
  divergence: DivergenceGuard | null = null;
  readonly #who: string;
  readonly #blocks: () => readonly WeightBlock[];
  readonly #resetOptimizer: () => void;
  #kept: Float32Array[] = [];
  #keptStep = -1;
  /** The kept weights before the last keep (what a gradient found not finite by the update goes back to). */
  #before: Float32Array[] = [];
  #beforeStep = -1;

  /**
   * `who` names the model in the errors ("the model", "the autoencoder"); `blocks`
   * lists its weights; `resetOptimizer` gives it a fresh optimizer state.
   */
  constructor(who: string, blocks: () => readonly WeightBlock[], resetOptimizer: () => void) {
    this.#who = who;
    this.#blocks = blocks;
    this.#resetOptimizer = resetOptimizer;
  }

  /** Starts a run (a fit): a divergence will not go back past this point. */
  begin(divergence: DivergenceGuard | null): void {
    this.#keptStep = -1;
    this.divergence = divergence;
  }

  /** One guarded step; returns what `gradients` returned. */
  run<L>(actions: StepActions<L>): L {
    let losses: L;
    try {
      losses = actions.gradients();
    } catch (err) {
      throw this.#diverged(err);
    }
    this.#keep();
    let updated: boolean;
    try {
      updated = actions.update();
    } catch (err) {
      if (err instanceof TrainingDivergedError) {
        // The gradient, found not finite by the update before it changed anything: as if gradients() had thrown.
        this.#unkeep();
        throw this.#diverged(err);
      }
      // A worker thread that threw or died during an update run in pieces on the pool: some
      // pieces were applied, others not. The optimizer put its state back (applyUpdates);
      // the weights go back to the copy above, and the step did not happen.
      this.#putBackWeights();
      this.#unkeep();
      throw err;
    }
    if (!updated) {
      const task = actions.overflowed();
      this.#restore();
      throw new TrainingDivergedError(task, this.step, 'the update',
        `The update overflowed float32; ${this.#who} keeps the weights from before it, with a fresh optimizer state`);
    }
    this.step++;
    return losses;
  }

  /** Keeps the weights as they are now; the previous kept copy becomes #before. */
  #keep(): void {
    [this.#before, this.#kept] = [this.#kept, this.#before];
    this.#beforeStep = this.#keptStep;
    const heap = heapF32();
    this.#blocks().forEach((b, i) => {
      if (this.#kept[i]?.length !== b.size) this.#kept[i] = new Float32Array(b.size);
      this.#kept[i]!.set(heap.subarray(b.params >>> 2, (b.params >>> 2) + b.size));
    });
    this.#keptStep = this.step;
  }

  /** Undoes the last #keep: the kept copy is the one before it again. */
  #unkeep(): void {
    [this.#before, this.#kept] = [this.#kept, this.#before];
    this.#keptStep = this.#beforeStep;
    this.#beforeStep = -1;
  }

  /** A divergence found before the update: back to the kept weights (if any) and the error says so; any other error as it is. */
  #diverged(err: unknown): unknown {
    if (!(err instanceof TrainingDivergedError) || this.#keptStep < 0) return err;
    const kept = this.#keptStep;
    this.#restore();
    return err.withConsequence(`${capitalized(this.#who)} is back to its last good weights, those of step ${kept} (before the update that led here), with a fresh optimizer state`);
  }

  #restore(): void {
    this.#putBackWeights();
    this.step = this.#keptStep;
    this.#keptStep = -1;
    this.#resetOptimizer();
  }

  #putBackWeights(): void {
    const heap = heapF32();
    this.#blocks().forEach((b, i) => heap.set(this.#kept[i]!, b.params >>> 2));
  }
}

const capitalized = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
