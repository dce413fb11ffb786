// Dataset (fromCSV / fromRows / fromColumns, targets, split, select) and
// Preprocessor (standardize, impute + indicators, one-hot, unseen categories,
// JSON), on penguins.csv and on small hand-computed tables.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  init, Dataset, Preprocessor, parseCSV,
  ArgumentError, ShapeError, CsvError, DataError, UnknownCategoryError, OutOfRangeError,
} from '../../dist/index.js';
import { expectError } from '../helpers/errors.js';

before(async () => { await init(); });

const PENGUINS = readFileSync(new URL('../../examples/data/penguins.csv', import.meta.url), 'utf8');
const SPEC = {
  features: { bill_length_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
};
const penguins = () => Dataset.fromCSV(PENGUINS, SPEC);

const argError = (fn, patterns, props) => expectError(fn, ArgumentError, 'E_ARGUMENT', patterns, { props });
const dataError = (fn, patterns, props) => expectError(fn, DataError, 'E_ARGUMENT', patterns, { props });
const shapeError = (fn, patterns) => expectError(fn, ShapeError, 'E_SHAPE', patterns);

const countNaN = (a) => a.reduce((n, v) => n + (Number.isNaN(v) ? 1 : 0), 0);
const same = (a, b, label) => assert.deepEqual(Array.from(a), Array.from(b), label);

// ---- reading ----

test('penguins: 344 rows, the documented missing values, classes fixed and sorted', () => {
  const d = penguins();
  assert.equal(d.rows, 344);
  assert.deepEqual(d.featureNames, ['bill_length_mm', 'flipper_length_mm', 'island']);
  assert.deepEqual(d.targetNames, ['species', 'sex', 'body_mass_g']);

  const species = d.target('species');
  assert.deepEqual(Object.keys(species).sort(), ['classes', 'kind', 'name', 'values', 'width']);
  assert.equal(species.name, 'species');
  assert.equal(species.kind, 'multiclass');
  assert.equal(species.width, 1);
  assert.deepEqual(species.classes, ['Adelie', 'Chinstrap', 'Gentoo']);
  assert.ok(species.values instanceof Float32Array && species.values.length === 344);
  const counts = [0, 0, 0];
  for (const v of species.values) counts[v]++;
  assert.deepEqual(counts, [152, 68, 124]);
  assert.equal(species.values[0], 0);
  assert.equal(species.values[343], 2);

  // sex: 11 rows without a label; positive class "male" (the second of female/male).
  const sex = d.target('sex');
  assert.equal(sex.kind, 'binary');
  assert.equal(sex.width, 1);
  assert.deepEqual(sex.classes, ['female', 'male']);
  assert.equal(countNaN(sex.values), 11);
  assert.equal(sex.values.filter((v) => v === 1).length, 168);
  assert.equal(sex.values.filter((v) => v === 0).length, 165);
  same(sex.values.subarray(0, 4), [1, 0, 0, NaN]);

  // 2 rows without measurements: missing in numeric features and in the regression target.
  const mass = d.target('body_mass_g');
  assert.deepEqual(Object.keys(mass).sort(), ['kind', 'name', 'values', 'width']);
  assert.equal(mass.kind, 'regression');
  assert.equal(countNaN(mass.values), 2);
  assert.equal(mass.values[0], 3750);
  const bill = d.column('bill_length_mm');
  assert.ok(bill instanceof Float64Array);
  assert.equal(countNaN(bill), 2);
  assert.equal(bill[0], 39.1);
  assert.ok(Number.isNaN(bill[3]));
  const island = d.column('island');
  assert.deepEqual([...new Set(island)].sort(), ['Biscoe', 'Dream', 'Torgersen']);
  assert.deepEqual(d.column('sex').slice(0, 4), ['male', 'female', 'female', null]);

  assert.deepEqual(d.spec, {
    features: {
      bill_length_mm: { type: 'numeric', missing: 'mean' },
      flipper_length_mm: { type: 'numeric', missing: 'mean' },
      island: { type: 'categorical', unknown: 'error', embed: false },
    },
    targets: {
      species: { type: 'multiclass', classes: ['Adelie', 'Chinstrap', 'Gentoo'] },
      sex: { type: 'binary', negative: 'female', positive: 'male' },
      body_mass_g: { type: 'regression' },
    },
    naValues: ['NA', 'N/A', 'n/a', 'null', 'NULL', 'NaN', 'nan', '?'],
  });
  same(d.sourceRows, Array.from({ length: 344 }, (_, i) => i));
  // Classes are shared by every split: callers cannot change them.
  assert.throws(() => d.target('species').classes.push('Emperor'), TypeError);
  assert.throws(() => { d.spec.targets.sex.positive = 'female'; }, TypeError);
  assert.deepEqual(d.target('sex').classes, ['female', 'male']);
});

test('fromRows and fromColumns read the same data as fromCSV', () => {
  const d = penguins();
  const { header, rows } = parseCSV(PENGUINS);
  // Typed the way a JS user would: numbers as numbers, empty cells as null, plus keys the spec does not use.
  const objects = rows.map((r) => Object.fromEntries(header.map((h, j) => {
    const v = r[j];
    return [h, v === '' ? null : /_mm|_g$/.test(h) ? Number(v) : v];
  })));
  const columns = Object.fromEntries(header.map((h, j) => [h, rows.map((r) => r[j])]));
  for (const other of [Dataset.fromRows(objects, SPEC), Dataset.fromColumns(columns, SPEC)]) {
    assert.equal(other.rows, 344);
    for (const name of [...d.featureNames, ...d.targetNames]) assert.deepEqual(other.column(name), d.column(name), name);
    for (const name of d.targetNames) assert.deepEqual(other.target(name), d.target(name), name);
    assert.deepEqual(other.spec, d.spec);
  }
  // A target key absent from a row is an unlabeled row.
  const partial = Dataset.fromRows([{ x: 1, y: 'a' }, { x: 2 }, { x: 3, y: 'b' }], { features: { x: 'numeric' }, targets: { y: 'binary' } });
  same(partial.target('y').values, [0, NaN, 1]);
  // Typed arrays are columns too.
  const typed = Dataset.fromColumns({ x: new Float32Array([1.5, NaN, 3]), c: [1, 2, 1] }, { features: { x: 'numeric', c: 'categorical' } });
  same(typed.column('x'), [1.5, NaN, 3]);
  assert.deepEqual(typed.column('c'), ['1', '2', '1']);
});

test('numbers: the strict rule (trimmed decimal text; no hex, Infinity, commas or units); naValues', () => {
  const ok = ['1e3', '-0.5', ' 42 ', '.5', '+2.5E-3', '7.', '', '  ', 'NA'];
  const d = Dataset.fromColumns({ x: ok }, { features: { x: 'numeric' }, naValues: ['NA'] });
  same(d.column('x'), [1000, -0.5, 42, 0.5, 0.0025, 7, NaN, NaN, NaN]);
  for (const bad of ['abc', '0x10', 'Infinity', '1,5', '12kg', '1_000', '--1', 'e3', '1e999', 'NaN']) {
    // naValues: [] — only the empty cell is missing ('NaN' is one of the default missing tokens).
    dataError(() => Dataset.fromColumns({ x: ['1', bad] }, { features: { x: 'numeric' }, naValues: [] }),
      [/column "x", index 1: expected a number/, new RegExp(JSON.stringify(bad))], { column: 'x', rowIndex: 1, value: bad });
  }
  dataError(() => Dataset.fromColumns({ x: [1, Infinity] }, { features: { x: 'numeric' } }), /index 1: expected a number, got Infinity/);
  dataError(() => Dataset.fromRows([{ x: 1 }, { x: true }], { features: { x: 'numeric' } }), /column "x", rows\[1\]: expected a number, got true/);
  // NaN, null and undefined from JS are missing.
  same(Dataset.fromRows([{ x: NaN }, { x: null }, { x: undefined }, { x: 2 }], { features: { x: 'numeric' } }).column('x'), [NaN, NaN, NaN, 2]);
});

test('text in a numeric column: the error names the column, the 1-based row, the CSV line and the value', () => {
  const lines = PENGUINS.split('\n');
  lines[5] = lines[5].replace('36.7', '36,7kg').replace('Adelie,', '"Adelie",'); // data row 5, line 6
  const bad = lines.join('\n').replace('36,7kg', '"36,7kg"');
  dataError(() => Dataset.fromCSV(bad, SPEC),
    [/Dataset\.fromCSV: column "bill_length_mm", row 5 \(line 6\): expected a number, got "36,7kg"/],
    { column: 'bill_length_mm', rowIndex: 4, line: 6, value: '36,7kg' });
  // In the regression target too.
  dataError(() => Dataset.fromCSV(PENGUINS.replace('3750', 'heavy'), SPEC), /column "body_mass_g", row 1 \(line 2\): expected a number, got "heavy"/);
});

test('a numeric feature beyond float32 (1e39) is refused naming the column, row and line, as a regression target is: the other values would standardize to one number', () => {
  const lines = PENGUINS.split('\n');
  lines[5] = lines[5].replace(',193,', ',1e39,'); // data row 5, line 6
  const huge = lines.join('\n');
  assert.notEqual(huge, PENGUINS);
  dataError(() => Dataset.fromCSV(huge, SPEC),
    /Dataset\.fromCSV: column "flipper_length_mm", row 5 \(line 6\): 1e\+39 is beyond the float32 range \(±3\.4e38\) the model computes in/,
    { column: 'flipper_length_mm', rowIndex: 4, line: 6, value: '1e+39' });
  dataError(() => Dataset.fromRows([{ a: 1 }, { a: -1e308 }], { features: { a: 'numeric' } }), /column "a", rows\[1\]: -1e\+308 is beyond the float32 range/, { rowIndex: 1 });
  dataError(() => Dataset.fromColumns({ a: [3.5e38] }, { features: { a: 'numeric' } }), /column "a", index 0: 3\.5e\+38 is beyond the float32 range/);
  // The largest float32 is a number like any other; as a category, 1e39 is text.
  same(Dataset.fromColumns({ a: [3.4028234e38, -3.4028234e38] }, { features: { a: 'numeric' } }).column('a'), [3.4028234e38, -3.4028234e38]);
  assert.deepEqual(Dataset.fromColumns({ a: ['1e39'] }, { features: { a: 'categorical' } }).column('a'), ['1e39']);
});

test('a column with an empty name (pandas\' index) is refused as a feature or a target, naming its place: a model file names every column', () => {
  const csv = ',x,y\n0,1.5,a\n1,2.5,b\n';
  argError(() => Dataset.fromCSV(csv, { features: { '': 'numeric', x: 'numeric' }, targets: { y: 'binary' } }),
    /^Dataset\.fromCSV: a feature named "" \(column 1 of the header\): a model's columns need names; name it, or leave it out \(pandas writes its index so\)$/);
  argError(() => Dataset.fromCSV(csv, { features: { x: 'numeric' }, targets: { '': 'regression' } }), /^Dataset\.fromCSV: a target named "" \(column 1 of the header\)/);
  argError(() => Dataset.fromRows([{ '': 1, x: 2 }], { features: { '': 'numeric' } }), /^Dataset\.fromRows: a feature named "": a model's columns need names/);
  argError(() => Dataset.fromColumns({ x: [1] }, { features: { '': 'numeric' } }), /^Dataset\.fromColumns: a feature named "": /);
  // Left out of the spec, the column is read past.
  same(Dataset.fromCSV(csv, { features: { x: 'numeric' }, targets: { y: 'binary' } }).column('x'), [1.5, 2.5]);
});

test('binary targets: how the positive class is chosen', () => {
  const bin = (values, spec = 'binary') => Dataset.fromColumns({ x: values.map(() => 1), y: values }, { features: { x: 'numeric' }, targets: { y: spec } }).target('y');
  // The second of the two sorted values.
  assert.deepEqual(bin(['male', 'female', '']).classes, ['female', 'male']);
  same(bin(['male', 'female', '']).values, [1, 0, NaN]);
  assert.deepEqual(bin(['b', 'a']).classes, ['a', 'b']);
  // Recognized pairs, any case: the "true" side is positive even where sorting says otherwise.
  assert.deepEqual(bin(['Yes', 'no']).classes, ['no', 'Yes']);
  assert.deepEqual(bin(['N', 'y']).classes, ['N', 'y']);
  assert.deepEqual(bin(['TRUE', 'False']).classes, ['False', 'TRUE']);
  assert.deepEqual(bin([true, false, null]).classes, ['false', 'true']);
  same(bin([true, false, null]).values, [1, 0, NaN]);
  assert.deepEqual(bin([1, 0, 0]).classes, ['0', '1']);
  assert.deepEqual(bin(['1.0', '0']).classes, ['0', '1.0']);
  assert.deepEqual(bin(['-1', '1']).classes, ['-1', '1']);
  // Numbers sort numerically: 10 is positive against 9.
  assert.deepEqual(bin(['10', '9']).classes, ['9', '10']);
  // The positive option wins; negative too; one value is enough then.
  assert.deepEqual(bin(['male', 'female'], { type: 'binary', positive: 'female' }).classes, ['male', 'female']);
  assert.deepEqual(bin(['male', 'female'], { type: 'binary', negative: 'male' }).classes, ['male', 'female']);
  assert.deepEqual(bin(['yes', 'yes'], { type: 'binary', negative: 'no' }).classes, ['no', 'yes']);
  assert.deepEqual(bin(['x'], { type: 'binary', negative: 'x', positive: 'y' }).classes, ['x', 'y']);
  same(bin(['x', 'y', 'x'], { type: 'binary', negative: 'x', positive: 'y' }).values, [0, 1, 0]);
  // Errors name the target and the values.
  dataError(() => bin(['a', 'b', 'c', 'a']), [/target "y" \(binary\) has more than two distinct values: "a", "b", "c"/, /multiclass/], { column: 'y' });
  dataError(() => bin(['a', 'a']), /target "y" \(binary\) has only one distinct value, "a": name the other class/);
  dataError(() => bin(['a', 'a'], { type: 'binary', positive: 'a' }), /has only the value "a": name the other class with negative/);
  dataError(() => bin(['b', 'c'], { type: 'binary', positive: 'a' }), /has values "b", "c" besides positive "a"/);
  dataError(() => bin(['x', 'z'], { type: 'binary', negative: 'x', positive: 'y' }), /column "y", index 1: "z" is not one of the two classes/, { rowIndex: 1, value: 'z' });
  // On penguins, sex with positive: 'female'.
  const d = Dataset.fromCSV(PENGUINS, { ...SPEC, targets: { sex: { type: 'binary', positive: 'female' } } });
  same(d.target('sex').values.subarray(0, 4), [0, 1, 1, NaN]);
});

test('multiclass: sorted classes (numeric when all numbers), or exactly the classes given', () => {
  const mc = (values, spec = 'multiclass') => Dataset.fromColumns({ x: values.map(() => 0), y: values }, { features: { x: 'numeric' }, targets: { y: spec } }).target('y');
  const t = mc(['10', '2', '1', '', '2']);
  assert.deepEqual(t.classes, ['1', '2', '10']);
  same(t.values, [2, 1, 0, NaN, 1]);
  assert.deepEqual(mc(['b', 'B', 'a']).classes, ['B', 'a', 'b']); // code units, no locale
  const given = mc(['cat', 'dog'], { type: 'multiclass', classes: ['dog', 'cat', 'bird'] });
  assert.deepEqual(given.classes, ['dog', 'cat', 'bird']);
  same(given.values, [1, 0]);
  dataError(() => mc(['cat', 'cow'], { type: 'multiclass', classes: ['dog', 'cat'] }),
    /column "y", index 1: "cow" is not one of the classes given in the spec \("dog", "cat"\)/, { column: 'y', rowIndex: 1, value: 'cow' });
});

test('multilabel: one separated column → 0/1 per label; missing rows all NaN; none; arrays', () => {
  const d = Dataset.fromColumns(
    { x: [1, 2, 3, 4, 5], tags: ['b|a', '', 'c', 'none', 'a | c|'] },
    { features: { x: 'numeric' }, targets: { tags: { type: 'multilabel', none: 'none' } } });
  const t = d.target('tags');
  assert.equal(t.kind, 'multilabel');
  assert.equal(t.width, 3);
  assert.deepEqual(t.classes, ['a', 'b', 'c']);
  same(t.values, [1, 1, 0, NaN, NaN, NaN, 0, 0, 1, 0, 0, 0, 1, 0, 1]);
  assert.deepEqual(d.column('tags'), [['a', 'b'], null, ['c'], [], ['a', 'c']]);
  assert.deepEqual(d.spec.targets.tags, { type: 'multilabel', separator: '|', labels: ['a', 'b', 'c'], none: 'none' });
  const rows = Dataset.fromRows([{ x: 1, t: ['p'] }, { x: 2, t: [] }, { x: 3, t: null }, { x: 4, t: 'q;p' }],
    { features: { x: 'numeric' }, targets: { t: { type: 'multilabel', separator: ';', labels: ['q', 'p', 'r'] } } });
  same(rows.target('t').values, [0, 1, 0, 0, 0, 0, NaN, NaN, NaN, 1, 1, 0]);
  dataError(() => Dataset.fromColumns({ x: [1], t: ['a|z'] }, { features: { x: 'numeric' }, targets: { t: { type: 'multilabel', labels: ['a'] } } }),
    /column "t", index 0: "z" is not one of the labels given in the spec/);
  // none: '' — the empty cell (a tags column) is a labeled row with no label set; NA texts and null stay missing.
  const csv = Dataset.fromCSV('x,tags\n1,a\n2,\n3,NA\n4,  \n5,b|a\n', { features: { x: 'numeric' }, targets: { tags: { type: 'multilabel', none: '' } } });
  same(csv.target('tags').values, [1, 0, 0, 0, NaN, NaN, 0, 0, 1, 1]);
  assert.deepEqual(csv.spec.targets.tags, { type: 'multilabel', separator: '|', labels: ['a', 'b'], none: '' });
  const cols = Dataset.fromColumns({ x: [1, 2], tags: ['', null] }, { features: { x: 'numeric' }, targets: { tags: { type: 'multilabel', labels: ['a'], none: '' } } });
  same(cols.target('tags').values, [0, NaN]);
});

test('a target with no labels at all is an error naming it', () => {
  for (const type of ['binary', 'multiclass', 'multilabel', 'regression']) {
    dataError(() => Dataset.fromColumns({ x: [1, 2], y: ['', null] }, { features: { x: 'numeric' }, targets: { y: type } }),
      new RegExp(`target "y" \\(${type}\\) has no labels: its value is missing in all 2 rows`), { column: 'y' });
  }
});

// ---- split and select ----

test('split: seeded, disjoint, covering every row, shuffled; classes shared', () => {
  const d = penguins();
  const [train, test] = d.split(0.8, { seed: 1 });
  assert.equal(train.rows, 275);
  assert.equal(test.rows, 69);
  const a = train.sourceRows, b = test.sourceRows;
  const all = [...a, ...b].sort((x, y) => x - y);
  same(all, Array.from({ length: 344 }, (_, i) => i), 'the two parts cover every row once');
  assert.notDeepEqual(Array.from(a.subarray(0, 20)), Array.from({ length: 20 }, (_, i) => i), 'rows are shuffled');
  // Same seed, same split; another seed, another split; the default seed is 0.
  const [again] = d.split(0.8, { seed: 1 });
  same(again.sourceRows, a);
  assert.notDeepEqual(Array.from(d.split(0.8, { seed: 2 })[0].sourceRows), Array.from(a));
  same(d.split(0.8)[0].sourceRows, d.split(0.8, { seed: 0 })[0].sourceRows);
  // Rows keep their values; targets keep the whole data's classes.
  const bill = d.column('bill_length_mm');
  same(train.column('bill_length_mm'), Array.from(a, (r) => bill[r]));
  const sex = d.target('sex').values;
  same(test.target('sex').values, Array.from(b, (r) => sex[r]));
  assert.deepEqual(test.target('species').classes, ['Adelie', 'Chinstrap', 'Gentoo']);
  assert.deepEqual(train.spec, d.spec);
  // A split of a split maps back to the original rows.
  const [t1, t2] = test.split(0.5, { seed: 3 });
  assert.equal(t1.rows + t2.rows, 69);
  assert.ok([...t1.sourceRows, ...t2.sourceRows].every((r) => b.includes(r)));
});

test('split with stratify: each class (and the unlabeled rows) in the same proportion', () => {
  const d = penguins();
  const countsOf = (ds, name, k) => {
    const c = new Array(k + 1).fill(0);
    for (const v of ds.target(name).values) c[Number.isNaN(v) ? k : v]++;
    return c;
  };
  const [train, test] = d.split(0.8, { seed: 5, stratify: 'species' });
  // 152, 68, 124 → 121.6, 54.4, 99.2: floors 274, the largest remainder (Adelie) gets the 275th.
  assert.deepEqual(countsOf(train, 'species', 3), [122, 54, 99, 0]);
  assert.deepEqual(countsOf(test, 'species', 3), [30, 14, 25, 0]);
  // sex: 165 female, 168 male, 11 unlabeled → 132, 134.4, 8.8 → 132 + 134 + 9 = 275.
  const [s1, s2] = d.split(0.8, { seed: 5, stratify: 'sex' });
  assert.deepEqual(countsOf(s1, 'sex', 2), [132, 134, 9]);
  assert.deepEqual(countsOf(s2, 'sex', 2), [33, 34, 2]);
  // Disjoint and covering, and still shuffled (not grouped by class).
  same([...train.sourceRows, ...test.sourceRows].sort((x, y) => x - y), Array.from({ length: 344 }, (_, i) => i));
  const species = train.target('species').values;
  assert.ok(species.subarray(0, 30).some((v) => v !== species[0]), 'the first rows mix classes');
  // Plain split: the proportions drift; stratified: they hold for every seed.
  for (const seed of [0, 1, 2, 3]) {
    const [tr] = d.split(0.5, { seed, stratify: 'species' });
    assert.deepEqual(countsOf(tr, 'species', 3), [76, 34, 62, 0]);
  }
});

test('select: rows in the given order, repeats allowed', () => {
  const d = penguins();
  const s = d.select([343, 0, 0, 3]);
  assert.equal(s.rows, 4);
  same(s.sourceRows, [343, 0, 0, 3]);
  same(s.target('species').values, [2, 0, 0, 0]);
  same(s.column('bill_length_mm'), [49.9, 39.1, 39.1, NaN]);
  same(s.select(new Int32Array([1])).sourceRows, [0]);
  argError(() => d.select([0, 344]), /indices\[1\] must be an integer row index from 0 to 343, got 344/);
  argError(() => d.select([1.5]), /indices\[0\] must be an integer row index/);
  argError(() => d.select('0'), /indices must be an array of row indices/);
  shapeError(() => d.select([]), /no indices: a Dataset needs at least one row/);
});

test('split: bad arguments', () => {
  const d = penguins();
  for (const f of [0, 1, 1.5, -0.2, NaN, '0.8']) argError(() => d.split(f), /fraction must be a number between 0 and 1 \(exclusive\)/);
  argError(() => d.split(0.8, { seed: -1 }), /seed must be an integer from 0 to 4294967295, got -1/);
  argError(() => d.split(0.8, { seed: 1, shuffle: true }), /unknown option "shuffle" \(known: seed, stratify\)/);
  argError(() => d.split(0.8, { stratify: 'body_mass_g' }), /stratify must name a binary or multiclass target \("species", "sex"\), got "body_mass_g"/);
  argError(() => d.split(0.8, { stratify: 'island' }), /stratify must name a binary or multiclass target/);
  shapeError(() => d.select([0, 1]).split(0.1), /a fraction of 0.1 of 2 rows leaves the first part empty/);
  shapeError(() => d.select([0, 1]).split(0.9), /leaves the second part empty/);
});

// ---- errors at creation ----

test('spec errors: unknown columns (listing the available ones), a column in both roles, bad types and options', () => {
  argError(() => Dataset.fromCSV(PENGUINS, { features: { bill_len: 'numeric' } }),
    /Dataset\.fromCSV: unknown column "bill_len" in the spec \(the data has: "species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex"\)/);
  argError(() => Dataset.fromCSV(PENGUINS, { features: { island: 'categorical' }, targets: { Species: 'multiclass' } }), /unknown column "Species"/);
  argError(() => Dataset.fromRows([{ a: 1 }, { b: 2 }], { features: { c: 'numeric' } }), /unknown column "c" in the spec \(the data has: "a", "b"\)/);
  argError(() => Dataset.fromColumns({ a: [1] }, { features: { b: 'numeric' } }), /unknown column "b" in the spec \(the data has: "a"\)/);
  argError(() => Dataset.fromCSV(PENGUINS, { features: { island: 'categorical', sex: 'categorical' }, targets: { sex: 'binary' } }),
    /column "sex" is both a feature and a target/);
  argError(() => Dataset.fromCSV(PENGUINS, { features: { island: 'text' } }), /feature "island": unknown type "text" \(known: numeric, categorical\)/);
  argError(() => Dataset.fromCSV(PENGUINS, { features: { island: 'categorical' }, targets: { sex: 'binay' } }),
    /target "sex": unknown type "binay" \(known: binary, multiclass, multilabel, regression\)/);
  argError(() => Dataset.fromCSV(PENGUINS, { features: { bill_length_mm: { type: 'numeric', missing: 'avg' } } }),
    /feature "bill_length_mm": missing must be one of "mean", "median", "zero", got "avg"/);
  argError(() => Dataset.fromCSV(PENGUINS, { features: { bill_length_mm: { type: 'numeric', scale: true } } }),
    /feature "bill_length_mm" \(numeric\): unknown option "scale" \(known: type, missing\)/);
  argError(() => Dataset.fromCSV(PENGUINS, { features: { island: { type: 'categorical', unknown: 'ignore' } } }), /unknown must be one of "error", "other"/);
  argError(() => Dataset.fromCSV(PENGUINS, { features: { island: { unknown: 'other' } } }), /feature "island": unknown type undefined/);
  argError(() => Dataset.fromCSV(PENGUINS, { features: { island: 'categorical' }, targets: { sex: { type: 'binary', positive: ' male' } } }),
    /target "sex": positive must be a non-empty string without leading or trailing whitespace/);
  argError(() => Dataset.fromCSV(PENGUINS, { features: { island: 'categorical' }, targets: { species: { type: 'multiclass', classes: ['a', 'a'] } } }),
    /classes lists "a" twice/);
  argError(() => Dataset.fromCSV(PENGUINS, { features: { island: 'categorical' }, targets: { sex: { type: 'multilabel', separator: '' } } }), /separator must be/);
  argError(() => Dataset.fromCSV(PENGUINS, { features: { island: 'categorical' }, targets: { body_mass_g: { type: 'regression', scale: 2 } } }),
    /unknown option "scale" \(known: type\)/);
  argError(() => Dataset.fromCSV(PENGUINS, { features: { island: 'categorical' }, target: { sex: 'binary' } }),
    /unknown option "target" \(known: features, targets, naValues, delimiter\)/);
  argError(() => Dataset.fromRows([{ a: 1 }], { features: { a: 'numeric' }, delimiter: ';' }), /unknown option "delimiter"/);
  argError(() => Dataset.fromCSV(PENGUINS, { features: {} }), /features is empty/);
  argError(() => Dataset.fromCSV(PENGUINS, { targets: { sex: 'binary' } }), /features must be an object/);
  argError(() => Dataset.fromCSV(PENGUINS), /spec must be an object/);
  argError(() => Dataset.fromCSV(PENGUINS, { features: { island: 'categorical' }, naValues: 'NA' }), /naValues must be an array of strings/);
  argError(() => Dataset.fromCSV('a,a\n1,2', { features: { a: 'numeric' } }), /the header names column "a" more than once/);
  argError(() => Dataset.fromRows('rows', { features: { a: 'numeric' } }), /rows must be an array of objects/);
  argError(() => Dataset.fromRows([{ a: 1 }, 5], { features: { a: 'numeric' } }), /rows\[1\] must be an object, got 5/);
  argError(() => Dataset.fromColumns({ a: 'abc' }, { features: { a: 'numeric' } }), /column "a" must be an array or a typed array/);
  argError(() => penguins().target('island'), /Dataset\.target: no target "island" \(targets: "species", "sex", "body_mass_g"\)/);
  argError(() => penguins().column('mass'), /Dataset\.column: no column "mass"/);
});

test('data errors: mismatched column lengths, empty data, a feature key missing from a row, CSV errors', () => {
  shapeError(() => Dataset.fromColumns({ a: [1, 2, 3], b: ['x', 'y'] }, { features: { a: 'numeric', b: 'categorical' } }),
    /Dataset\.fromColumns: column "b" has 2 values but column "a" has 3/);
  shapeError(() => Dataset.fromCSV(PENGUINS.split('\n')[0] + '\n', SPEC), /Dataset\.fromCSV: the data has no rows/);
  shapeError(() => Dataset.fromRows([], { features: { a: 'numeric' } }), /Dataset\.fromRows: the data has no rows/);
  shapeError(() => Dataset.fromColumns({ a: [] }, { features: { a: 'numeric' } }), /Dataset\.fromColumns: the data has no rows/);
  dataError(() => Dataset.fromRows([{ a: 1, b: 'x' }, { b: 'y' }], { features: { a: 'numeric', b: 'categorical' } }),
    /Dataset\.fromRows: rows\[1\] has no key "a", a feature/, { column: 'a', rowIndex: 1 });
  dataError(() => Dataset.fromRows([{ a: {} }], { features: { a: 'categorical' } }), /column "a", rows\[0\]: expected a string, number or boolean/);
  expectError(() => Dataset.fromCSV('a,b\n1,2\n3', { features: { a: 'numeric' } }), CsvError, 'E_ARGUMENT', /Dataset\.fromCSV: line 3: expected 2 fields/, { props: { line: 3 } });
  expectError(() => Dataset.fromCSV('a;b\n1;"2', { features: { a: 'numeric' }, delimiter: ';' }), CsvError, 'E_ARGUMENT', /line 2: unterminated quoted field/);
  // The delimiter option reaches the parser.
  same(Dataset.fromCSV('a;b\n1,5;x\n2;y', { features: { b: 'categorical' }, targets: { a: 'multiclass' }, delimiter: ';' }).target('a').values, [0, 1]);
});

// ---- Preprocessor ----

test('Preprocessor: standardization, imputation and indicators against hand-computed values', () => {
  const d = Dataset.fromColumns({
    x: [1, 2, null, 5],                // observed 1, 2, 5: mean 8/3, population std √26/3, median 2
    c: [3, 3, 3, 3],                   // constant: std 1
    m: ['1', '2', '', '5'],
    z: [1, 2, NaN, 5],
    k: ['b', 'a', null, 'b'],
  }, { features: { x: 'numeric', c: 'numeric', m: { type: 'numeric', missing: 'median' }, z: { type: 'numeric', missing: 'zero' }, k: 'categorical' } });
  const p = Preprocessor.fit(d);
  assert.deepEqual(p.featureNames, ['x', 'x_missing', 'c', 'm', 'm_missing', 'z', 'z_missing', 'k=a', 'k=b', 'k_missing']);
  assert.equal(p.featureCount, 10);
  assert.deepEqual(p.inputColumns, ['x', 'c', 'm', 'z', 'k']);
  const s = Math.sqrt(26);
  const x = [-5 / s, -2 / s, 0, 7 / s];
  const m = [-5 / s, -2 / s, -2 / s, 7 / s];     // median 2 → (2 − 8/3)·3/√26
  const z = [-5 / s, -2 / s, -8 / s, 7 / s];     // raw 0 → (0 − 8/3)·3/√26
  const expected = [];
  for (let r = 0; r < 4; r++) {
    expected.push(x[r], r === 2 ? 1 : 0, 0, m[r], r === 2 ? 1 : 0, z[r], r === 2 ? 1 : 0,
      ...[[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]][r]);
  }
  const { features, rows } = p.transform(d);
  assert.equal(rows, 4);
  assert.ok(features instanceof Float32Array);
  same(features, Float32Array.from(expected));
  const xs = p.columns[0];
  assert.ok(Math.abs(xs.std - s / 3) < 1e-15, `std ${xs.std} vs √26/3`);
  assert.deepEqual({ ...xs, std: 0 }, { name: 'x', type: 'numeric', missing: 'mean', mean: 8 / 3, std: 0, fill: 8 / 3, indicator: true });
  // A constant column keeps its value: with maxDeviation, any other is refused.
  assert.deepEqual(p.columns[1], { name: 'c', type: 'numeric', missing: 'mean', mean: 3, std: 1, fill: 3, indicator: false, constant: 3 });
  assert.equal(p.columns[2].fill, 2);
  assert.equal(p.columns[3].fill, 0);
  assert.deepEqual(p.columns[4], { name: 'k', type: 'categorical', categories: ['a', 'b'], unknown: 'error', indicator: true });
  // Median of an even count: the mean of the middle two.
  const even = Preprocessor.fit(Dataset.fromColumns({ v: [4, 1, 3, 10, null] }, { features: { v: { type: 'numeric', missing: 'median' } } }));
  assert.equal(even.columns[0].fill, 3.5);
});

test('Preprocessor on penguins: statistics from the fit rows only; one-hot of island', () => {
  const d = penguins();
  const [train, test] = d.split(0.8, { seed: 1 });
  const p = Preprocessor.fit(train);
  assert.deepEqual(p.featureNames, [
    'bill_length_mm', 'bill_length_mm_missing', 'flipper_length_mm', 'flipper_length_mm_missing',
    'island=Biscoe', 'island=Dream', 'island=Torgersen',
  ].filter((n) => !n.endsWith('_missing') || countNaN(train.column(n.replace('_missing', ''))) > 0));
  // Hand-computed from the raw CSV text of the training rows.
  const { rows } = parseCSV(PENGUINS);
  const billTrain = Array.from(train.sourceRows, (r) => rows[r][2]).filter((v) => v !== '').map(Number);
  const mean = billTrain.reduce((a, v) => a + v, 0) / billTrain.length;
  const std = Math.sqrt(billTrain.reduce((a, v) => a + (v - mean) ** 2, 0) / billTrain.length);
  const bill = p.columns.find((c) => c.name === 'bill_length_mm');
  assert.ok(Math.abs(bill.mean - mean) < 1e-12 && Math.abs(bill.std - std) < 1e-12, `${bill.mean} ${bill.std} vs ${mean} ${std}`);
  const whole = Preprocessor.fit(d).columns[0];
  assert.notEqual(whole.mean, bill.mean, 'fitting on the whole data gives other statistics');
  // Transformed training features: observed values have mean 0 and std 1; one-hot rows sum to 1.
  const { features } = p.transform(train);
  const w = p.featureCount;
  const col0 = [];
  for (let r = 0; r < train.rows; r++) {
    if (!Number.isNaN(train.column('bill_length_mm')[r])) col0.push(features[r * w]);
    const off = p.featureNames.indexOf('island=Biscoe');
    assert.equal(features[r * w + off] + features[r * w + off + 1] + features[r * w + off + 2], 1);
  }
  const m0 = col0.reduce((a, v) => a + v, 0) / col0.length;
  const s0 = Math.sqrt(col0.reduce((a, v) => a + (v - m0) ** 2, 0) / col0.length);
  assert.ok(Math.abs(m0) < 1e-6 && Math.abs(s0 - 1) < 1e-6, `mean ${m0}, std ${s0}`);
  // Row 0 of the test part by hand.
  const r0 = test.sourceRows[0];
  const t = p.transform(test).features;
  const raw = rows[r0];
  if (raw[2] !== '') assert.equal(t[0], Math.fround((Number(raw[2]) - bill.mean) / bill.std));
  const island = ['Biscoe', 'Dream', 'Torgersen'].indexOf(raw[1]);
  const off = p.featureNames.indexOf('island=Biscoe');
  same(t.subarray(off, off + 3), [0, 1, 2].map((j) => (j === island ? 1 : 0)));
});

test('missing values only at transform time: imputed, no indicator', () => {
  const fit = Dataset.fromColumns({ x: [1, 3], k: ['a', 'b'] }, { features: { x: 'numeric', k: 'categorical' } });
  const p = Preprocessor.fit(fit);
  assert.deepEqual(p.featureNames, ['x', 'k=a', 'k=b']);
  const { features } = p.transform([{ x: null, k: null }, { x: '3', k: 'b' }, { x: undefined, k: '' }]);
  same(features, [0, 0, 0, 1, 0, 1, 0, 0, 0]);
});

test('a column constant in the fit data: std 1 (as StandardScaler), and with maxDeviation any other value is refused saying so, not "495 standard deviations (std 1.00)"', () => {
  const fit = Dataset.fromColumns({ x: [1, 3, 5, 7], k: [5, 5, 5, 5] }, { features: { x: 'numeric', k: 'numeric' } });
  const p = Preprocessor.fit(fit);
  assert.deepEqual(p.columns[1], { name: 'k', type: 'numeric', missing: 'mean', mean: 5, std: 1, fill: 5, indicator: false, constant: 5 });
  assert.equal(p.columns[0].constant, undefined);
  const rows = [{ x: 4, k: 5 }, { x: 4, k: 14 }]; // x: the mean, 0 encoded
  // 9 units off: within 10 "standard deviations" of std 1 — but the column never varied, and the model learned nothing of it.
  expectError(() => p.transform(rows, { maxDeviation: 10 }), OutOfRangeError, 'E_ARGUMENT',
    /^Preprocessor\.transform: column "k", rows\[1\]: the value 14 is not 5, the column's only value in training: maxDeviation refuses any other$/,
    { props: { column: 'k', rowIndex: 1, value: '14', limit: 10, deviations: Infinity } });
  expectError(() => p.transform([{ x: 4, k: 4.999 }], { maxDeviation: 1e6 }), OutOfRangeError, 'E_ARGUMENT', /the value 4\.999 is not 5/, { props: { deviations: -Infinity } });
  // The constant itself, however written, and a missing value pass; without maxDeviation nothing is checked, as before.
  same(p.transform([{ x: 4, k: '5.0' }, { x: 4, k: null }], { maxDeviation: 10 }).features, [0, 0, 0, 0]);
  same(p.transform(rows).features, [0, 0, 0, 9]);
  // Through JSON (a model file): kept, and checked.
  const q = Preprocessor.fromJSON(JSON.stringify(p));
  assert.equal(q.columns[1].constant, 5);
  assert.throws(() => q.transform(rows, { maxDeviation: 10 }), OutOfRangeError);
  const json = p.toJSON();
  json.columns[1].constant = 'five';
  argError(() => Preprocessor.fromJSON(json), /columns\[1\]\.constant must be a finite number, got "five"/);
  // Files written before it have no constant: as before, 14 is 9 "standard deviations" away.
  delete json.columns[1].constant;
  same(Preprocessor.fromJSON(json).transform(rows, { maxDeviation: 10 }).features, [0, 0, 0, 9]);
});

test('unseen categories: an error naming the column, row, line, value and known categories; or the "other" bucket', () => {
  const fit = Dataset.fromColumns({ island: ['Dream', 'Biscoe'] }, { features: { island: 'categorical' } });
  const p = Preprocessor.fit(fit);
  const text = 'island\nDream\nBiscoe\n\nAtlantis\n';
  const d = Dataset.fromCSV(text, { features: { island: 'categorical' } });
  expectError(() => p.transform(d), UnknownCategoryError, 'E_ARGUMENT',
    [/Preprocessor\.transform: column "island", row 3 \(line 5\): unknown category "Atlantis" \(known: "Biscoe", "Dream"\)/, /unknown: 'other'/],
    { props: { column: 'island', rowIndex: 2, line: 5, value: 'Atlantis', known: ['Biscoe', 'Dream'] } });
  expectError(() => p.transform([{ island: 'Dream' }, { island: 'Torgersen' }]), UnknownCategoryError, 'E_ARGUMENT',
    /column "island", rows\[1\]: unknown category "Torgersen" \(known: "Biscoe", "Dream"\)/, { props: { rowIndex: 1, line: undefined } });
  const fitOther = Dataset.fromColumns({ island: ['Dream', 'Biscoe', null] }, { features: { island: { type: 'categorical', unknown: 'other' } } });
  const q = Preprocessor.fit(fitOther);
  assert.deepEqual(q.featureNames, ['island=Biscoe', 'island=Dream', 'island_other', 'island_missing']);
  same(q.transform(fitOther).features, [0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1], 'on the fit data the other bucket is 0');
  same(q.transform(d).features, [0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0]);
});

test('transform of raw objects equals transform of the Dataset for the same rows', () => {
  const d = penguins();
  const [train, test] = d.split(0.7, { seed: 9 });
  const spec = { ...SPEC, features: { ...SPEC.features, sex: { type: 'categorical', unknown: 'other' } }, targets: { species: 'multiclass' } };
  const d2 = Dataset.fromCSV(PENGUINS, spec);
  const tr2 = d2.select(train.sourceRows), te2 = d2.select(test.sourceRows);
  const p = Preprocessor.fit(tr2);
  assert.deepEqual(p.featureNames.filter((n) => n.startsWith('sex')).slice(0, 3), ['sex=female', 'sex=male', 'sex_other']);
  const { header, rows } = parseCSV(PENGUINS);
  const asText = Array.from(te2.sourceRows, (r) => Object.fromEntries(header.map((h, j) => [h, rows[r][j]])));
  const asValues = asText.map((o) => ({
    ...o, bill_length_mm: o.bill_length_mm === '' ? null : Number(o.bill_length_mm),
    flipper_length_mm: o.flipper_length_mm === '' ? undefined : Number(o.flipper_length_mm), extra: [1, 2],
  }));
  const fromDataset = p.transform(te2);
  assert.equal(fromDataset.rows, te2.rows);
  for (const objs of [asText, asValues]) {
    const fromObjects = p.transform(objs);
    assert.equal(fromObjects.rows, te2.rows);
    same(fromObjects.features, fromDataset.features);
  }
  // A missing feature key, a bad value, not rows.
  const { island: _, ...noIsland } = asValues[0];
  dataError(() => p.transform([asValues[0], noIsland]), /Preprocessor\.transform: rows\[1\] has no key "island" \(every row needs the features "bill_length_mm", "flipper_length_mm", "island", "sex"/,
    { column: 'island', rowIndex: 1 });
  dataError(() => p.transform([{ ...asValues[0], flipper_length_mm: 'long' }]), /column "flipper_length_mm", rows\[0\]: expected a number, got "long"/, { value: 'long' });
  argError(() => p.transform([null]), /rows\[0\] must be an object, got null/);
  argError(() => p.transform('rows'), /expected a Dataset or an array of row objects/);
  shapeError(() => p.transform([]), /no rows/);
  argError(() => p.transform(Dataset.fromColumns({ island: ['Dream'] }, { features: { island: 'categorical' } })), /the Dataset has no feature "bill_length_mm"/);
  argError(() => p.transform(Dataset.fromColumns({ bill_length_mm: ['1'], flipper_length_mm: [1], island: ['Dream'], sex: [1] },
    { features: { bill_length_mm: 'categorical', flipper_length_mm: 'numeric', island: 'categorical', sex: 'categorical' } })),
  /feature "bill_length_mm" is categorical in the Dataset but was fitted as numeric/);
  argError(() => Preprocessor.fit([{ a: 1 }]), /Preprocessor\.fit: expected a Dataset/);
});

test('naValues carry from the fit Dataset to transform of raw objects', () => {
  const d = Dataset.fromCSV('x,k\n1,a\nNA,b\n3,NA\n', { features: { x: 'numeric', k: 'categorical' }, naValues: ['NA'] });
  const p = Preprocessor.fit(d);
  assert.deepEqual(p.featureNames, ['x', 'x_missing', 'k=a', 'k=b', 'k_missing']);
  // x: observed 1, 3 → mean 2, std 1; 'NA' → imputed 2 → 0, indicator 1. k: 'NA' → no category, indicator 1.
  same(p.transform([{ x: 'NA', k: 'NA' }]).features, [0, 1, 0, 0, 1]);
  same(p.transform(d).features, [-1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1]);
  const back = Preprocessor.fromJSON(JSON.stringify(p));
  same(back.transform([{ x: 'NA', k: 'a' }]).features, [0, 1, 1, 0, 0]);
});

test('a number among naValues is missing however it comes: other text for it in a file, the number in a row', () => {
  const d = Dataset.fromCSV('x,k\n1,a\n-999,b\n3,a\n-999.0,b\n-9.99e2,a\n-999.5,b\n', { features: { x: 'numeric', k: 'categorical' }, naValues: ['-999', 'NA'] });
  assert.deepEqual(Array.from(d.column('x')), [1, NaN, 3, NaN, NaN, -999.5]);
  const rows = Dataset.fromRows([{ x: -999, k: 'a' }, { x: '-999', k: 'b' }, { x: 2, k: 'a' }], { features: { x: 'numeric', k: 'categorical' }, naValues: ['-999'] });
  assert.deepEqual(Array.from(rows.column('x')), [NaN, NaN, 2]);
  // A model's preprocessing keeps the list: the number −999 in a JSON row predicts as the missing value it stands for.
  const p = Preprocessor.fit(d);
  const missing = p.transform([{ x: null, k: 'a' }]).features;
  same(p.transform([{ x: -999, k: 'a' }]).features, Array.from(missing));
  same(Preprocessor.fromJSON(JSON.stringify(p)).transform([{ x: -999, k: 'a' }]).features, Array.from(missing));
  // Without a number in the list (the default one), −999 is a value.
  assert.deepEqual(Array.from(Dataset.fromRows([{ x: -999 }], { features: { x: 'numeric' } }).column('x')), [-999]);
  // A categorical cell is text: '-999.0' is not '-999'.
  assert.deepEqual(Array.from(Dataset.fromCSV('k\n-999\n-999.0\n', { features: { k: 'categorical' }, naValues: ['-999'] }).column('k')), [null, '-999.0']);
});

test('toJSON / fromJSON round-trip exactly (through JSON text)', () => {
  const d = Dataset.fromCSV(PENGUINS, {
    features: {
      bill_length_mm: 'numeric', bill_depth_mm: { type: 'numeric', missing: 'median' }, flipper_length_mm: { type: 'numeric', missing: 'zero' },
      island: { type: 'categorical', unknown: 'other' }, sex: 'categorical',
    },
  });
  const [train, test] = d.split(0.8, { seed: 4 });
  const p = Preprocessor.fit(train);
  const json = p.toJSON();
  assert.equal(json.format, 'manytask.preprocessor');
  assert.equal(json.version, 1);
  const text = JSON.stringify(p);
  for (const q of [Preprocessor.fromJSON(JSON.parse(text)), Preprocessor.fromJSON(text), Preprocessor.fromJSON(json)]) {
    assert.deepEqual(q.toJSON(), json);
    assert.equal(JSON.stringify(q), text);
    assert.deepEqual(q.featureNames, p.featureNames);
    const a = p.transform(test).features, b = q.transform(test).features;
    assert.deepEqual(new Uint32Array(a.buffer), new Uint32Array(b.buffer), 'bit-identical features');
  }
  // toJSON is a copy: changing it changes nothing.
  json.columns[0].mean = 0;
  assert.notEqual(p.toJSON().columns[0].mean, 0);
  assert.throws(() => p.featureNames.push('x'), TypeError);
});

test('fromJSON: bad input names what is wrong', () => {
  const good = Preprocessor.fit(Dataset.fromColumns({ x: [1, 2], k: ['a', 'b'] }, { features: { x: 'numeric', k: 'categorical' } })).toJSON();
  const with_ = (f) => { const j = JSON.parse(JSON.stringify(good)); f(j); return j; };
  argError(() => Preprocessor.fromJSON('{nope'), /Preprocessor\.fromJSON: the text is not JSON/);
  argError(() => Preprocessor.fromJSON(with_((j) => { j.format = 'other'; })), /format must be "manytask\.preprocessor"/);
  argError(() => Preprocessor.fromJSON(with_((j) => { j.version = 2; })), /version must be 1/);
  argError(() => Preprocessor.fromJSON(with_((j) => { j.columns[0].std = 0; })), /columns\[0\]\.std must be > 0, got 0/);
  argError(() => Preprocessor.fromJSON(with_((j) => { j.columns[0].mean = 'x'; })), /columns\[0\]\.mean must be a finite number/);
  argError(() => Preprocessor.fromJSON(with_((j) => { j.columns[0].missing = 'mode'; })), /columns\[0\]\.missing must be "mean", "median" or "zero"/);
  argError(() => Preprocessor.fromJSON(with_((j) => { delete j.columns[0].fill; })), /columns\[0\] lacks "fill"/);
  argError(() => Preprocessor.fromJSON(with_((j) => { j.columns[1].extra = 1; })), /columns\[1\] has an unknown key "extra"/);
  argError(() => Preprocessor.fromJSON(with_((j) => { j.columns[1].categories = ['a', 'a']; })), /columns\[1\]\.categories has a value twice/);
  argError(() => Preprocessor.fromJSON(with_((j) => { j.columns[1].type = 'text'; })), /columns\[1\]\.type must be "numeric" or "categorical"/);
  argError(() => Preprocessor.fromJSON(with_((j) => { j.columns[1].name = 'x'; })), /columns\[1\]\.name "x" appears twice/);
  argError(() => Preprocessor.fromJSON(with_((j) => { j.columns = []; })), /columns must be a non-empty array/);
  argError(() => Preprocessor.fromJSON(with_((j) => { j.columns[0].name = 'k=a'; j.columns[1].name = 'k'; })), /two encoded features would both be named "k=a"/);
});

test('fitting needs values: a feature column missing in every fit row is an error naming it', () => {
  const d = Dataset.fromColumns({ x: [null, null], k: ['a', 'b'] }, { features: { x: 'numeric', k: 'categorical' } });
  dataError(() => Preprocessor.fit(d), /Preprocessor\.fit: numeric column "x" has no values in the fit data \(all 2 rows are missing\)/, { column: 'x' });
  const e = Dataset.fromColumns({ x: [1, 2], k: [null, ''] }, { features: { x: 'numeric', k: 'categorical' } });
  dataError(() => Preprocessor.fit(e), /categorical column "k" has no values in the fit data/);
});
