// The `manytask` command as a user runs it: train on the bundled CSV, eval, predict, and its errors;
// real files as they come (NA tokens, ; and tab delimiters, vega-datasets' cars, Latin-1, a huge file);
// the schema it prints and stores; its flags, exit codes and progress display.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, run, describeRun, withTempDir } from './helpers/process.js';
import { PENGUINS_CSV, penguinsWith, toCsv, vegaTable, latin1 } from '../helpers/csv-files.js';
import { parseFile } from '../helpers/model-file.js';

const CLI = join(REPO, 'dist', 'cli.js');
const CSV = join(REPO, 'examples', 'data', 'penguins.csv');
const cli = (args, cwd) => run(process.execPath, [CLI, ...args], { cwd, timeoutMs: 60_000 });
const VERSION = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')).version;

const withDir = (fn) => withTempDir('manytask-cli-', fn);

/** The header of a saved model file (its JSON: schema, preprocessing, metadata). */
const modelHeader = async (path) => parseFile(new Uint8Array(await readFile(path))).header;

/** The preprocessing columns of a saved model: name → numeric, or categorical with its levels. */
async function modelInputs(path) {
  const { preprocessor } = await modelHeader(path);
  return Object.fromEntries(preprocessor.columns.map((c) => [c.name, c.type === 'numeric' ? 'numeric' : `categorical(${c.categories.length})`]));
}

test('manytask train → eval → predict on the penguins CSV', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'manytask-cli-'));
  try {
    const model = join(dir, 'penguins.mtsk');
    let r = await cli(['train', CSV, '--task', 'species:multiclass', '--task', 'sex:binary', '--task', 'body_mass_g:regression',
      '--arch', 'mmoe', '--epochs', '30', '--quiet', '--weights', 'f16', '--out', model], dir);
    assert.equal(r.code, 0, describeRun('train', r));
    assert.match(r.stdout, /validation \(69 random rows, seed 0\)/);
    assert.match(r.stdout, /species\s+69\s/);
    assert.match(r.stdout, /task affinity/);
    assert.match(r.stdout, /suggested groups: \{/);
    assert.match(r.stdout, /saved .*penguins\.mtsk \(\d+\.\d KB\)/);
    assert.ok((await stat(model)).size > 1000);

    r = await cli(['eval', model, CSV], dir);
    assert.equal(r.code, 0, describeRun('eval', r));
    const speciesLine = r.stdout.split('\n').find((l) => l.startsWith('species'));
    const accuracy = Number(speciesLine.trim().split(/\s+/)[3]);
    assert.ok(accuracy > 0.9, `species accuracy on the training CSV: ${accuracy}\n${r.stdout}`);

    const out = join(dir, 'pred.csv');
    r = await cli(['predict', model, CSV, '--out', out], dir);
    assert.equal(r.code, 0, describeRun('predict', r));
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    assert.equal(lines[0], 'row,species,species_confidence,sex,sex_confidence,body_mass_g');
    assert.equal(lines.length, 345);
    assert.match(lines[1], /^1,(Adelie|Chinstrap|Gentoo),[01]\.\d+,(female|male),[01]\.\d+,\d+(\.\d+)?$/);

    r = await cli(['predict', model, CSV, '--out', join(dir, 'pred.json')], dir);
    assert.equal(r.code, 0, describeRun('predict json', r));
    const json = JSON.parse(await readFile(join(dir, 'pred.json'), 'utf8'));
    assert.equal(json.length, 344);
    assert.ok(json[0].body_mass_g > 2000 && json[0].body_mass_g < 7000, `body mass ${json[0].body_mass_g} g`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('distribution tasks from the command line: gaussian, poisson and quantile train, report their metrics, predict intervals; a text column is refused', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    // Counts for the poisson task: the bill's length in whole millimetres above 30 (0 to 30).
    const [head, ...csvLines] = PENGUINS_CSV.trim().split('\n');
    const names = head.split(',');
    const counts = toCsv(csvLines.map((line) => {
      const { bill_length_mm: bill, ...row } = Object.fromEntries(line.split(',').map((v, i) => [names[i], v]));
      return { ...row, bill_mm_over_30: bill === '' ? '' : String(Math.floor(Number(bill)) - 30) };
    }));
    const file = join(dir, 'penguins-counts.csv');
    await writeFile(file, counts);
    const model = join(dir, 'dist.mtsk');
    let r = await cli(['train', file, '--task', 'body_mass_g:gaussian', '--task', 'bill_mm_over_30:poisson', '--task', 'flipper_length_mm:quantile',
      '--arch', 'sharedBottom', '--epochs', '40', '--quiet', '--out', model], dir);
    assert.equal(r.code, 0, describeRun('train', r));
    assert.match(r.stdout, /body_mass_g\s+task\s+gaussian \(a distribution of the numbers\)/);
    assert.match(r.stdout, /bill_mm_over_30\s+task\s+poisson/);
    r = await cli(['eval', model, file], dir);
    assert.equal(r.code, 0, describeRun('eval', r));
    const [header, , ...rows] = r.stdout.trim().split('\n');
    const columns = header.trim().split(/\s+/);
    for (const m of ['nll', 'pinball', 'coverage', 'intervalWidth', 'mae']) assert.ok(columns.includes(m), `eval's table lacks ${m}: ${header}`);
    const cell = (task, metric) => Number(rows.find((l) => l.startsWith(task)).slice(header.indexOf(metric) - 2, header.indexOf(metric) + metric.length).trim());
    for (const task of ['body_mass_g', 'bill_mm_over_30', 'flipper_length_mm']) {
      const coverage = cell(task, 'coverage');
      assert.ok(coverage > 0.6 && coverage <= 1, `${task}: coverage ${coverage} of its 90% interval\n${r.stdout}`);
    }
    const out = join(dir, 'pred.csv');
    r = await cli(['predict', model, file, '--out', out], dir);
    assert.equal(r.code, 0, describeRun('predict', r));
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    assert.equal(lines[0], 'row,body_mass_g,body_mass_g_lower,body_mass_g_upper,bill_mm_over_30,bill_mm_over_30_lower,bill_mm_over_30_upper,' +
      'flipper_length_mm_q0.05,flipper_length_mm_q0.5,flipper_length_mm_q0.95');
    for (const line of lines.slice(1)) {
      const v = line.split(',').map(Number);
      assert.ok(v[2] <= v[1] && v[1] <= v[3] && v[5] <= v[4] && v[4] <= v[6] && v[7] <= v[8] && v[8] <= v[9], `an interval out of order: ${line}`);
    }
    r = await cli(['train', file, '--task', 'species:gaussian', '--quiet', '--out', model], dir);
    assert.equal(r.code, 2, describeRun('train species:gaussian', r));
    assert.match(r.stderr, /--task species:gaussian: column "species" is not numeric \(e\.g\. "Adelie"\): a gaussian task needs numbers/);
  });
});

