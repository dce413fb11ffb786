// Missing-value tokens and column-type inference on real files: the penguins
// written with NA (as R writes them) and other tokens, vega-datasets' cars
// (a name column, a date column, missing horsepower), Seattle's weather, and
// vega's own penguins table (with a '.' for a missing sex).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { init, parseCSV, inferSchema, Dataset, DataError, DEFAULT_NA_VALUES } from '../../dist/index.js';
import { PENGUINS_CSV, penguinsWith, toCsv, vegaTable, vegaCsv } from '../helpers/csv-files.js';
import { expectError } from '../helpers/errors.js';

await init();

const FEATURES = { island: 'categorical', bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric' };
const TARGETS = { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' };

/** Every column of a Dataset, for comparing two reads of the same table. */
const columns = (d) => Object.fromEntries([...d.featureNames, ...d.targetNames].map((n) => [n, d.column(n)]));

test('NA, N/A, null, NaN and ? are missing by default: the same Dataset as empty cells', () => {
  assert.deepEqual(DEFAULT_NA_VALUES, ['NA', 'N/A', 'n/a', 'null', 'NULL', 'NaN', 'nan', '?']);
  const reference = Dataset.fromCSV(PENGUINS_CSV, { features: FEATURES, targets: TARGETS });
  for (const token of ['NA', 'N/A', 'null', 'NaN', '?', ' NA ']) {
    const d = Dataset.fromCSV(penguinsWith(token), { features: FEATURES, targets: TARGETS });
    assert.deepEqual(columns(d), columns(reference), token);
    assert.deepEqual(d.spec.targets, reference.spec.targets, token);
  }
  // fromRows and fromColumns follow the same default.
  const rows = Dataset.fromRows([{ x: 'NA', k: 'a' }, { x: '2', k: '?' }], { features: { x: 'numeric', k: 'categorical' } });
  assert.deepEqual([...rows.column('x')], [NaN, 2]);
  assert.deepEqual(rows.column('k'), ['a', null]);
});

test('an explicit naValues is taken as it is: [] keeps only the empty cell missing, as before', () => {
  const text = penguinsWith('NA');
  expectError(() => Dataset.fromCSV(text, { features: FEATURES, targets: TARGETS, naValues: [] }), DataError, 'E_ARGUMENT',
    /column "bill_length_mm", row 4 \(line 5\): expected a number, got "NA"/);
  // As categories, the tokens are values again.
  const d = Dataset.fromCSV('k\nNA\n?\nx\n', { features: { k: 'categorical' }, naValues: [] });
  assert.deepEqual(d.column('k'), ['NA', '?', 'x']);
  const only = Dataset.fromCSV('k\nNA\n-\nx\n', { features: { k: 'categorical' }, naValues: ['-'] });
  assert.deepEqual(only.column('k'), ['NA', null, 'x']);
});

test('inferSchema on the penguins with NA: numbers stay numeric, the island is a 3-level category', () => {
  const schema = inferSchema(parseCSV(penguinsWith('NA')));
  assert.equal(schema.rows, 344);
  assert.equal(schema.delimiter, ',');
  assert.deepEqual(schema.naValues, DEFAULT_NA_VALUES);
  const byName = Object.fromEntries(schema.columns.map((c) => [c.name, c]));
  assert.deepEqual(schema.columns.map((c) => `${c.name}:${c.type}`), [
    'species:categorical', 'island:categorical', 'bill_length_mm:numeric', 'bill_depth_mm:numeric',
    'flipper_length_mm:numeric', 'body_mass_g:numeric', 'sex:categorical',
  ]);
  assert.deepEqual(byName.island.levels, ['Biscoe', 'Dream', 'Torgersen']);
  assert.equal(byName.bill_length_mm.missing, 2);
  assert.equal(byName.sex.missing, 11);
  assert.equal(byName.bill_length_mm.example, '39.1');
  // The same schema whatever the delimiter and token.
  const semicolon = inferSchema(parseCSV(penguinsWith('?', ';')));
  assert.equal(semicolon.delimiter, ';');
  assert.deepEqual(semicolon.columns, schema.columns);
});

test('inferSchema on vega-datasets cars: the name (311 distinct) and the year (dates) are ignored, with a note', () => {
  const cars = vegaTable('cars');
  const schema = inferSchema(parseCSV(toCsv(cars)));
  assert.equal(schema.rows, 406);
  const byName = Object.fromEntries(schema.columns.map((c) => [c.name, c]));
  assert.deepEqual(schema.columns.map((c) => `${c.name}:${c.type}`), [
    'Name:ignored', 'Miles_per_Gallon:numeric', 'Cylinders:numeric', 'Displacement:numeric', 'Horsepower:numeric',
    'Weight_in_lbs:numeric', 'Acceleration:numeric', 'Year:ignored', 'Origin:categorical',
  ]);
  assert.equal(byName.Name.distinct, 311);
  assert.match(byName.Name.note, /different value on most rows \(311 distinct in 406\)/);
  assert.equal(byName.Year.distinct, 12);
  assert.match(byName.Year.note, /^dates \(e\.g\. 1970-01-01\)/);
  assert.deepEqual(byName.Origin.levels, ['Europe', 'Japan', 'USA']);
  assert.equal(byName.Horsepower.missing, 6);
  assert.equal(byName.Miles_per_Gallon.missing, 8);
  for (const c of schema.columns) assert.equal(c.note === undefined, c.type !== 'ignored', c.name);
  // A Dataset of the inferred features reads the file (missing horsepower included).
  const features = Object.fromEntries(schema.columns.filter((c) => c.type !== 'ignored' && c.name !== 'Miles_per_Gallon').map((c) => [c.name, c.type]));
  const d = Dataset.fromCSV(toCsv(cars), { features, targets: { Miles_per_Gallon: 'regression' } });
  assert.deepEqual(d.featureNames, ['Cylinders', 'Displacement', 'Horsepower', 'Weight_in_lbs', 'Acceleration', 'Origin']);
  assert.equal([...d.column('Horsepower')].filter(Number.isNaN).length, 6);
});

test('inferSchema on Seattle weather (tab-separated) and vega penguins (a "." for missing, given with naValues)', () => {
  const weather = inferSchema(parseCSV(vegaCsv('seattle-weather').replaceAll(',', '\t')));
  assert.equal(weather.delimiter, '\t');
  assert.deepEqual(weather.columns.map((c) => `${c.name}:${c.type}`), [
    'date:ignored', 'precipitation:numeric', 'temp_max:numeric', 'temp_min:numeric', 'wind:numeric', 'weather:categorical',
  ]);
  assert.match(weather.columns[0].note, /^dates/);
  assert.deepEqual(weather.columns[5].levels, ['drizzle', 'fog', 'rain', 'snow', 'sun']);

  const text = toCsv(vegaTable('penguins'));
  const sex = (schema) => schema.columns.find((c) => c.name === 'Sex');
  assert.deepEqual(sex(inferSchema(parseCSV(text))).levels, ['.', 'FEMALE', 'MALE']);
  const dotted = inferSchema(parseCSV(text), { naValues: [...DEFAULT_NA_VALUES, '.'] });
  assert.deepEqual(sex(dotted).levels, ['FEMALE', 'MALE']);
  assert.equal(sex(dotted).missing, 11);
});

test('inferSchema: the edges of the rules (empty columns, half distinct, more than 100 levels)', () => {
  const rows = Array.from({ length: 1000 }, (_, i) => ({ empty: i % 2 ? '' : 'NA', half: `v${i % 500}`, many: `c${i % 150}`, few: `k${i % 3}` }));
  const schema = inferSchema(parseCSV(toCsv(rows)));
  const byName = Object.fromEntries(schema.columns.map((c) => [c.name, c]));
  assert.equal(byName.empty.type, 'ignored');
  assert.equal(byName.empty.numeric, false);
  assert.match(byName.empty.note, /every cell is missing \(empty or NA, N\/A/);
  // 500 distinct in 1000 rows is not "most rows": a category (but over 100 levels).
  assert.equal(byName.half.distinct, 500);
  assert.match(byName.half.note, /500 distinct values, more than the 100/);
  assert.equal(byName.half.levels, null);
  assert.match(byName.many.note, /150 distinct values/);
  assert.equal(byName.few.type, 'categorical');
  assert.deepEqual(byName.few.levels, ['k0', 'k1', 'k2']);
  // 501 distinct of 1000: most rows.
  const most = inferSchema(parseCSV(toCsv(Array.from({ length: 1000 }, (_, i) => ({ id: `r${Math.min(i, 500)}` }))))).columns[0];
  assert.match(most.note, /different value on most rows \(501 distinct in 1000\)/);
  assert.throws(() => inferSchema('a,b\n1,2'), /inferSchema: give the result of parseCSV/);
  assert.throws(() => inferSchema(parseCSV('a\n1'), { na: [] }), /unknown option "na"/);
});

test('inferSchema: a column without a name (pandas\' to_csv index) is left out with a note; so is a row number (penguin_id 1001 … 1344), but not a measurement', () => {
  const lines = PENGUINS_CSV.trim().split('\n');
  // pandas' df.to_csv(): an unnamed index column 0 … 343.
  const pandas = inferSchema(parseCSV(lines.map((l, i) => `${i === 0 ? '' : i - 1},${l}`).join('\n')));
  assert.equal(pandas.columns[0].name, '');
  assert.equal(pandas.columns[0].type, 'ignored');
  assert.equal(pandas.columns[0].numeric, true);
  assert.equal(pandas.columns[0].note, 'no name in the header (pandas writes its index so): name it to use it');
  // The same column named: a row number (any start, one more on each row).
  const ids = inferSchema(parseCSV(lines.map((l, i) => `${i === 0 ? 'penguin_id' : 1000 + i},${l}`).join('\n')));
  const id = ids.columns[0];
  assert.deepEqual([id.name, id.type, id.numeric], ['penguin_id', 'ignored', true]);
  assert.equal(id.note, "a row number (1001 … 1344, one more on each row): an id, which tells a model only the file's order");
  assert.deepEqual(ids.columns.slice(1), inferSchema(parseCSV(PENGUINS_CSV)).columns, 'the other columns are inferred as without it');
  // Not a row number: a gap, a repeat, a missing cell, another order, a fraction, or fewer than 20 rows.
  const column = (values) => inferSchema(parseCSV(['n', ...values].join('\n'))).columns[0];
  const count = (n, from = 0) => Array.from({ length: n }, (_, i) => String(from + i));
  assert.equal(column(count(20)).type, 'ignored');
  assert.equal(column(count(20, -5).map((v) => `${v}.0`)).type, 'ignored', 'integers however written');
  for (const [label, values] of [
    ['19 rows', count(19)], ['a gap', [...count(10), ...count(10, 11)]], ['a repeat', [...count(10), ...count(10, 9)]],
    ['a missing cell', [...count(10), '', ...count(10, 11)]], ['counting down', count(25).reverse()], ['two rows swapped', ['1', '0', ...count(20, 2)]],
    ['halves', count(30).map((v) => String(v / 2))], ['beyond 2^53', count(20, 2 ** 53)],
  ]) {
    assert.equal(column(values).type, 'numeric', label);
  }
});

test('inferSchema: numbers but for a few cells are left out with a note naming those cells and their lines, not taken for text', () => {
  const lines = PENGUINS_CSV.trim().split('\n');
  const bill = lines.map((l, i) => (i === 5 ? l.replace(/^(\w+,\w+,)[\d.]+/, '$11e400') : l));
  const schema = inferSchema(parseCSV(bill.join('\n')));
  const col = schema.columns.find((c) => c.name === 'bill_length_mm');
  assert.equal(col.type, 'ignored');
  assert.equal(col.numeric, false);
  assert.deepEqual([col.numbers, col.notNumbers], [341, 1]);
  assert.deepEqual(col.notNumberCells, [{ value: '1e400', row: 4, line: 6 }]);
  assert.equal(col.example, '39.1', 'the example stays the first value');
  assert.equal(col.note, 'numbers but for 1 cell: "1e400" (line 6); correct it or empty it (missing), and the column is numeric ' +
    '(a number is written as 42, -0.5 or 1e3, within ±1.8e308, without thousands separators, a decimal comma or a unit)');
  // Lines, not rows: a quoted cell across two lines moves the lines of the rows after it.
  const text = ['id,mass', '"a\nb",1', ...Array.from({ length: 60 }, (_, i) => `r${i},${i === 20 ? '3,450' : i === 25 ? '"3,451"' : 3000 + i}`)].join('\n');
  const mass = inferSchema(parseCSV(text.replace('3,450', '"3,450"'))).columns[1];
  assert.deepEqual(mass.notNumberCells, [{ value: '3,450', row: 21, line: 24 }, { value: '3,451', row: 26, line: 29 }]);
  assert.match(mass.note, /^numbers but for 2 cells: "3,450" \(line 24\), "3,451" \(line 29\); correct them or empty them/);
  // At most 1 in 20 of the present cells: 19 numbers and one word are numbers with a mistake; 18 and one are text.
  const column = (numbers) => inferSchema(parseCSV(['x', ...Array.from({ length: numbers }, (_, i) => String(i)), 'many'].join('\n'))).columns[0];
  assert.match(column(19).note, /^numbers but for 1 cell: "many" \(line 21\)/);
  assert.match(column(18).note, /^text with a different value on most rows/);
  assert.deepEqual(column(18).notNumberCells, [{ value: 'many', row: 18, line: 20 }]);
  // Only the first three cells are kept; the count says how many there are.
  const junk = inferSchema(parseCSV(['x', ...Array.from({ length: 200 }, (_, i) => (i % 40 === 7 ? `n${i}` : String(i)))].join('\n'))).columns[0];
  assert.deepEqual([junk.numbers, junk.notNumbers, junk.notNumberCells.map((c) => c.value)], [195, 5, ['n7', 'n47', 'n87']]);
  assert.match(junk.note, /^numbers but for 5 cells: "n7" \(line 9\), "n47" \(line 49\), "n87" \(line 89\), … \(2 more\);/);
  // A numeric column has none; a ParsedCsv without lines gives rows only.
  const numeric = schema.columns.find((c) => c.name === 'body_mass_g');
  assert.deepEqual([numeric.notNumbers, numeric.notNumberCells], [0, []]);
  const { header, rows } = parseCSV('x\n1\nb\n');
  assert.deepEqual(inferSchema({ header, rows }).columns[0].notNumberCells, [{ value: 'b', row: 1 }]);
});
