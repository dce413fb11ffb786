// Errors of the data layer. They extend ArgumentError (code 'E_ARGUMENT'): bad
// data is a bad argument, so `err.code` branches keep working; the subclasses add
// where the problem is as properties, besides naming it in the message.

import { ArgumentError } from '../runtime/errors.js';
import { show } from '../runtime/validate.js';

/** Malformed CSV text: an unterminated quote, a row with the wrong number of fields… */
export class CsvError extends ArgumentError {
  /** 1-based line of the text where the problem is (for a record, the line it starts on). */
  readonly line: number;
  constructor(message: string, line: number) {
    super(message);
    this.line = line;
  }
}

/** Where in the data a DataError is. Every field is optional: absent means not applicable. */
export interface DataErrorLocation {
  /** The column (feature or target) at fault. */
  column?: string;
  /** 0-based index of the row in the input (the array, the columns, the Dataset). */
  rowIndex?: number;
  /** 1-based line of the CSV text the row came from, when it came from one. */
  line?: number;
  /** The offending value, as text. */
  value?: string;
}

/**
 * A value the data layer cannot use: text in a numeric column, a label outside a
 * target's classes, a feature key missing from a row, a target with no labels…
 */
export class DataError extends ArgumentError {
  readonly column: string | undefined;
  readonly rowIndex: number | undefined;
  readonly line: number | undefined;
  readonly value: string | undefined;
  constructor(message: string, location: DataErrorLocation = {}) {
    super(message);
    this.column = location.column;
    this.rowIndex = location.rowIndex;
    this.line = location.line;
    this.value = location.value;
  }
}

/**
 * A label that is not one of a trained model's classes for its task: labels of
 * data given to a model are matched to the model's classes by name, and a name
 * the model does not know has no output to go to. `column` is the task (the
 * target column), `value` the class, `rowIndex` (and `line`) the row.
 */
export class UnknownClassError extends DataError {
  /** The task whose classes the label is not among. */
  readonly task: string;
  /** The model's classes (or labels, for a multilabel task), in output order. */
  readonly known: readonly string[];
  constructor(message: string, location: DataErrorLocation & { column: string }, known: readonly string[]) {
    super(message, location);
    this.task = location.column;
    this.known = known;
  }
}

/** A categorical value at transform time that the Preprocessor did not see when fitted. */
export class UnknownCategoryError extends DataError {
  /** The categories the Preprocessor knows for the column. */
  readonly known: readonly string[];
  constructor(message: string, location: DataErrorLocation, known: readonly string[]) {
    super(message, location);
    this.known = known;
  }
}

/**
 * A numeric value further from the data a model was trained on than the caller
 * allows (predict's `maxDeviation`), counted in standard deviations of the
 * column's training statistics: a row the model knows nothing about.
 */
export class OutOfRangeError extends DataError {
  /** How many standard deviations the value is from the column's training mean (signed; ±Infinity for a column constant in training). */
  readonly deviations: number;
  /** The maxDeviation it was checked against. */
  readonly limit: number;
  constructor(where: string, place: string, column: { name: string; mean: number; std: number; constant?: number }, x: number, deviations: number, limit: number, location: DataErrorLocation) {
    const only = column.constant;
    super(`${where}: column ${show(column.name)}, ${place}: the value ${x} is ` + (only === undefined
      ? `${Math.abs(deviations).toPrecision(3)} standard deviations from the training mean ${column.mean.toPrecision(6)} (std ${column.std.toPrecision(3)}), beyond maxDeviation ${limit}: ` +
        'too far outside the data the model was trained on for its prediction to mean anything'
      : `not ${only}, the column's only value in training: maxDeviation refuses any other`), location);
    // A constant column's std was 0: any other value is infinitely many from its mean.
    this.deviations = only === undefined ? deviations : x > only ? Infinity : -Infinity;
    this.limit = limit;
  }
}

/** Reads predict's `maxDeviation` option: a number > 0 (Infinity: no limit); undefined: no limit. */
export function checkMaxDeviation(where: string, value: unknown): number {
  if (value === undefined) return Infinity;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new ArgumentError(`${where}: maxDeviation must be a number of standard deviations > 0, got ${show(value)}`);
  }
  return value;
}