test('manytask explains bad usage and bad files, with exit codes 2 and 1', { timeout: 60_000 }, async () => {
  // No command is a usage error like the others: the usage on standard error, exit code 2.
  let r = await cli([]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^manytask — multi-task learning from CSV files\n\nUsage:/);
  r = await cli(['--bogus']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'manytask: unknown option --bogus\n(manytask --help lists the commands and options)\n');
  r = await cli(['train', CSV, '--task', 'sex:binary', '--epochs', '3', '--validation-split', '0.999']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--validation-split 0\.999 of 344 rows leaves no training rows/);
  r = await cli(['train', CSV, '--task', 'species:colour']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--task species:colour: expected <column>:<kind>/);
  r = await cli(['train', CSV, '--task', 'wingspan:regression']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no column "wingspan" \(columns: "species", "island"/);
  r = await cli(['train', CSV, '--task', 'sex:binary', '--arch', 'transformer']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--arch must be sharedBottom, mmoe, omoe, cgc, ple or crossStitch/);
  r = await cli(['train', CSV, '--task', 'sex:binary', '--epoch', '3']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option --epoch for train/);
  r = await cli(['train', 'no-such.csv', '--task', 'sex:binary']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot read no-such\.csv: no such file/);
  r = await cli(['eval', CSV, CSV]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /not a usable manytask model file: it does not start with the "MTSK" magic/);
  r = await cli(['train', CSV, '--task', 'sex:binary', '--weights', 'f8']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--weights must be f32, f16 or int8, got "f8"/);
  r = await cli(['train', CSV, '--task', 'island:multiclass', '--feature', 'bill_length_mm', '--epochs', '1', '--quiet', '--weighting', 'magic']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--weighting must be one of fixed/);
});

test('NA, ; and tab files of the penguins train the same model as the empty-cell file: numbers stay numbers, the schema is printed and stored', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    const files = {
      empty: PENGUINS_CSV, NA: penguinsWith('NA'), 'semicolon-NA': penguinsWith('NA', ';'), 'tab-?': penguinsWith('?', '\t'),
    };
    const models = {};
    for (const [name, text] of Object.entries(files)) {
      await writeFile(join(dir, `${name}.csv`), text);
      const r = await cli(['train', `${name}.csv`, '--task', 'species:multiclass', '--task', 'sex:binary', '--arch', 'sharedBottom',
        '--epochs', '5', '--quiet', '--out', `${name}.mtsk`], dir);
      assert.equal(r.code, 0, describeRun(`train ${name}`, r));
      // The schema, before training: every column, its role and type.
      assert.match(r.stdout, new RegExp(`^${name.replace('?', '\\?')}\\.csv: 344 rows, 7 columns, delimiter ${name.startsWith('tab') ? 'tab' : name.startsWith('semi') ? '";"' : '","'}, missing: empty, NA, N/A, n/a, null, NULL, NaN, nan, \\?\\n`));
      assert.match(r.stdout, /\n {2}species {12}task {5}multiclass, 3 classes\n {2}island {13}feature {2}categorical, 3 levels\n {2}bill_length_mm {5}feature {2}numeric, 2 missing\n/);
      assert.match(r.stdout, /\n {2}sex {16}task {5}binary \(female \/ male; positive: male\), 11 rows without a label\n/);
      assert.ok(r.stdout.indexOf('bill_length_mm') < r.stdout.indexOf('trained 5 epochs'), 'the schema comes before training');
      models[name] = await readFile(join(dir, `${name}.mtsk`));
    }
    // Same data, same seed: the same file, byte for byte (and ~14 KB, not the 224 KB of one-hot numbers).
    for (const name of Object.keys(files)) assert.ok(models[name].equals(models.empty), `${name}.mtsk differs from empty.mtsk`);
    assert.ok(models.NA.length < 20_000, `the model is ${models.NA.length} bytes`);
    assert.deepEqual(await modelInputs(join(dir, 'NA.mtsk')), {
      island: 'categorical(3)', bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', body_mass_g: 'numeric',
    });
    // The schema is stored in the model's metadata; the file's path is not.
    const { metadata } = await modelHeader(join(dir, 'NA.mtsk'));
    assert.deepEqual(Object.keys(metadata), ['schema']);
    assert.deepEqual(metadata.schema.naValues, ['NA', 'N/A', 'n/a', 'null', 'NULL', 'NaN', 'nan', '?']);
    assert.deepEqual(metadata.schema.columns.map((c) => `${c.name}:${c.role}:${c.kind}:${c.levels ?? ''}`), [
      'species:task:multiclass:3', 'island:feature:categorical:3', 'bill_length_mm:feature:numeric:', 'bill_depth_mm:feature:numeric:',
      'flipper_length_mm:feature:numeric:', 'body_mass_g:feature:numeric:', 'sex:task:binary:2',
    ]);
    assert.ok(!JSON.stringify(await modelHeader(join(dir, 'NA.mtsk'))).includes(dir), 'the model file names the directory it was trained in');

    // A value the training file never had (39.15) predicts; NA cells are missing, as in training.
    await writeFile(join(dir, 'new.csv'), 'species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex\nAdelie,Dream,39.15,18.2,NA,3700,NA\n');
    const r = await cli(['predict', 'NA.mtsk', 'new.csv'], dir);
    assert.equal(r.code, 0, describeRun('predict', r));
    assert.match(r.stdout, /^row,species,species_confidence,sex,sex_confidence\n1,(Adelie|Chinstrap|Gentoo),[01]\.\d+,(female|male),[01]\.\d+\n$/);
  });
});

