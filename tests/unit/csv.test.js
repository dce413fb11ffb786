// parseCSV: RFC 4180 (quotes, escaped quotes, line breaks inside quotes, CRLF),
// BOM, empty lines, custom and detected delimiters, UTF-8 bytes, line numbers,
// and errors that name the line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseCSV, detectDelimiter, CsvError, ArgumentError, ManytaskError } from '../../dist/index.js';
import { PENGUINS_CSV, penguinsWith, latin1 } from '../helpers/csv-files.js';

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
    assert.deepEqual(parseCSV(text), { header: ['a', 'b', 'c'], rows: [['1', '2', '3'], ['4', '5', '6']], lines: [2, 3], delimiter: ',' });
  }
  assert.deepEqual(parseCSV('only'), { header: ['only'], rows: [], lines: [], delimiter: ',' });
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
  assert.deepEqual(parseCSV('\uFEFFa,b\r\n1,2\r\n\r\n3,4\r\n'), { header: ['a', 'b'], rows: [['1', '2'], ['3', '4']], lines: [2, 4], delimiter: ',' });
  assert.deepEqual(parseCSV('a,b\r1,2\r3,4'), { header: ['a', 'b'], rows: [['1', '2'], ['3', '4']], lines: [2, 3], delimiter: ',' });
  assert.deepEqual(parseCSV('\n\na,b\n\n,\n1,\n,2\n\n'), { header: ['a', 'b'], rows: [['', ''], ['1', ''], ['', '2']], lines: [5, 6, 7], delimiter: ',' });
  // The BOM is dropped only at the very start; the header keeps every other character.
  assert.deepEqual(parseCSV('\uFEFF"a",b ,\n1,2,3').header, ['a', 'b ', '']);
  // Spaces are data: the parser does not trim (the Dataset does, per column).
  assert.deepEqual(parseCSV('a,b\n 1 , x ').rows, [[' 1 ', ' x ']]);
});

test('custom delimiters: semicolon and tab; the comma is then ordinary text', () => {
  assert.deepEqual(parseCSV('a;b\n1,5;"x;y"\n', { delimiter: ';' }).rows, [['1,5', 'x;y']]);
  assert.deepEqual(parseCSV('a\tb\n1\t2', { delimiter: '\t' }), { header: ['a', 'b'], rows: [['1', '2']], lines: [2], delimiter: '\t' });
});

test('the delimiter is detected: comma, tab, semicolon and pipe files of the penguins read alike', () => {
  const comma = parseCSV(PENGUINS_CSV);
  assert.equal(comma.delimiter, ',');
  assert.equal(comma.header.length, 7);
  for (const delimiter of [',', '\t', ';', '|']) {
    const text = penguinsWith('', delimiter);
    assert.equal(detectDelimiter(text), delimiter);
    const parsed = parseCSV(text);
    assert.equal(parsed.delimiter, delimiter);
    assert.deepEqual(parsed.header, comma.header, JSON.stringify(delimiter));
    assert.deepEqual(parsed.rows, comma.rows, JSON.stringify(delimiter));
  }
});

test('delimiter detection is not fooled by decimal commas, quoted delimiters or one-column files; a bad row is still an error', () => {
  // A European export: ';' between fields, ',' in the numbers.
  assert.deepEqual(parseCSV('species;mass;bill\nAdelie;3750;39,1\nGentoo;5000;47,5\n'),
    { header: ['species', 'mass', 'bill'], rows: [['Adelie', '3750', '39,1'], ['Gentoo', '5000', '47,5']], lines: [2, 3], delimiter: ';' });
  // Semicolons and tabs inside quoted fields of a comma file.
  assert.equal(parseCSV('name,note\n"a;b;c",1\n"x\ty;z",2\n').delimiter, ',');
  // One column whose text holds semicolons: the header has one field under every delimiter.
  assert.deepEqual(parseCSV('note\na;b\nc;d\n'), { header: ['note'], rows: [['a;b'], ['c;d']], lines: [2, 3], delimiter: ',' });
  // A given delimiter is used as it is.
  assert.deepEqual(parseCSV('a;b\n1;2', { delimiter: ',' }).header, ['a;b']);
  // One bad record among good ones: the semicolon is still found, and the bad line is named.
  csvError(() => parseCSV('a;b;c\n1;2;3\n4;5\n6;7;8\n'), 3, /expected 3 fields \(as in the header\), found 2/);
});

