/**
 * Every error manytask throws is a ManytaskError with a stable `code`, so callers
 * can branch on `err.code` (or `instanceof` a subclass) instead of parsing messages.
 */
export type ErrorCode =
  | 'E_INIT'
  | 'E_NOT_INITIALIZED'
  | 'E_SHAPE'
  | 'E_ARGUMENT'
  | 'E_DISPOSED'
  | 'E_OUT_OF_MEMORY'
  | 'E_WASM_TRAP'
  | 'E_DIVERGED'
  | 'E_MODEL_FORMAT'
  | 'E_NOT_FINITE'
  | 'E_THREAD'
  | 'E_FEDERATED';

export class ManytaskError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The WASM module could not be found, fetched, compiled or instantiated. */
export class InitError extends ManytaskError {
  constructor(message: string, options?: { cause?: unknown }) { super('E_INIT', message, options); }
}

/** A function that needs the kernels was called before `await init()`. */
export class NotInitializedError extends ManytaskError {
  constructor(what: string) {
    super('E_NOT_INITIALIZED', `${what}: manytask is not initialized; call \`await init()\` first`);
  }
}

/** Dimensions that do not fit together, or are not positive integers. */
export class ShapeError extends ManytaskError {
  constructor(message: string) { super('E_SHAPE', message); }
}

/** An argument of the wrong type or value (non-finite number, unknown option…). */
export class ArgumentError extends ManytaskError {
  constructor(message: string) { super('E_ARGUMENT', message); }
}

/** An object was used after `dispose()`. */
export class DisposedError extends ManytaskError {
  constructor(what: string) { super('E_DISPOSED', `${what} was used after dispose()`); }
}

/** WASM linear memory could not grow to satisfy an allocation. */
export class OutOfMemoryError extends ManytaskError {
  constructor(message: string) { super('E_OUT_OF_MEMORY', message); }
}

/** A kernel trapped (out-of-bounds access, unreachable…): a bug in manytask, never a silent wrong result. */
export class WasmTrapError extends ManytaskError {
  constructor(kernel: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super('E_WASM_TRAP', `kernel ${kernel} trapped: ${detail}. This is a bug in manytask; please report it with the inputs that caused it.`, { cause });
  }
}

/**
 * Training stopped because a loss, a gradient or an update became NaN or infinite,
 * or because a loss exploded: rose above the divergence limit of the run (see
 * src/train/divergence.ts; then `limit` is that limit and `value` the loss).
 * `task` names the task ('' at the level of a bare Network and optimizer); `step`
 * is the optimizer step at which it was found. What happened to the weights is
 * said in the message: the trainers (MultiTaskModel.fit, AutoEncoder.fit) put back
 * their last good weights.
 */
export class TrainingDivergedError extends ManytaskError {
  readonly task: string;
  readonly step: number;
  /** What diverged: 'the loss', 'the gradient', 'the update', … */
  readonly what: string;
  /** The exploded loss (NaN when something was not finite). */
  readonly value: number;
  /** The divergence limit it rose above (NaN when something was not finite). */
  readonly limit: number;
  /**
   * `problem` replaces "is not finite" (a weight that vanishes in float32 is finite, and as
   * unusable); `advice` what to do (default: lower the learning rate or clip gradients).
   */
  constructor(
    task: string, step: number, what: string, consequence?: string, exploded?: { value: number; limit: number; rule: string }, problem?: string,
    advice = 'lower the learning rate or clip gradients (globalClipNorm)',
  ) {
    const subject = task === '' ? what : `${what} of task "${task}"`;
    const stated = problem ?? (exploded === undefined
      ? 'is not finite'
      : `is ${exploded.value.toPrecision(3)}, above its divergence limit ${exploded.limit.toPrecision(3)} (${exploded.rule})`);
    super('E_DIVERGED', `training diverged at step ${step}: ${subject} ${stated}. ` +
      (consequence ?? 'The weights were not updated') + `; ${advice}.`);
    this.task = task;
    this.step = step;
    this.what = what;
    this.value = exploded?.value ?? NaN;
    this.limit = exploded?.limit ?? NaN;
    this.#rule = exploded?.rule ?? '';
    this.#problem = problem;
    this.#consequence = consequence;
    this.#advice = advice;
  }

  readonly #rule: string;
  readonly #problem: string | undefined;
  readonly #consequence: string | undefined;
  readonly #advice: string;

  /** The same divergence, saying what the trainer did with the weights. */
  withConsequence(consequence: string): TrainingDivergedError {
    return this.#again(consequence, this.#advice);
  }

  /** The same divergence with other advice (an adversarial batch's: its epsilon). */
  withAdvice(advice: string): TrainingDivergedError {
    return this.#again(this.#consequence, advice);
  }

  #again(consequence: string | undefined, advice: string): TrainingDivergedError {
    const exploded = Number.isNaN(this.limit) ? undefined : { value: this.value, limit: this.limit, rule: this.#rule };
    return new TrainingDivergedError(this.task, this.step, this.what, consequence, exploded, this.#problem, advice);
  }
}

/** Why a prediction is not finite, and what to do (NonFinitePredictionError's default). */
const NETWORK_OVERFLOW =
  'a value of the row (far outside the data the model was trained on) or a weight of the model overflows float32 in the network. ' +
  'predict(rows, { maxDeviation }) refuses rows too far from the training data, naming the column';

/**
 * A prediction came out NaN or ±Infinity: a value of the row, or a weight of the
 * model, is beyond what float32 carries through the network. `task` and `row`
 * (0-based, in the input) say where; predict returns nothing rather than a
 * number that means nothing. `why` replaces the message's explanation.
 */
export class NonFinitePredictionError extends ManytaskError {
  readonly task: string;
  readonly row: number;
  constructor(where: string, task: string, row: number, value: number, why = NETWORK_OVERFLOW) {
    super('E_NOT_FINITE', `${where}: task "${task}", row ${row}: the prediction is ${value}, not a finite number: ${why}`);
    this.task = task;
    this.row = row;
  }
}

/**
 * A worker thread failed: a task threw, or the worker stopped while it held a
 * task (the call's results are then incomplete). The pool carries on with the
 * threads it has left, and starts a replacement.
 */
export class ThreadError extends ManytaskError {
  constructor(message: string, options?: { cause?: unknown }) { super('E_THREAD', message, options); }
}