test('vega-datasets cars: the name and the year are left out with a note; --feature, --ignore and --na change the schema', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, 'cars.csv'), toCsv(vegaTable('cars')));
    const train = (...extra) => cli(['train', 'cars.csv', '--task', 'Miles_per_Gallon:regression', '--task', 'Origin:multiclass', '--epochs', '3', '--quiet', ...extra], dir);
    let r = await train('--out', 'cars.mtsk');
    assert.equal(r.code, 0, describeRun('train cars', r));
    assert.match(r.stdout, /\n {2}Name {14}ignored {2}text with a different value on most rows \(311 distinct in 406\).*To use it: --feature Name:categorical\n/);
    assert.match(r.stdout, /\n {2}Year {14}ignored {2}dates \(e\.g\. 1970-01-01\).*To use it: --feature Year:categorical\n/);
    assert.match(r.stdout, /\n {2}Horsepower {8}feature {2}numeric, 6 missing\n/);
    assert.match(r.stdout, /\n {2}Miles_per_Gallon {2}task {5}regression, 8 rows without a label\n/);
    assert.deepEqual(await modelInputs(join(dir, 'cars.mtsk')), {
      Cylinders: 'numeric', Displacement: 'numeric', Horsepower: 'numeric', Weight_in_lbs: 'numeric', Acceleration: 'numeric',
    });

    r = await train('--feature', 'Year:categorical', '--feature', 'Cylinders:categorical', '--ignore', 'Horsepower', '--out', 'cars2.mtsk');
    assert.equal(r.code, 0, describeRun('train cars with --feature and --ignore', r));
    assert.match(r.stdout, /\n {2}Horsepower {8}ignored {2}--ignore\n/);
    assert.match(r.stdout, /\n {2}Year {14}feature {2}categorical, 12 levels\n/);
    assert.deepEqual(await modelInputs(join(dir, 'cars2.mtsk')), {
      Cylinders: 'categorical(5)', Displacement: 'numeric', Weight_in_lbs: 'numeric', Acceleration: 'numeric', Year: 'categorical(12)',
    });
    const stored = (await modelHeader(join(dir, 'cars2.mtsk'))).metadata.schema.columns;
    assert.deepEqual(stored.find((c) => c.name === 'Horsepower'), { name: 'Horsepower', role: 'ignored', missing: 6, note: '--ignore' });

    // Mistakes are named by the flag the user typed.
    const mistakes = [
      [['--task', 'Origin:binary'], /--task Origin:binary: column "Origin" has 3 values \("Europe", "Japan", "USA"\): a binary task takes two; use Origin:multiclass/],
      [['--task', 'Name:regression'], /--task Name:regression: column "Name" is not numeric \(e\.g\. "chevrolet chevelle malibu"\)/],
      [['--task', 'Origin:multiclass', '--feature', 'Name:numeric'], /--feature Name:numeric: column "Name" is not numeric/],
      [['--task', 'Origin:multiclass', '--ignore', 'Colour'], /--ignore Colour: cars\.csv has no column "Colour" \(columns: "Name", "Miles_per_Gallon"/],
      [['--task', 'Origin:multiclass', '--ignore', 'Origin'], /--ignore Origin: "Origin" is a task/],
      [['--task', 'Origin:multiclass', '--feature', 'Year:date'], /--feature Year:date: the type must be numeric or categorical, got "date"/],
      [['--task', 'Origin:multiclass', '--delimiter', ';;'], /--delimiter must be one character/],
    ];
    for (const [args, pattern] of mistakes) {
      r = await cli(['train', 'cars.csv', ...args, '--epochs', '1', '--quiet'], dir);
      assert.equal(r.code, 2, describeRun(args.join(' '), r));
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /Dataset|spec|fromCSV/);
    }
  });
});