test('bytes are read as UTF-8 (BOM dropped); Latin-1 bytes are an error naming the line and the byte', () => {
  const text = 'name,city\nJosé,Zürich\nZoë,Kraków\n';
  const utf8 = new TextEncoder().encode(`\uFEFF${text}`);
  const expected = { header: ['name', 'city'], rows: [['José', 'Zürich'], ['Zoë', 'Kraków']], lines: [2, 3], delimiter: ',' };
  assert.deepEqual(parseCSV(utf8), expected);
  assert.deepEqual(parseCSV(utf8.buffer), expected);
  // The same table saved as Latin-1: "é" is the single byte 0xE9 on line 2.
  const latin = latin1('name;city\nAnn;Oslo\nJosé;Zürich\n');
  csvError(() => parseCSV(latin), 3, /not UTF-8 \(at byte 22: 0xE9 0x3B 0x5A 0xFC\).*Latin-1 or Windows-1252/);
  // Invalid sequences UTF-8 forbids: an overlong form, a surrogate, a lone continuation byte, a truncated sequence.
  for (const bad of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x80], [0xe2, 0x82]]) {
    csvError(() => parseCSV(new Uint8Array([0x61, 0x0a, ...bad])), 2, /not UTF-8 \(at byte 2:/);
  }
});

test('a UTF-16 or UTF-32 file (as Excel and Notepad save "Unicode text") is named by its byte-order mark, not taken for Latin-1', () => {
  const text = 'name,city\nJosé,Zürich\n';
  const utf16le = new Uint8Array([0xff, 0xfe, ...Array.from(text, (c) => [c.charCodeAt(0) & 0xff, c.charCodeAt(0) >> 8]).flat()]);
  const utf16be = new Uint8Array([0xfe, 0xff, ...Array.from(text, (c) => [c.charCodeAt(0) >> 8, c.charCodeAt(0) & 0xff]).flat()]);
  const utf32le = new Uint8Array([0xff, 0xfe, 0, 0, ...Array.from(text, (c) => [c.charCodeAt(0) & 0xff, c.charCodeAt(0) >> 8, 0, 0]).flat()]);
  const utf32be = new Uint8Array([0, 0, 0xfe, 0xff, ...Array.from(text, (c) => [0, 0, c.charCodeAt(0) >> 8, c.charCodeAt(0) & 0xff]).flat()]);
  for (const [bytes, message] of [
    [utf16le, 'parseCSV: line 1: the file is UTF-16 little-endian (it starts with the byte-order mark 0xFF 0xFE), not UTF-8: save it as UTF-8'],
    [utf16be, 'parseCSV: line 1: the file is UTF-16 big-endian (it starts with the byte-order mark 0xFE 0xFF), not UTF-8: save it as UTF-8'],
    [utf32le, 'parseCSV: line 1: the file is UTF-32 little-endian (it starts with the byte-order mark 0xFF 0xFE 0x00 0x00), not UTF-8: save it as UTF-8'],
    [utf32be, 'parseCSV: line 1: the file is UTF-32 big-endian (it starts with the byte-order mark 0x00 0x00 0xFE 0xFF), not UTF-8: save it as UTF-8'],
  ]) {
    csvError(() => parseCSV(bytes), 1, new RegExp(`^${message.replace(/[()]/g, '\\$&')}$`));
  }
  // Decoded, the same text reads as it should.
  assert.deepEqual(parseCSV(new TextDecoder('utf-16le').decode(utf16le)).rows, [['José', 'Zürich']]);
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
  argError(() => parseCSV(42), /the CSV must be a string, a Uint8Array or an ArrayBuffer, got 42/);
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
