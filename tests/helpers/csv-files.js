// Real CSV files as users have them: vega-datasets tables (a devDependency)
// written as CSV, and the bundled penguins with other missing-value tokens,
// delimiters and encodings. Shared by the data, CLI and browser-page tests.
import { readFileSync } from 'node:fs';

const VEGA = new URL('../../node_modules/vega-datasets/data/', import.meta.url);

/** The bundled examples/data/penguins.csv (comma, empty cells for missing values). */
export const PENGUINS_CSV = readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8');

/** The bundled examples/data/seattle-weather.csv (vega-datasets' table, 1461 days of 2012–2015). */
export const SEATTLE_CSV = readFileSync(new URL('../../examples/data/seattle-weather.csv', import.meta.url), 'utf8');

/** A vega-datasets JSON table (an array of objects), e.g. 'cars'. */
export function vegaTable(name) {
  return JSON.parse(readFileSync(new URL(`${name}.json`, VEGA), 'utf8'));
}

/** A vega-datasets CSV file as text, e.g. 'seattle-weather'. */
export function vegaCsv(name) {
  return readFileSync(new URL(`${name}.csv`, VEGA), 'utf8');
}

/**
 * Objects → CSV text (RFC 4180 quoting), columns in the first object's key order;
 * null and undefined become `missing` (default: an empty cell).
 */
export function toCsv(objects, { delimiter = ',', missing = '' } = {}) {
  const columns = Object.keys(objects[0]);
  const cell = (v) => {
    const s = v === null || v === undefined ? missing : String(v);
    return s.includes(delimiter) || /["\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [columns.map(cell).join(delimiter), ...objects.map((o) => columns.map((c) => cell(o[c])).join(delimiter))].join('\n') + '\n';
}

/** The bundled penguins with every empty cell written as `token` (R's write.csv writes NA). */
export function penguinsWith(token, delimiter = ',') {
  return PENGUINS_CSV.trimEnd().split('\n').map((line) => line.split(',').map((f) => (f === '' ? token : f)).join(delimiter)).join('\n') + '\n';
}

/** Text as Latin-1 bytes (every character must be below U+0100). */
export function latin1(text) {
  return Uint8Array.from(text, (c) => {
    const code = c.charCodeAt(0);
    if (code > 0xff) throw new Error(`latin1: ${JSON.stringify(c)} is not Latin-1`);
    return code;
  });
}