test('--embed and --one-hot: car names as identifiers (a table of floats per name), embedded by default above 50 levels, kept one-hot on demand; mistakes named', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, 'cars.csv'), toCsv(vegaTable('cars')));
    const train = (...extra) => cli(['train', 'cars.csv', '--task', 'Miles_per_Gallon:regression', '--epochs', '2', '--quiet', ...extra], dir);
    const embedOf = async (file) => Object.fromEntries((await modelHeader(join(dir, file))).preprocessor.columns.filter((c) => c.embed).map((c) => [c.name, c.embed]));
    // The names (left out by default: text that differs on most rows) as identifiers, in a table named "car".
    let r = await train('--embed', 'Name:4:car', '--out', 'named.mtsk');
    assert.equal(r.code, 0, describeRun('train --embed Name:4:car', r));
    assert.match(r.stdout, /\n {2}Name {14}feature {2}categorical, 311 levels, embedded: 4 floats per level \(table car\)\n/);
    assert.deepEqual(await embedOf('named.mtsk'), { Name: { dim: 4, table: 'car' } });
    assert.deepEqual((await modelHeader(join(dir, 'named.mtsk'))).metadata.schema.columns.find((c) => c.name === 'Name').embed, { dim: 4, table: 'car' });
    r = await cli(['predict', 'named.mtsk', 'cars.csv', '--out', 'p.json'], dir);
    assert.equal(r.code, 0, describeRun('predict with the embedded names', r));
    // --feature Name:categorical: 311 levels, embedded by default with min(50, ⌈1.6·311^0.56⌉) = 40 floats.
    r = await train('--feature', 'Name:categorical', '--out', 'auto.mtsk');
    assert.equal(r.code, 0, describeRun('train --feature Name:categorical', r));
    assert.match(r.stdout, /\n {2}Name {14}feature {2}categorical, 311 levels, embedded: 40 floats per level\n/);
    assert.deepEqual(await embedOf('auto.mtsk'), { Name: { dim: 40, table: 'Name' } });
    // --one-hot keeps it one-hot (the printed schema says so; unseen names in the validation rows then stop training, as one-hot columns do).
    r = await train('--one-hot', 'Name', '--feature', 'Origin:categorical', '--one-hot', 'Origin', '--out', 'onehot.mtsk');
    assert.match(r.stdout, /\n {2}Name {14}feature {2}categorical, 311 levels\n/);
    const mistakes = [
      [['--embed', 'Name'], /--embed Name: expected <column>:<dim>\[:<table>\] with dim an integer from 1 to 4096/],
      [['--embed', 'Name:0'], /--embed Name:0: expected <column>:<dim>/],
      [['--embed', 'Name:4:a.b'], /--embed Name:4:a\.b: the table name must be non-empty, without "\."/],
      [['--embed', 'Colour:4'], /--embed Colour:4: cars\.csv has no column "Colour"/],
      [['--embed', 'Miles_per_Gallon:4'], /--embed Miles_per_Gallon:4: "Miles_per_Gallon" is a task/],
      [['--feature', 'Horsepower:numeric', '--embed', 'Horsepower:4'], /--embed Horsepower:4: "Horsepower" is given as --feature Horsepower:numeric/],
      [['--embed', 'Name:4', '--one-hot', 'Name'], /--one-hot Name: "Name" is given --embed or --one-hot twice/],
      [['--embed', 'Name:4', '--ignore', 'Name'], /--ignore Name: "Name" is also given with --feature, --embed or --one-hot/],
      [['--embed', 'Name:4:Origin', '--embed', 'Origin:3'], /features "Name" and "Origin" share the embedding table "Origin" but ask for dim 4 and 3/],
    ];
    for (const [args, pattern] of mistakes) {
      r = await train(...args);
      assert.equal(r.code, /share the embedding table/.test(pattern.source) ? 1 : 2, describeRun(args.join(' '), r));
      assert.match(r.stderr, pattern);
    }
  });
});

