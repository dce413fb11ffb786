// Column-type inference: what each column of a CSV would be as a feature, by
// one rule shared by the CLI and the browser example.
//
// A cell is missing when, trimmed, it is empty or one of the naValues
// (DEFAULT_NA_VALUES unless given). Over the present cells of a column:
//
//   numeric      every present cell is a number by the strict rule (values.ts)
//   categorical  text with few distinct values: one-hot encoded
//   ignored      left out of the features, with a note saying why:
//                - every cell is missing;
//                - every present cell is an ISO date or date-time (2024-01-31,
//                  2024-01-31T12:00): there are no date features, and one-hot
//                  dates learn nothing that carries to new dates;
//                - text with a different value on most rows (more distinct
//                  values than half the present cells): an id, a name, free
//                  text — one-hot would give a feature per row that no new row
//                  matches;
//                - text with more than MAX_LEVELS distinct values, too many to
//                  one-hot.
//
// The result is plain data (it crosses postMessage to a page), and a spec for
// Dataset.fromCSV is one step away: `{ [name]: type }` for every column that is
// not ignored and not a target.

import { ArgumentError } from '../runtime/errors.js';
import { checkKeys, checkOptionsObject, show } from '../runtime/validate.js';
import type { ParsedCsv } from './csv.js';
import { resolveNaValues } from './spec.js';
import { INVALID, parseNumberText, sortLabels } from './values.js';

export interface InferredColumn {
  readonly name: string;
  /** What the column is as a feature; see `note` for why a column is ignored. */
  readonly type: 'numeric' | 'categorical' | 'ignored';
  /** Every present cell is a number (also for an ignored column: none is, when every cell is missing). */
  readonly numeric: boolean;
  /** Cells that are empty or one of the naValues. */
  readonly missing: number;
  /** Distinct present values (as trimmed text). */
  readonly distinct: number;
  /** The distinct values in sortLabels order, when there are at most MAX_LEVELS of them; else null. */
  readonly levels: readonly string[] | null;
  /** The first present value, as written (trimmed); '' when every cell is missing. */
  readonly example: string;
  /** Why the column is ignored: a sentence for the user. Absent unless type is 'ignored'. */
  readonly note?: string;
}

export interface InferredSchema {
  /** Data rows (the header not counted). */
  readonly rows: number;
  /** The delimiter the CSV was read with. */
  readonly delimiter: string;
  /** The texts read as missing besides the empty cell. */
  readonly naValues: readonly string[];
  /** One entry per header column, in header order. */
  readonly columns: readonly InferredColumn[];
}

export interface InferOptions {
  /** Texts that mean "missing" besides the empty cell; default DEFAULT_NA_VALUES (as Dataset). */
  naValues?: readonly string[];
}

/** A column with more distinct text values than this is not one-hot encoded by default. */
export const MAX_LEVELS = 100;

// ISO 8601 dates and date-times, the forms CSV exports write.
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** Infers each column's feature type from a parsed CSV (see the top of src/data/schema.ts for the rule). */
export function inferSchema(csv: ParsedCsv, options?: InferOptions): InferredSchema {
  const where = 'inferSchema';
  if (typeof csv !== 'object' || csv === null || !Array.isArray(csv.header) || !Array.isArray(csv.rows)) {
    throw new ArgumentError(`${where}: give the result of parseCSV, got ${show(csv)}`);
  }
  const opts = checkOptionsObject(where, options);
  checkKeys(where, opts, ['naValues']);
  const naValues = resolveNaValues(where, opts.naValues);
  const na = new Set(naValues);
  const rows = csv.rows;
  const columns = csv.header.map((name, c): InferredColumn => {
    let missing = 0;
    let numeric = true;
    let dates = true;
    let example = '';
    const distinct = new Set<string>();
    for (const row of rows) {
      const v = (row[c] ?? '').trim();
      if (v === '' || na.has(v)) { missing++; continue; }
      if (example === '') example = v;
      distinct.add(v);
      if (numeric && parseNumberText(v, []) === INVALID) numeric = false;
      if (dates && !ISO_DATE.test(v)) dates = false;
    }
    const present = rows.length - missing;
    const levels = distinct.size <= MAX_LEVELS ? sortLabels(distinct) : null;
    const base = { name, numeric: numeric && present > 0, missing, distinct: distinct.size, levels, example };
    if (present === 0) return { ...base, type: 'ignored', note: `every cell is missing (empty${naValues.length ? ` or ${naValues.join(', ')}` : ''})` };
    if (numeric) return { ...base, type: 'numeric' };
    if (dates) {
      return { ...base, type: 'ignored', note: `dates (e.g. ${example}): there are no date features; derive a number from them (a year, a day of the week), or use them as categories` };
    }
    if (distinct.size * 2 > present) {
      return { ...base, type: 'ignored', note: `text with a different value on most rows (${distinct.size} distinct in ${present}): an id, a name or free text, which one-hot encoding cannot carry to new rows` };
    }
    if (distinct.size > MAX_LEVELS) {
      return { ...base, type: 'ignored', note: `text with ${distinct.size} distinct values, more than the ${MAX_LEVELS} one-hot encoding takes by default` };
    }
    return { ...base, type: 'categorical' };
  });
  return { rows: rows.length, delimiter: csv.delimiter ?? ',', naValues, columns };
}
