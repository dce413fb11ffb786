/**
 * Warnings: a result manytask can stand behind but that is probably not what the
 * caller meant (scikit-learn's ConvergenceWarning and RuntimeWarning) — fewer
 * distinct clusters than asked for, an explicit initialization run once although
 * nInit asked for more, EM that stopped at maxIter. Errors stop; warnings go to one
 * handler, which by default writes them with console.warn.
 *
 *   setWarningHandler('ignore');                 // silence them
 *   setWarningHandler('error');                  // throw them (a ManytaskWarning is an Error)
 *   setWarningHandler((w) => log.push(w.code));  // route them
 *   const { result, warnings } = captureWarnings(() => km.fit(points));  // collect one call's
 *
 * The handler is global to the module instance (like Python's warnings filters);
 * every warning is delivered synchronously, while the call that raised it runs.
 */

import { ArgumentError } from './errors.js';
import { show } from './validate.js';

export type WarningCode =
  /** A clustering found fewer distinct clusters than it was asked for (duplicate points, or a centre left empty). */
  | 'W_FEWER_CLUSTERS'
  /** Explicit initial centres with nInit > 1: one run, as more could only repeat it. */
  | 'W_INIT_RUNS_ONCE'
  /** An iterative fit stopped at maxIter before meeting its tolerance. */
  | 'W_NOT_CONVERGED';

export class ManytaskWarning extends Error {
  readonly code: WarningCode;
  /** The call that raised it, as in error messages: 'KMeans.fit'. */
  readonly where: string;
  constructor(code: WarningCode, where: string, message: string) {
    super(`${where}: ${message}`);
    this.code = code;
    this.where = where;
    this.name = new.target.name;
  }
}

/** A fit whose result may not be what was asked for (scikit-learn's ConvergenceWarning). */
export class ConvergenceWarning extends ManytaskWarning {}

export type WarningHandler = (warning: ManytaskWarning) => void;
export type WarningAction = WarningHandler | 'console' | 'ignore' | 'error';

const toConsole: WarningHandler = (w) => console.warn(`${w.name} [${w.code}] ${w.message}`);
let handler: WarningHandler = toConsole;

function resolve(action: WarningAction): WarningHandler {
  if (typeof action === 'function') return action;
  if (action === 'console') return toConsole;
  if (action === 'ignore') return () => {};
  if (action === 'error') return (w) => { throw w; };
  throw new ArgumentError(`setWarningHandler: expected a function, "console", "ignore" or "error", got ${show(action)}`);
}

/** Routes every later warning to `action`; returns the handler it replaces (pass it back to restore). */
export function setWarningHandler(action: WarningAction): WarningHandler {
  const previous = handler;
  handler = resolve(action);
  return previous;
}

/**
 * Runs `fn` with warnings collected instead of handled, then restores the
 * handler (also when `fn` throws). Synchronous functions only: a warning raised
 * after `fn` returns goes to the handler in place then.
 */
export function captureWarnings<T>(fn: () => T): { result: T; warnings: ManytaskWarning[] } {
  const warnings: ManytaskWarning[] = [];
  const previous = setWarningHandler((w) => { warnings.push(w); });
  try {
    return { result: fn(), warnings };
  } finally {
    handler = previous;
  }
}

/** Delivers a warning to the current handler (which may throw it). */
export function warn(warning: ManytaskWarning): void {
  handler(warning);
}
