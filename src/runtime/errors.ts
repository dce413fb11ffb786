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
  | 'E_THREAD';

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
 * Training stopped because a loss, a gradient or an update became NaN or infinite.
 * `task` names the task ('' at the level of a bare Network and optimizer); `step` is
 * the optimizer step at which it was found. What happened to the weights is said in
 * the message: the trainers (MultiTaskModel.fit, AutoEncoder.fit) put back their last
 * good weights.
 */
export class TrainingDivergedError extends ManytaskError {
  readonly task: string;
  readonly step: number;
  /** What was not finite: 'the loss', 'the gradient', 'the update', … */
  readonly what: string;
  constructor(task: string, step: number, what: string, consequence?: string) {
    const subject = task === '' ? what : `${what} of task "${task}"`;
    super('E_DIVERGED', `training diverged at step ${step}: ${subject} is not finite. ` +
      (consequence ?? 'The weights were not updated') + '; lower the learning rate or clip gradients (globalClipNorm).');
    this.task = task;
    this.step = step;
    this.what = what;
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