test('--na: vega penguins write "." for a missing sex; the default keeps it a value, --na . makes it missing, eval and predict reuse the choice', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, 'penguins.csv'), toCsv(vegaTable('penguins')));
    let r = await cli(['train', 'penguins.csv', '--task', 'Sex:binary', '--epochs', '1', '--quiet'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--task Sex:binary: column "Sex" has 3 values \("\.", "FEMALE", "MALE"\)/);
    r = await cli(['train', 'penguins.csv', '--task', 'Sex:binary', '--task', 'Species:multiclass', '--na', '.', '--epochs', '3', '--quiet', '--out', 'p.mtsk'], dir);
    assert.equal(r.code, 0, describeRun('train --na .', r));
    assert.match(r.stdout, /missing: empty, \.\n/);
    assert.match(r.stdout, /\n {2}Sex +task {5}binary \(FEMALE \/ MALE; positive: MALE\), 11 rows without a label\n/);
    assert.deepEqual((await modelHeader(join(dir, 'p.mtsk'))).metadata.schema.naValues, ['.']);
    // eval reads "." as missing (the model's choice): the one "." row has no label.
    r = await cli(['eval', 'p.mtsk', 'penguins.csv'], dir);
    assert.equal(r.code, 0, describeRun('eval', r));
    assert.match(r.stdout, /\nSex\s+333\s/);
  });
});

