// Early stopping as Keras's callback does it: watch one logged value per epoch,
// stop after `patience` epochs without an improvement of more than `minDelta`,
// and remember the best epoch (whose weights the caller may put back).

export interface EarlyStoppingRule {
  /** The logged value watched (the caller reads it: 'val_loss', 'loss', …). */
  readonly monitor: string;
  /** Epochs without improvement before stopping (0 acts as 1, as Keras). */
  readonly patience: number;
  /** Smallest change that counts as an improvement, ≥ 0. */
  readonly minDelta: number;
  readonly mode: 'min' | 'max';
  /** Put back the best epoch's weights when training ends (the caller does it). */
  readonly restoreBestWeights: boolean;
}

export class EarlyStopping {
  readonly rule: EarlyStoppingRule;
  /** The best epoch so far; −1 before the first. */
  bestEpoch = -1;
  #best: number;
  #wait = 0;

  constructor(rule: EarlyStoppingRule) {
    this.rule = rule;
    this.#best = rule.mode === 'max' ? -Infinity : Infinity;
  }

  /**
   * Records an epoch's value: 'improved' (the first epoch always is; a non-finite
   * value never becomes the best to beat), 'waiting', or 'stop'.
   */
  update(value: number, epoch: number): 'improved' | 'waiting' | 'stop' {
    const { mode, minDelta, patience } = this.rule;
    const improved = mode === 'min' ? value < this.#best - minDelta : value > this.#best + minDelta;
    if (improved || this.bestEpoch < 0) {
      if (Number.isFinite(value)) this.#best = value;
      this.bestEpoch = epoch;
      this.#wait = 0;
      return 'improved';
    }
    return ++this.#wait >= Math.max(patience, 1) ? 'stop' : 'waiting';
  }
}
