// An RFC 4180 CSV parser.
//
//  - Records end at CRLF, LF or a lone CR; the last record may lack a line end.
//  - A field that starts with `"` is quoted: it may hold the delimiter, line
//    breaks and `""` (one escaped quote); after its closing quote comes the
//    delimiter, a line end or the end of the text — anything else is an error.
//  - A `"` inside an unquoted field is an error (RFC 4180 forbids it; quote the
//    field and double the quote).
//  - A leading byte-order mark (U+FEFF) is dropped.
//  - The first record is the header; every later record must have as many
//    fields as the header. Completely empty lines are skipped (they are not
//    records of one empty field).
//  - Fields are returned exactly as written: no trimming, no type guessing
//    (the Dataset interprets them per column).
//  - Line numbers in errors and in `lines` are 1-based physical lines of the
//    text, counting line breaks inside quoted fields; a record's line is the line
//    it starts on.

import { ArgumentError } from '../runtime/errors.js';
import { checkKeys, checkOptionsObject, show } from '../runtime/validate.js';
import { CsvError } from './errors.js';

export interface CsvOptions {
  /** One character, not `"`, CR or LF. Default `,`. */
  delimiter?: string;
}

export interface ParsedCsv {
  /** The first record. */
  header: string[];
  /** Every later record, each with header.length fields. */
  rows: string[][];
  /** lines[i]: the 1-based line of the text that rows[i] starts on. */
  lines: number[];
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Validates and returns the delimiter option (default `,`). */
export function checkDelimiter(where: string, delimiter: unknown): string {
  if (delimiter === undefined) return ',';
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
    throw new ArgumentError(`${where}: delimiter must be one character other than '"', CR and LF, got ${show(delimiter)}`);
  }
  return delimiter;
}

/** Parses CSV text with a header row; see the top of src/data/csv.ts for the rules. */
export function parseCSV(text: string, options?: CsvOptions): ParsedCsv {
  const where = 'parseCSV';
  const opts = checkOptionsObject(where, options);
  checkKeys(where, opts, ['delimiter']);
  return parseCsvText(where, text, checkDelimiter(where, opts.delimiter));
}

export function parseCsvText(where: string, text: unknown, delimiter: string): ParsedCsv {
  if (typeof text !== 'string') throw new ArgumentError(`${where}: the CSV text must be a string, got ${show(text)}`);
  const delim = delimiter.charCodeAt(0);
  const n = text.length;
  let i = n > 0 && text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let header: string[] | null = null;
  const rows: string[][] = [];
  const lines: number[] = [];

  while (i < n) {
    const first = text.charCodeAt(i);
    if (first === LF || first === CR) { // an empty line
      i += first === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
      continue;
    }
    const recordLine = line;
    const fields: string[] = [];
    for (;;) {
      let c: number;
      if (i < n && text.charCodeAt(i) === QUOTE) {
        const quoteLine = line;
        i++;
        let value = '';
        let chunk = i;
        for (;;) {
          if (i >= n) {
            throw new CsvError(`${where}: line ${quoteLine}: unterminated quoted field (field ${fields.length + 1} opens a quote that is never closed)`, quoteLine);
          }
          c = text.charCodeAt(i);
          if (c === QUOTE) {
            if (text.charCodeAt(i + 1) === QUOTE) { // "" is one quote
              value += text.slice(chunk, i + 1);
              i += 2;
              chunk = i;
              continue;
            }
            value += text.slice(chunk, i);
            i++;
            break;
          }
          if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) line++;
          i++;
        }
        fields.push(value);
        if (i >= n) break;
        c = text.charCodeAt(i);
        if (c !== delim && c !== LF && c !== CR) {
          throw new CsvError(
            `${where}: line ${line}: unexpected ${show(text[i])} after the closing quote of field ${fields.length} ` +
            `(a quoted field must be followed by the delimiter ${show(delimiter)} or the end of the line)`, line);
        }
      } else {
        const start = i;
        c = -1;
        while (i < n) {
          c = text.charCodeAt(i);
          if (c === delim || c === LF || c === CR) break;
          if (c === QUOTE) {
            throw new CsvError(
              `${where}: line ${line}: a quote inside unquoted field ${fields.length + 1} ` +
              `(to put a quote in a field, quote the whole field and double the quote: "a ""b"" c")`, line);
          }
          i++;
        }
        fields.push(text.slice(start, i));
        if (i >= n) break;
      }
      // text[i] is the delimiter or a line end.
      i++;
      if (c === delim) continue;
      if (c === CR && text.charCodeAt(i) === LF) i++;
      line++;
      break;
    }
    if (header === null) {
      header = fields;
    } else {
      if (fields.length !== header.length) {
        throw new CsvError(
          `${where}: line ${recordLine}: expected ${header.length} fields (as in the header), found ${fields.length}`, recordLine);
      }
      rows.push(fields);
      lines.push(recordLine);
    }
  }
  if (header === null) throw new CsvError(`${where}: line 1: the text is empty: expected a header row`, 1);
  return { header, rows, lines };
}