test('pandas\' unnamed index and a penguin_id column are left out as row numbers, with notes; the model saved loads; --feature keeps an id, not an unnamed column', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    const lines = PENGUINS_CSV.trim().split('\n');
    // df.to_csv(): the index as an unnamed first column (0 … 343), as pandas writes it.
    await writeFile(join(dir, 'pandas.csv'), lines.map((l, i) => `${i === 0 ? '' : i - 1},${l}`).join('\n') + '\n');
    let r = await cli(['train', 'pandas.csv', '--task', 'species:multiclass', '--arch', 'sharedBottom', '--epochs', '2', '--quiet', '--out', 'p.mtsk'], dir);
    assert.equal(r.code, 0, describeRun('train pandas.csv', r));
    assert.match(r.stdout, /\n {2}"" {17}ignored {2}no name in the header \(pandas writes its index so\): name it to use it\n {2}species {12}task/);
    assert.deepEqual(Object.keys(await modelInputs(join(dir, 'p.mtsk'))), ['island', 'bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g', 'sex']);
    for (const command of [['predict', 'p.mtsk', 'pandas.csv'], ['eval', 'p.mtsk', 'pandas.csv']]) {
      r = await cli(command, dir);
      assert.equal(r.code, 0, describeRun(command.join(' '), r));
    }
    r = await cli(['train', 'pandas.csv', '--task', 'species:multiclass', '--feature', '', '--epochs', '1', '--quiet', '--out', 'x.mtsk'], dir);
    assert.equal(r.code, 2, describeRun('--feature ""', r));
    assert.match(r.stderr, /^manytask: --feature : column 1 of pandas\.csv has no name: name it in the header to use it\n/);

    // A named row number: on this species-sorted file it alone gave validation accuracy 1.0.
    await writeFile(join(dir, 'ids.csv'), lines.map((l, i) => `${i === 0 ? 'penguin_id' : 1000 + i},${l}`).join('\n') + '\n');
    const only = ['--ignore', 'island', '--ignore', 'bill_length_mm', '--ignore', 'bill_depth_mm', '--ignore', 'flipper_length_mm', '--ignore', 'body_mass_g', '--ignore', 'sex'];
    r = await cli(['train', 'ids.csv', '--task', 'species:multiclass', '--epochs', '1', '--quiet', '--out', 'i.mtsk'], dir);
    assert.equal(r.code, 0, describeRun('train ids.csv', r));
    assert.match(r.stdout, /\n {2}penguin_id {9}ignored {2}a row number \(1001 … 1344, one more on each row\): an id, which tells a model only the file's order\. To use it: --feature penguin_id:numeric\n/);
    r = await cli(['train', 'ids.csv', '--task', 'species:multiclass', ...only, '--epochs', '1', '--quiet', '--out', 'i.mtsk'], dir);
    assert.equal(r.code, 2, describeRun('train ids.csv, the id only', r));
    assert.match(r.stderr, /no feature columns are left in ids\.csv/);
    r = await cli(['train', 'ids.csv', '--task', 'species:multiclass', ...only, '--feature', 'penguin_id', '--epochs', '1', '--quiet', '--out', 'i.mtsk'], dir);
    assert.equal(r.code, 0, describeRun('--feature penguin_id', r));
    assert.match(r.stdout, /\n {2}penguin_id {9}feature {2}numeric\n/);
  });
});

test('train --validation-split 0: every row trains, no validation (none printed, no early stopping); --patience with it is refused', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    let r = await cli(['train', CSV, '--task', 'species:multiclass', '--arch', 'sharedBottom', '--epochs', '3', '--quiet', '--validation-split', '0', '--out', 'm.mtsk'], dir);
    assert.equal(r.code, 0, describeRun('--validation-split 0', r));
    assert.match(r.stdout, /\ntrained 3 epochs on all 344 rows \(no validation\)\n/);
    assert.doesNotMatch(r.stdout, /validation \(/);
    assert.ok((await stat(join(dir, 'm.mtsk'))).size > 1000);
    r = await cli(['train', CSV, '--task', 'species:multiclass', '--validation-split', '0', '--patience', '5', '--out', 'm.mtsk'], dir);
    assert.equal(r.code, 2, describeRun('--validation-split 0 --patience 5', r));
    assert.match(r.stderr, /^manytask: --patience stops on the validation loss, and --validation-split 0 leaves no validation rows\n/);
    for (const v of ['-0.1', '1']) {
      r = await cli(['train', CSV, '--task', 'species:multiclass', '--validation-split', v, '--out', 'm.mtsk'], dir);
      assert.equal(r.code, 2, describeRun(`--validation-split ${v}`, r));
      assert.match(r.stderr, new RegExp(`--validation-split must be from 0 \\(no validation\\) to less than 1, got ${v}`));
    }
  });
});

test('predict --max-deviation (default 10): a bill of 1e6 mm is refused naming the row, column and flag, not answered with a body mass of −75 million g; none turns it off', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    let r = await cli(['train', CSV, '--task', 'species:multiclass', '--task', 'body_mass_g:regression', '--arch', 'sharedBottom', '--epochs', '3', '--quiet', '--out', 'm.mtsk'], dir);
    assert.equal(r.code, 0, describeRun('train', r));
    const [head, first, second] = PENGUINS_CSV.split('\n');
    await writeFile(join(dir, 'far.csv'), [head, first, second.replace('39.5', '1e6'), ''].join('\n'));
    r = await cli(['predict', 'm.mtsk', 'far.csv'], dir);
    assert.equal(r.code, 1, describeRun('predict far.csv', r));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^manytask: far\.csv: column "bill_length_mm", row 2 \(line 3\): the value 1000000 is \S+ standard deviations from the training mean 4\d\.\d+ \(std 5\.\d+\), beyond --max-deviation 10: too far outside the data the model was trained on for its prediction to mean anything; --max-deviation <k> sets the limit \(default 10\), --max-deviation none removes it\n$/);
    r = await cli(['predict', 'm.mtsk', 'far.csv', '--max-deviation', '5'], dir);
    assert.match(r.stderr, /beyond --max-deviation 5: /);
    for (const limit of ['none', '1e9']) {
      r = await cli(['predict', 'm.mtsk', 'far.csv', '--max-deviation', limit], dir);
      assert.equal(r.code, 0, describeRun(`--max-deviation ${limit}`, r));
      assert.equal(r.stdout.trim().split('\n').length, 3);
    }
    // The training file itself is within the default.
    r = await cli(['predict', 'm.mtsk', CSV], dir);
    assert.equal(r.code, 0, describeRun('predict the training file', r));
    for (const bad of ['0', '-3', 'ten', '', 'Infinity']) {
      r = await cli(['predict', 'm.mtsk', 'far.csv', '--max-deviation', bad], dir);
      assert.equal(r.code, 2, describeRun(`--max-deviation ${bad}`, r));
      assert.match(r.stderr, new RegExp(`--max-deviation must be a number of standard deviations > 0, or none, got "${bad}"`));
    }
  });
});

