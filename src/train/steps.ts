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
//   settle     what the step does after its update (FAMO learns from the batch's
//              losses at the new weights). A TrainingDivergedError there puts the
//              kept weights back, as an update that overflowed.
//
// When gradients throws, the weights are those of the last update, which made the
// loss explode: the weights kept before it are put back (with a fresh optimizer
// state, whose moments led there) and the error says so. The first step of a run
// has nothing kept, and leaves the weights as they were given.
//
// What else a step changes and learns from (the weighting strategy's own state:
// uncertainty's log-variances, ExcessMTL's weights…) goes back with the weights: it
// is saved at the start of every step and kept with that step's weights, so the
// weights put back come with the state that went with them, and a step that did
// not happen (gradients threw) leaves the state as it found it. A refit then
// starts where the model stood, not from a state the exploded step pushed out of
// range.

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
  /** After a successful update; TrainingDivergedError puts the kept weights back. */
  settle?(): void;
}

/**
 * What a step changes besides the weights (a weighting strategy's state):
 * `save` copies it (the copy is not changed by later steps), `restore` puts a copy
 * back. `save` may write into `reuse`, a copy it returned before that is no longer
 * needed (or undefined), rather than allocate: a strategy's copy can be as long as
 * the gradients, and a step takes one.
 */
export interface StepState {
  save(reuse: unknown): unknown;
  restore(saved: unknown): void;
  /** TrainingDivergedError (at `step`) if what the last step left cannot serve a next step (end). */
  check?(step: number): void;
}

export class GuardedSteps {
  /** Steps taken (the optimizer's step count); the step a loss belongs to in errors. */
  step = 0;
  /** The divergence rule of the current run, if any (begin). */
  divergence: DivergenceGuard | null = null;
  readonly #who: string;
  readonly #blocks: () => readonly WeightBlock[];
  readonly #resetOptimizer: () => void;
  readonly #state: StepState | null;
  #kept: Float32Array[] = [];
  #keptStep = -1;
  /** #state's copy from the start of the kept step. */
  #keptState: unknown = undefined;
  /** The kept weights before the last keep (what a gradient found not finite by the update goes back to). */
  #before: Float32Array[] = [];
  #beforeStep = -1;
  #beforeState: unknown = undefined;

  /**
   * `who` names the model in the errors ("the model", "the autoencoder"); `blocks`
   * lists its weights; `resetOptimizer` gives it a fresh optimizer state; `state`,
   * what else a step changes, goes back with the weights.
   */
  constructor(who: string, blocks: () => readonly WeightBlock[], resetOptimizer: () => void, state: StepState | null = null) {
    this.#who = who;
    this.#blocks = blocks;
    this.#resetOptimizer = resetOptimizer;
    this.#state = state;
  }

  /** Starts a run (a fit): a divergence will not go back past this point. */
  begin(divergence: DivergenceGuard | null): void {
    this.#keptStep = -1;
    this.divergence = divergence;
  }

  /**
   * Ends a run whose steps all succeeded. What the last step left must serve a
   * next step, as the next step's gradients would find (state.check): if not, the
   * kept weights go back with their state, as for a divergence found by gradients.
   */
  end(): void {
    try {
      this.#state?.check?.(this.step);
    } catch (err) {
      throw this.#diverged(err);
    }
  }

  /** One guarded step; returns what `gradients` returned. */
  run<L>(actions: StepActions<L>): L {
    // #beforeState is not needed any more: #keep below replaces it, and nothing before reads it.
    const start = this.#state?.save(this.#beforeState);
    this.#beforeState = undefined;
    let losses: L;
    try {
      losses = actions.gradients();
    } catch (err) {
      // The weights are as they were; the state may have learned from this step already.
      this.#state?.restore(start);
      throw this.#diverged(err);
    }
    this.#keep(start);
    let updated: boolean;
    try {
      updated = actions.update();
    } catch (err) {
      if (err instanceof TrainingDivergedError) {
        // The gradient, found not finite by the update before it changed anything: as if gradients() had thrown.
        this.#unkeep();
        this.#state?.restore(start);
        throw this.#diverged(err);
      }
      // A worker thread that threw or died during an update run in pieces on the pool: some
      // pieces were applied, others not. The optimizer put its state back (applyUpdates);
      // the weights go back to the copy above, and the step did not happen.
      this.#putBack();
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
    if (actions.settle) {
      // Counted already: what settle runs is keyed by the step after the update (its dropout draws).
      try {
        actions.settle();
      } catch (err) {
        if (!(err instanceof TrainingDivergedError)) throw err;
        this.#restore();
        throw err.withConsequence(`${capitalized(this.#who)} keeps the weights from before this step's update, with a fresh optimizer state`);
      }
    }
    return losses;
  }

  /** Keeps the weights as they are now, and `state` (#state's copy from the start of this step); the previous kept copy becomes #before. */
  #keep(state: unknown): void {
    [this.#before, this.#kept] = [this.#kept, this.#before];
    this.#beforeStep = this.#keptStep;
    this.#beforeState = this.#keptState;
    const heap = heapF32();
    this.#blocks().forEach((b, i) => {
      if (this.#kept[i]?.length !== b.size) this.#kept[i] = new Float32Array(b.size);
      this.#kept[i]!.set(heap.subarray(b.params >>> 2, (b.params >>> 2) + b.size));
    });
    this.#keptStep = this.step;
    this.#keptState = state;
  }

  /** Undoes the last #keep: the kept copy is the one before it again. */
  #unkeep(): void {
    [this.#before, this.#kept] = [this.#kept, this.#before];
    this.#keptStep = this.#beforeStep;
    this.#keptState = this.#beforeState;
    this.#beforeStep = -1;
    this.#beforeState = undefined;
  }

  /** A divergence found before the update: back to the kept weights (if any) and the error says so; any other error as it is. */
  #diverged(err: unknown): unknown {
    if (!(err instanceof TrainingDivergedError) || this.#keptStep < 0) return err;
    const kept = this.#keptStep;
    this.#restore();
    return err.withConsequence(`${capitalized(this.#who)} is back to its last good weights, those of step ${kept} (before the update that led here), with a fresh optimizer state`);
  }

  #restore(): void {
    this.#putBack();
    this.step = this.#keptStep;
    this.#keptStep = -1;
    this.#keptState = undefined;
    this.#resetOptimizer();
  }

  /** The kept weights and the state that went with them. */
  #putBack(): void {
    const heap = heapF32();
    this.#blocks().forEach((b, i) => heap.set(this.#kept[i]!, b.params >>> 2));
    this.#state?.restore(this.#keptState);
  }
}

const capitalized = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
