// parseCSV: RFC 4180 (quotes, escaped quotes, line breaks inside quotes, CRLF),
// BOM, empty lines, custom delimiters, line numbers, and errors that name the line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseCSV, CsvError, ArgumentError, ManytaskError } from '../../dist/index.js';

function csvError(fn, line, pattern) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof CsvError, `expected CsvError, got ${err?.constructor?.name}: ${err?.message}`);
    assert.ok(err instanceof ArgumentError && err instanceof ManytaskError);
    assert.equal(err.code, 'E_ARGUMENT');
    assert.equal(err.line, line, `line of: ${err.message}`);
    assert.match(err.message, new RegExp(`line ${line}\\b`));
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

test('plain CSV: header, rows, 1-based lines; with and without a final line end', () => {
  for (const text of ['a,b,c\n1,2,3\n4,5,6\n', 'a,b,c\n1,2,3\n4,5,6']) {
    assert.deepEqual(parseCSV(text), { header: ['a', 'b', 'c'], rows: [['1', '2', '3'], ['4', '5', '6']], lines: [2, 3] });
  }
  assert.deepEqual(parseCSV('only'), { header: ['only'], rows: [], lines: [] });
});

test('quoted fields: delimiters, escaped quotes, line breaks inside quotes (lines keep counting)', () => {
  const text = 'name,note\n"Smith, J.","said ""hi"""\n"multi\nline\r\nfield",x\nlast,""\n';
  const { header, rows, lines } = parseCSV(text);
  assert.deepEqual(header, ['name', 'note']);
  assert.deepEqual(rows, [['Smith, J.', 'said "hi"'], ['multi\nline\r\nfield', 'x'], ['last', '']]);
  assert.deepEqual(lines, [2, 3, 6]);
  assert.deepEqual(parseCSV('a\n""""').rows, [['"']]);
  assert.deepEqual(parseCSV('a,b\n"x",""').rows, [['x', '']]);
  assert.deepEqual(parseCSV('a,b\n"1","2"\r\n').rows, [['1', '2']]);
});

test('CRLF, lone CR, BOM, empty lines, empty fields, a trailing delimiter', () => {
  assert.deepEqual(parseCSV('\uFEFFa,b\r\n1,2\r\n\r\n3,4\r\n'), { header: ['a', 'b'], rows: [['1', '2'], ['3', '4']], lines: [2, 4] });
  assert.deepEqual(parseCSV('a,b\r1,2\r3,4'), { header: ['a', 'b'], rows: [['1', '2'], ['3', '4']], lines: [2, 3] });
  assert.deepEqual(parseCSV('\n\na,b\n\n,\n1,\n,2\n\n'), { header: ['a', 'b'], rows: [['', ''], ['1', ''], ['', '2']], lines: [5, 6, 7] });
  // The BOM is dropped only at the very start; the header keeps every other character.
  assert.deepEqual(parseCSV('\uFEFF"a",b ,\n1,2,3').header, ['a', 'b ', '']);
  // Spaces are data: the parser does not trim (the Dataset does, per column).
  assert.deepEqual(parseCSV('a,b\n 1 , x ').rows, [[' 1 ', ' x ']]);
});

test('custom delimiters: semicolon and tab; the comma is then ordinary text', () => {
  assert.deepEqual(parseCSV('a;b\n1,5;"x;y"\n', { delimiter: ';' }).rows, [['1,5', 'x;y']]);
  assert.deepEqual(parseCSV('a\tb\n1\t2', { delimiter: '\t' }), { header: ['a', 'b'], rows: [['1', '2']], lines: [2] });
});

test('malformed CSV: errors name the line', () => {
  csvError(() => parseCSV('a,b\n1,2\n3,"open\nstill open\n'), 3, /unterminated quoted field/);
  csvError(() => parseCSV('a,b\n1,2\n3,4,5\n'), 3, /expected 2 fields \(as in the header\), found 3/);
  csvError(() => parseCSV('a,b\n1,2\n\n3\n'), 4, /expected 2 fields \(as in the header\), found 1/);
  // A record spanning lines is reported at the line it starts on.
  csvError(() => parseCSV('a,b\n"x\ny",2,3\n'), 2, /found 3/);
  csvError(() => parseCSV('a,b\n"x\ny"z,2\n'), 3, /unexpected "z" after the closing quote of field 1/);
  csvError(() => parseCSV('a,b\n1,ab"c\n'), 2, /a quote inside unquoted field 2/);
  csvError(() => parseCSV(''), 1, /empty/);
  csvError(() => parseCSV('\uFEFF'), 1, /empty/);
  csvError(() => parseCSV('a;b\n1;2;3', { delimiter: ';' }), 2, /expected 2 fields/);
});

test('bad arguments', () => {
  const argError = (fn, pattern) => assert.throws(fn, (err) => err instanceof ArgumentError && err.code === 'E_ARGUMENT' && pattern.test(err.message));
  argError(() => parseCSV(42), /the CSV text must be a string, got 42/);
  argError(() => parseCSV('a', { delimiter: ';;' }), /delimiter must be one character other than/);
  argError(() => parseCSV('a', { delimiter: '"' }), /delimiter/);
  argError(() => parseCSV('a', { delimiter: '\n' }), /delimiter/);
  argError(() => parseCSV('a', { separator: ';' }), /unknown option "separator" \(known: delimiter\)/);
  argError(() => parseCSV('a', 'x'), /options must be an object/);
});

// A deterministic generator (no Math.random): 32-bit LCG.
function* lcg(seed) {
  let s = seed >>> 0;
  for (;;) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; yield s; }
}

test('round trip: any table of awkward strings, written by RFC 4180, parses back exactly', () => {
  const alphabet = ['a', 'b', ' ', ',', ';', '"', '\n', '\r', '\r\n', 'é', '😀', '\t', ''];
  const rand = lcg(7);
  const next = (n) => rand.next().value % n;
  for (const delimiter of [',', ';', '\t']) {
    for (let trial = 0; trial < 20; trial++) {
      const cols = 1 + next(5);
      const header = Array.from({ length: cols }, (_, j) => `c${j}`);
      const rows = Array.from({ length: 1 + next(8) }, () => Array.from({ length: cols }, () =>
        Array.from({ length: next(6) }, () => alphabet[next(alphabet.length)]).join('')));
      // A record whose fields are all empty would be an empty line for one column: give it text.
      for (const row of rows) if (cols === 1 && row[0] === '') row[0] = 'x';
      const quote = (f) => (/[",\n\r;\t]/.test(f) || f !== f.trim() ? `"${f.replaceAll('"', '""')}"` : f);
      const eol = trial % 2 ? '\r\n' : '\n';
      const text = [header, ...rows].map((r) => r.map(quote).join(delimiter)).join(eol) + (trial % 3 ? eol : '');
      const parsed = parseCSV(text, { delimiter });
      assert.deepEqual(parsed.header, header);
      assert.deepEqual(parsed.rows, rows, `trial ${trial} delimiter ${JSON.stringify(delimiter)}`);
    }
  }
});

test('penguins.csv: 344 rows of 7 fields', () => {
  const text = readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8');
  const { header, rows, lines } = parseCSV(text);
  assert.deepEqual(header, ['species', 'island', 'bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g', 'sex']);
  assert.equal(rows.length, 344);
  assert.ok(rows.every((r) => r.length === 7));
  assert.deepEqual(rows[0], ['Adelie', 'Torgersen', '39.1', '18.7', '181', '3750', 'male']);
  assert.equal(lines[343], 345);
});