test('predict: a row column (or --id), the confidence of the predicted class for every row, JSON alike', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    let r = await cli(['train', CSV, '--task', 'species:multiclass', '--task', 'sex:binary', '--epochs', '8', '--quiet', '--out', 'm.mtsk'], dir);
    assert.equal(r.code, 0, describeRun('train', r));
    r = await cli(['predict', 'm.mtsk', CSV, '--out', 'p.json'], dir);
    assert.equal(r.code, 0, describeRun('predict', r));
    const rows = JSON.parse(await readFile(join(dir, 'p.json'), 'utf8'));
    assert.equal(rows.length, 344);
    assert.deepEqual(Object.keys(rows[0]), ['row', 'species', 'species_confidence', 'sex', 'sex_confidence']);
    assert.deepEqual(rows.map((p) => p.row), Array.from({ length: 344 }, (_, i) => i + 1));
    const predicted = new Set(rows.map((p) => p.sex));
    assert.deepEqual([...predicted].sort(), ['female', 'male'], 'both sexes are predicted');
    // The probability of the class predicted: at least 1/2 for sex (two classes), 1/3 for species, whichever class it is.
    for (const p of rows) {
      assert.ok(p.sex_confidence >= 0.5 && p.sex_confidence <= 1, JSON.stringify(p));
      assert.ok(p.species_confidence >= 1 / 3 && p.species_confidence <= 1, JSON.stringify(p));
    }
    await writeFile(join(dir, 'ids.csv'), PENGUINS_CSV.replace('species,', 'tag,species,').split('\n').map((l, i) => (i === 0 || l === '' ? l : `p${i},${l}`)).join('\n'));
    r = await cli(['predict', 'm.mtsk', 'ids.csv', '--id', 'tag'], dir);
    assert.equal(r.code, 0, describeRun('predict --id', r));
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], 'tag,species,species_confidence,sex,sex_confidence');
    assert.match(lines[344], /^p344,/);
    r = await cli(['predict', 'm.mtsk', 'ids.csv', '--id', 'sex'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /two columns named "sex"/);
  });
});

