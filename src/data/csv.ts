// An RFC 4180 CSV parser.
//
//  - The input is text, or bytes (a Uint8Array, a Node Buffer, an ArrayBuffer)
//    decoded as UTF-8: bytes that are not UTF-8 (a Latin-1 or Windows-1252
//    file, typically) are a CsvError naming the line and the byte, never
//    replacement characters read as data; a UTF-16 or UTF-32 file is named as
//    such by its byte-order mark.
//  - The delimiter is detected unless given: of `,` tab `;` `|`, the one that
//    splits the header into the most fields (at least two) while most of the
//    first 100 records have as many fields as the header; `,` when none does.
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
import { CsvError, DataError } from './errors.js';

export interface CsvOptions {
  /** One character, not `"`, CR or LF. Default: detected (`,` tab `;` `|`; see src/data/csv.ts). */
  delimiter?: string;
}

/** What parseCSV and Dataset.fromCSV read: text, or UTF-8 bytes. */
export type CsvInput = string | Uint8Array | ArrayBuffer;

export interface ParsedCsv {
  /** The first record. */
  header: string[];
  /** Every later record, each with header.length fields. */
  rows: string[][];
  /** lines[i]: the 1-based line of the text that rows[i] starts on. */
  lines: number[];
  /** The delimiter the text was read with (given, or detected). */
  delimiter: string;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** Validates the delimiter option; undefined (detect) stays undefined. */
export function checkDelimiter(where: string, delimiter: unknown): string | undefined {
  if (delimiter === undefined) return undefined;
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') {
    throw new ArgumentError(`${where}: delimiter must be one character other than '"', CR and LF, got ${show(delimiter)}`);
  }
  return delimiter;
}

/** Parses CSV text (or UTF-8 bytes) with a header row; see the top of src/data/csv.ts for the rules. */
export function parseCSV(input: CsvInput, options?: CsvOptions): ParsedCsv {
  const where = 'parseCSV';
  const opts = checkOptionsObject(where, options);
  checkKeys(where, opts, ['delimiter']);
  return readCsv(where, input, checkDelimiter(where, opts.delimiter));
}

/** Decodes bytes, detects the delimiter when `delimiter` is undefined, and parses. */
export function readCsv(where: string, input: unknown, delimiter: string | undefined): ParsedCsv {
  const text = csvText(where, input);
  return parseCsvText(where, text, delimiter ?? detectDelimiter(text));
}

/** The delimiters detection tries, in order of preference when two split the header alike. */
const DELIMITERS: readonly string[] = [',', '\t', ';', '|'];
const DETECT_RECORDS = 100;

/**
 * The delimiter of a CSV text: of `,` tab `;` `|`, the one that splits the
 * header into the most fields (two or more) while at least half of the first
 * 100 records have as many fields as the header; `,` when none does.
 */
export function detectDelimiter(text: string): string {
  let best = ',';
  let bestFields = 1;
  for (const candidate of DELIMITERS) {
    let sample: ParsedCsv;
    try {
      sample = parseCsvText('detectDelimiter', text, candidate, DETECT_RECORDS);
    } catch (err) {
      if (err instanceof CsvError) continue; // quotes that do not fit this delimiter
      throw err;
    }
    const fields = sample.header.length;
    const agree = sample.rows.filter((r) => r.length === fields).length;
    if (fields > bestFields && agree * 2 >= sample.rows.length) {
      best = candidate;
      bestFields = fields;
    }
  }
  return best;
}

/**
 * The text of a CSV input: a string as it is; bytes decoded as UTF-8 (a
 * leading BOM dropped). Invalid UTF-8 is a CsvError naming the line and byte.
 */
export function csvText(where: string, input: unknown): string {
  if (typeof input === 'string') return input;
  let bytes: Uint8Array;
  if (input instanceof Uint8Array) bytes = input;
  else if (input instanceof ArrayBuffer) bytes = new Uint8Array(input);
  else throw new ArgumentError(`${where}: the CSV must be a string, a Uint8Array or an ArrayBuffer, got ${show(input)}`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    const encoding = unicodeBom(bytes);
    if (encoding !== null) {
      const mark = hexBytes(bytes.subarray(0, encoding.startsWith('UTF-32') ? 4 : 2));
      throw new CsvError(`${where}: line 1: the file is ${encoding} (it starts with the byte-order mark ${mark}), not UTF-8: save it as UTF-8`, 1);
    }
    const bad = firstInvalidUtf8(bytes);
    if (bad >= 0) {
      let line = 1;
      for (let i = 0; i < bad; i++) if (bytes[i] === LF || (bytes[i] === CR && bytes[i + 1] !== LF)) line++;
      const shown = hexBytes(bytes.subarray(bad, bad + 4));
      throw new CsvError(
        `${where}: line ${line}: the bytes are not UTF-8 (at byte ${bad}: ${shown}); the file is probably Latin-1 or Windows-1252: save it as UTF-8`, line);
    }
    // Valid UTF-8 that still does not decode: longer than this runtime's longest string.
    const mb = (bytes.length / 2 ** 20).toFixed(0);
    throw new DataError(`${where}: the CSV is ${mb} MB, more than this JavaScript runtime can hold as one string (${message(cause)}); split the file`);
  }
}

/** "0xFF 0xFE": bytes as a message shows them. */
function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => `0x${b.toString(16).toUpperCase().padStart(2, '0')}`).join(' ');
}

/** The encoding a UTF-16 or UTF-32 byte-order mark at the start of `bytes` names, or null. */
function unicodeBom(bytes: Uint8Array): string | null {
  const [a, b, c, d] = bytes;
  if (a === 0xff && b === 0xfe) return c === 0 && d === 0 ? 'UTF-32 little-endian' : 'UTF-16 little-endian';
  if (a === 0xfe && b === 0xff) return 'UTF-16 big-endian';
  if (a === 0 && b === 0 && c === 0xfe && d === 0xff) return 'UTF-32 big-endian';
  return null;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The index of the first byte that breaks UTF-8 (RFC 3629: no overlongs, surrogates or code points above U+10FFFF), or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) { i++; continue; }
    let need: number, lo = 0x80, hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) { need = 2; if (b === 0xe0) lo = 0xa0; else if (b === 0xed) hi = 0x9f; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; if (b === 0xf0) lo = 0x90; else if (b === 0xf4) hi = 0x8f; }
    else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * Parses text with a known delimiter. `maxRecords` stops after that many data
 * records and keeps records whose field count differs from the header's (for
 * detectDelimiter, which counts them); by default every record must match.
 */
export function parseCsvText(where: string, text: unknown, delimiter: string, maxRecords = Infinity): ParsedCsv {
  if (typeof text !== 'string') throw new ArgumentError(`${where}: the CSV text must be a string, got ${show(text)}`);
  const sampling = maxRecords !== Infinity;
  const delim = delimiter.charCodeAt(0);
  const n = text.length;
  let i = n > 0 && text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let header: string[] | null = null;
  const rows: string[][] = [];
  const lines: number[] = [];

  while (i < n && rows.length < maxRecords) {
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
      if (fields.length !== header.length && !sampling) {
        throw new CsvError(
          `${where}: line ${recordLine}: expected ${header.length} fields (as in the header), found ${fields.length}`, recordLine);
      }
      rows.push(fields);
      lines.push(recordLine);
    }
  }
  if (header === null) throw new CsvError(`${where}: line 1: the text is empty: expected a header row`, 1);
  return { header, rows, lines, delimiter };
}
