// Column-type inference: what each column of a CSV would be as a feature, by
// one rule shared by the CLI and the browser example.
//
// A cell is missing when, trimmed, it is empty or one of the naValues
// (DEFAULT_NA_VALUES unless given). Over the present cells of a column:
//
//   numeric      every present cell is a number by the strict rule (values.ts)
//   categorical  text with few distinct values: one-hot encoded
//   ignored      left out of the features, with a note saying why:
//                - the header gives it no name (pandas' to_csv writes its
//                  index so): a model's columns need names;
//                - every cell is missing;
//                - a row number: integers, one more on each row than on the
//                  row before (1, 2, 3 … or 0, 1, 2 …), no cell missing, at
//                  least MIN_ID_ROWS rows: an id (pandas' index, penguin_id).
//                  It predicts nothing about a new row, and on a file sorted
//                  by a label it gives that label away. A column of counts,
//                  years or measurements that happens to rise by exactly one
//                  on every row is left out too; the note says so;
//                - numbers but for a few cells (at most 1 in 20 of the present
//                  cells) that are not: a typo, a unit, a thousands separator,
//                  an overflow. The note names those cells and their lines; as
//                  text the column would be one-hot numbers or left out as an
//                  id, and as numbers it cannot be read until they are fixed;
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
  /** Present cells that are numbers by the strict rule. */
  readonly numbers: number;
  /** Present cells that are not numbers by the strict rule (0 when `numeric`). */
  readonly notNumbers: number;
  /** The first of those cells (at most NOT_NUMBER_CELLS), in file order: what they hold and where. */
  readonly notNumberCells: readonly InferredCell[];
  /** Why the column is ignored: a sentence for the user. Absent unless type is 'ignored'. */
  readonly note?: string;
}

/** A cell of a parsed CSV. */
export interface InferredCell {
  /** The cell's text, trimmed. */
  readonly value: string;
  /** 0-based index of its row in ParsedCsv.rows. */
  readonly row: number;
  /** 1-based line of the CSV text its row starts on (ParsedCsv.lines); absent when the ParsedCsv has no lines. */
  readonly line?: number;
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

/** A column of integers counting up by one from its first row is left out as a row number from this many rows on. */
export const MIN_ID_ROWS = 20;

/** How many of a column's cells that are not numbers InferredColumn.notNumberCells keeps. */
export const NOT_NUMBER_CELLS = 3;

/** The strict rule (values.ts) in words, for messages about a cell that is not a number. */
export const NUMBER_FORM = 'a number is written as 42, -0.5 or 1e3, within ±1.8e308, without thousands separators, a decimal comma or a unit';

/**
 * A column of numbers but for a few cells (at most 1 in 20 of its present cells) that are not
 * numbers: more likely a column of numbers with mistakes in it than one of text.
 */
export function numbersButFew(col: Pick<InferredColumn, 'numbers' | 'notNumbers'>): boolean {
  return col.notNumbers > 0 && col.notNumbers * 19 <= col.numbers;
}

/** "row 5 (line 6)": a cell's row (1-based, as Dataset messages count them) and line. */
export function cellPlace(cell: InferredCell): string {
  return `row ${cell.row + 1}${cell.line !== undefined ? ` (line ${cell.line})` : ''}`;
}

/** '"1e400" (line 6), "x" (line 9), …': cells that are not numbers, with their lines (or rows). */
export function listCells(cells: readonly InferredCell[], count: number): string {
  const shown = cells.map((c) => `${JSON.stringify(c.value)} (${c.line !== undefined ? `line ${c.line}` : `row ${c.row + 1}`})`);
  return `${shown.join(', ')}${count > cells.length ? `, … (${count - cells.length} more)` : ''}`;
}

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
  const lines: unknown = csv.lines;
  const lineOf = (r: number): number | undefined => (Array.isArray(lines) && typeof lines[r] === 'number' ? lines[r] as number : undefined);
  const columns = csv.header.map((name, c): InferredColumn => {
    let missing = 0;
    let numbers = 0;
    let notNumbers = 0;
    const notNumberCells: InferredCell[] = [];
    let dates = true;
    let example = '';
    // Whether every cell so far is the integer first + r (a row number).
    let first = NaN;
    let counts = true;
    const distinct = new Set<string>();
    for (let r = 0; r < rows.length; r++) {
      const v = (rows[r]![c] ?? '').trim();
      if (v === '' || na.has(v)) { missing++; counts = false; continue; }
      if (example === '') example = v;
      distinct.add(v);
      const x = parseNumberText(v, []);
      if (x !== INVALID) {
        numbers++;
        if (r === 0) first = x;
        if (counts && !(Number.isSafeInteger(x) && x === first + r)) counts = false;
      } else if (notNumbers++ < NOT_NUMBER_CELLS) {
        const line = lineOf(r);
        notNumberCells.push(line !== undefined ? { value: v, row: r, line } : { value: v, row: r });
      }
      if (dates && !ISO_DATE.test(v)) dates = false;
    }
    const present = rows.length - missing;
    const numeric = notNumbers === 0;
    const levels = distinct.size <= MAX_LEVELS ? sortLabels(distinct) : null;
    const base = { name, numeric: numeric && present > 0, missing, distinct: distinct.size, levels, example, numbers, notNumbers, notNumberCells };
    if (name === '') return { ...base, type: 'ignored', note: 'no name in the header (pandas writes its index so): name it to use it' };
    if (present === 0) return { ...base, type: 'ignored', note: `every cell is missing (empty${naValues.length ? ` or ${naValues.join(', ')}` : ''})` };
    if (numeric && counts && rows.length >= MIN_ID_ROWS) {
      return { ...base, type: 'ignored', note: `a row number (${first} … ${first + rows.length - 1}, one more on each row): an id, which tells a model only the file's order` };
    }
    if (numeric) return { ...base, type: 'numeric' };
    if (numbersButFew(base)) {
      const them = notNumbers > 1 ? 'them' : 'it';
      return {
        ...base, type: 'ignored',
        note: `numbers but for ${notNumbers} cell${notNumbers > 1 ? 's' : ''}: ${listCells(notNumberCells, notNumbers)}; ` +
          `correct ${them} or empty ${them} (missing), and the column is numeric (${NUMBER_FORM})`,
      };
    }
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