test('CLI rough edges: --help, -h, --version, unknown flags of every command, empty and directory paths, data errors named by file', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    for (const args of [['--help'], ['-h'], ['train', '--help'], ['help']]) {
      const r = await cli(args, dir);
      assert.equal(r.code, 0, describeRun(args.join(' '), r));
      assert.match(r.stdout, /^manytask — multi-task learning from CSV files\n\nUsage:/);
      assert.match(r.stdout, /--ignore <column>/);
    }
    for (const args of [['--version'], ['-V']]) {
      const r = await cli(args, dir);
      assert.equal(r.code, 0, describeRun(args.join(' '), r));
      assert.equal(r.stdout, `manytask ${VERSION}\n`);
    }
    let r = await cli(['train', CSV, '--task', 'species:multiclass', '--epochs', '2', '--quiet', '--out', 'm.mtsk'], dir);
    assert.equal(r.code, 0, describeRun('train', r));
    const usage = [
      [['predict', 'm.mtsk', CSV, '--ouput', 'x.csv'], /unknown option --ouput for predict \(did you mean --out\?\)/],
      [['eval', 'm.mtsk', CSV, '--out', 'x.csv'], /unknown option --out for eval/],
      [['eval', 'm.mtsk', CSV, '--quiet'], /unknown option --quiet for eval/],
      [['train', '', '--task', 'sex:binary'], /train: the CSV file is an empty file name/],
      [['eval', '', CSV], /eval: the model file is an empty file name/],
      [['predict', 'm.mtsk', ' '], /predict: the CSV file is an empty file name/],
      [['predict', 'm.mtsk', CSV, '--out', ''], /--out is an empty file name/],
      [['frobnicate'], /unknown command "frobnicate"/],
    ];
    for (const [args, pattern] of usage) {
      r = await cli(args, dir);
      assert.equal(r.code, 2, describeRun(args.join(' '), r));
      assert.match(r.stderr, pattern);
    }
    assert.equal((await stat(join(dir, 'x.csv')).catch(() => null)), null, 'a mistyped flag wrote a file');
    r = await cli(['eval', dir, CSV], dir);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `manytask: cannot read ${dir}: it is a directory\n`);
    // Data the model cannot read: named by the file, the column and the line, not by the library's API.
    await writeFile(join(dir, 'nobill.csv'), 'species,island,flipper_length_mm\nAdelie,Dream,181\n');
    r = await cli(['predict', 'm.mtsk', 'nobill.csv'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^manytask: nobill\.csv lacks the model's input columns "bill_length_mm", "bill_depth_mm", "body_mass_g", "sex" \(the model reads "island", "bill_length_mm"/);
    await writeFile(join(dir, 'bad.csv'), PENGUINS_CSV.replace('39.5', '39,5kg'));
    r = await cli(['predict', 'm.mtsk', 'bad.csv'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^manytask: bad\.csv: line 3: expected 7 fields \(as in the header\), found 8\n$/);
    await writeFile(join(dir, 'bad.csv'), PENGUINS_CSV.replace('39.5', '39.5kg'));
    r = await cli(['predict', 'm.mtsk', 'bad.csv'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^manytask: bad\.csv: column "bill_length_mm", row 2 \(line 3\): expected a number, got "39\.5kg"\n$/);
    await writeFile(join(dir, 'anvers.csv'), PENGUINS_CSV.replace('Adelie,Torgersen,39.5', 'Adelie,Anvers,39.5'));
    r = await cli(['predict', 'm.mtsk', 'anvers.csv'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^manytask: anvers\.csv: column "island", row 2 \(line 3\): "Anvers" is a category the model did not see in training \(it knows "Biscoe", "Dream", "Torgersen"\)\n$/);
    // A Latin-1 file: refused naming the line, not read as replacement characters.
    await writeFile(join(dir, 'latin1.csv'), latin1(PENGUINS_CSV.replace('Torgersen,39.5', 'Torgersén,39.5')));
    r = await cli(['predict', 'm.mtsk', 'latin1.csv'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^manytask: latin1\.csv: line 3: the bytes are not UTF-8 .*Latin-1 or Windows-1252/);
  });
});

test('a CSV over Node\'s longest string is refused naming the limit, before it is read', { timeout: 60_000 }, async () => {
  await withDir(async (dir) => {
    // A sparse 600 MB file: no disk used, nothing read.
    const big = join(dir, 'big.csv');
    const handle = await open(big, 'w');
    await handle.truncate(600 * 2 ** 20);
    await handle.close();
    const r = await cli(['train', 'big.csv', '--task', 'a:binary'], dir);
    assert.equal(r.code, 1, describeRun('train big.csv', r));
    assert.equal(r.stderr, "manytask: big.csv is 600 MB; the CLI reads CSV files of up to 512 MB (Node's longest string): split the file, or sample its rows\n");
  });
});

test('the progress line fits a 50-column terminal: it redraws in place instead of wrapping into a line per epoch', { timeout: 60_000 }, async () => {
  // stderr as a 50-column TTY, set before the CLI starts.
  const tty = `data:text/javascript,${encodeURIComponent('process.stderr.isTTY = true; process.stderr.columns = 50;')}`;
  const r = await run(process.execPath, ['--import', tty, CLI, 'train', CSV, '--task', 'species:multiclass', '--task', 'sex:binary', '--epochs', '12', '--out', join(tmpdir(), `manytask-tty-${process.pid}.mtsk`)], { timeoutMs: 60_000 });
  await rm(join(tmpdir(), `manytask-tty-${process.pid}.mtsk`), { force: true });
  assert.equal(r.code, 0, describeRun('train on a 50-column TTY', r));
  // One newline at the end; every redraw (\r … ESC[K) at most 49 characters.
  assert.equal(r.stderr.split('\n').length - 1, 1, JSON.stringify(r.stderr));
  const draws = r.stderr.split('\r').filter(Boolean).map((d) => d.replace(/\x1b\[K\n?$/, ''));
  assert.equal(draws.length, 12);
  for (const d of draws) assert.ok(d.length <= 49, `${d.length} characters: ${JSON.stringify(d)}`);
  assert.match(draws[11], /^epoch 12\/12 \[=+\] loss \d\.\d{4}/);
});
