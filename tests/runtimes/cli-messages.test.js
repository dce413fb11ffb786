// What `manytask` says about a bad cell, a bad task name or a bad option: the cell as written, its
// column and CSV line, and the flag the user typed; exit code 1 for a file to fix, 2 for a command to fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO, run, describeRun, withTempDir } from './helpers/process.js';

const CLI = join(REPO, 'dist', 'cli.js');
const CSV = join(REPO, 'examples', 'data', 'penguins.csv');
const PENGUINS = await readFile(CSV, 'utf8');
const [HEADER, ...LINES] = PENGUINS.trim().split('\n');
/**
 * The CLI's init() starts a worker thread and waits up to 30 s for it; on a machine loaded enough that it
 * is not up by then, the library goes on on one thread and says so once, before anything else:
 * "manytask: no worker started in time; running on one thread." (src/threads/index.ts, warnOnce). Whether
 * that line comes depends on the machine's load alone, so it is taken off the start of stderr, in exactly
 * that form; the rest of stderr is compared byte for byte.
 */
const ONE_THREAD_NOTICE = 'manytask: no worker started in time; running on one thread.\n';
const cli = async (args, cwd) => {
  const r = await run(process.execPath, [CLI, ...args], { cwd, timeoutMs: 60_000 });
  return r.stderr.startsWith(ONE_THREAD_NOTICE) ? { ...r, stderr: r.stderr.slice(ONE_THREAD_NOTICE.length), oneThreadNotice: true } : r;
};
const quick = ['--arch', 'sharedBottom', '--epochs', '2', '--quiet'];
const NUMBER_FORM = 'a number is written as 42, -0.5 or 1e3, within ±1.8e308, without thousands separators, a decimal comma or a unit';

/** The penguins with the cell of `column` on CSV line `line` (the header is line 1) replaced by `value`. */
function penguinsWithCell(line, column, value) {
  const at = HEADER.split(',').indexOf(column);
  return [HEADER, ...LINES.map((l, i) => (i + 2 === line ? l.split(',').map((v, j) => (j === at ? value : v)).join(',') : l))].join('\n') + '\n';
}

const withDir = (fn) => withTempDir('manytask-cli-messages-', fn);

test('a numeric column with one bad cell: the cell, its column and line are named, and :categorical is not advised', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, 'bill.csv'), penguinsWithCell(6, 'bill_length_mm', '1e400'));
    let r = await cli(['train', 'bill.csv', '--task', 'species:multiclass', ...quick, '--out', 'm.mtsk'], dir);
    assert.equal(r.code, 0, describeRun('train', r));
    const note = r.stdout.split('\n').find((l) => l.trimStart().startsWith('bill_length_mm'));
    assert.equal(note, '  bill_length_mm     ignored  numbers but for 1 cell: "1e400" (line 6); correct it or empty it (missing), ' +
      `and the column is numeric (${NUMBER_FORM})`);
    for (const feature of ['bill_length_mm:numeric', 'bill_length_mm']) {
      r = await cli(['train', 'bill.csv', '--task', 'species:multiclass', '--feature', feature, ...quick, '--out', 'm.mtsk'], dir);
      assert.equal(r.code, 1, describeRun(`--feature ${feature}`, r));
      assert.equal(r.stderr, `manytask: bill.csv: column "bill_length_mm", row 5 (line 6): "1e400" is not a number, and --feature ${feature} needs numbers; ` +
        `every other value of the column is one: correct the cell or empty it (a missing value); ${NUMBER_FORM}\n`);
    }

    await writeFile(join(dir, 'mass.csv'), penguinsWithCell(6, 'body_mass_g', '"3,450"'));
    r = await cli(['train', 'mass.csv', '--task', 'body_mass_g:regression', ...quick, '--out', 'm.mtsk'], dir);
    assert.equal(r.code, 1, describeRun('--task body_mass_g:regression', r));
    assert.match(r.stderr, /^manytask: mass\.csv: column "body_mass_g", row 5 \(line 6\): "3,450" is not a number, and --task body_mass_g:regression needs numbers; every other value/);
    const three = penguinsWithCell(6, 'body_mass_g', '"3,450"').split('\n').map((l, i) => (i === 9 || i === 20 ? l.replace(/,\d+,(male|female|)$/, ',kg,$1') : l)).join('\n');
    await writeFile(join(dir, 'mass3.csv'), three);
    r = await cli(['train', 'mass3.csv', '--task', 'body_mass_g:gaussian', ...quick, '--out', 'm.mtsk'], dir);
    assert.equal(r.code, 1, describeRun('--task body_mass_g:gaussian', r));
    assert.match(r.stderr, /^manytask: mass3\.csv: column "body_mass_g", row 5 \(line 6\): "3,450" is not a number, nor are "kg" \(line 10\), "kg" \(line 21\), and --task body_mass_g:gaussian needs numbers; the column's other 339 values are: correct these cells/);
    // A column of text is still a usage error, with a value of it.
    r = await cli(['train', 'mass.csv', '--task', 'island:regression', ...quick, '--out', 'm.mtsk'], dir);
    assert.equal(r.code, 2, describeRun('--task island:regression', r));
    assert.match(r.stderr, /--task island:regression: column "island" is not numeric \(e\.g\. "Torgersen"\): a regression task needs numbers; use island:multiclass/);
  });
});

test('train refuses task names whose prediction columns collide (exit 2, naming both); predict says which tasks collide', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    const rows = Array.from({ length: 60 }, (_, i) => {
      const a = (i * 37 % 60) / 60, b = (i * 11 % 60) / 60;
      return `${a},${b},${(a + b).toFixed(3)},${(a - b).toFixed(3)},${a > b ? 'up' : 'down'},${a * b > 0.2 ? 'yes' : 'no'}`;
    });
    await writeFile(join(dir, 'y.csv'), ['x1,x2,y,y_lower,kind,kind_confidence', ...rows].join('\n') + '\n');
    for (const [tasks, message] of [
      [['y:gaussian', 'y_lower:regression'], 'manytask: --task y:gaussian and --task y_lower:regression: predict would write two columns named "y_lower" (y writes y, y_lower, y_upper; y_lower writes y_lower); rename one of the two columns in the file\n'],
      [['y_lower:poisson', 'y:quantile', 'kind_confidence:binary', 'kind:binary'], 'manytask: --task kind_confidence:binary and --task kind:binary: predict would write two columns named "kind_confidence" (kind_confidence writes kind_confidence, kind_confidence_confidence; kind writes kind, kind_confidence); rename one of the two columns in the file\n'],
    ]) {
      const r = await cli(['train', 'y.csv', ...tasks.flatMap((t) => ['--task', t]), ...quick, '--out', 'm.mtsk'], dir);
      assert.equal(r.code, 2, describeRun(tasks.join(' '), r));
      assert.equal(r.stderr, `${message}(manytask --help lists the commands and options)\n`);
    }
    // Names that differ are fine: y:quantile writes y_q0.05, y_q0.5 and y_q0.95.
    let r = await cli(['train', 'y.csv', '--task', 'y:quantile', '--task', 'y_lower:regression', '--task', 'kind:binary', ...quick, '--out', 'm.mtsk'], dir);
    assert.equal(r.code, 0, describeRun('train', r));
    r = await cli(['predict', 'm.mtsk', 'y.csv'], dir);
    assert.equal(r.code, 0, describeRun('predict', r));
    assert.equal(r.stdout.split('\n')[0], 'row,y_q0.05,y_q0.5,y_q0.95,y_lower,kind,kind_confidence');

    // A model made with the library, whose tasks collide: predict names them, and no --id helps.
    const { init, Dataset, MultiTaskModel, tasks } = await import('../../dist/index.js');
    await init();
    const data = Dataset.fromCSV(await readFile(join(dir, 'y.csv')), { features: { x1: 'numeric', x2: 'numeric' }, targets: { y: 'regression', y_lower: 'regression' } });
    const model = new MultiTaskModel({ input: data, architecture: { type: 'sharedBottom', units: [4], towerUnits: [] }, tasks: [tasks.gaussian('y'), tasks.regression('y_lower')] });
    await model.fit(data, { epochs: 1 });
    await writeFile(join(dir, 'api.mtsk'), model.save());
    model.dispose();
    for (const id of [[], ['--id', 'x1']]) {
      r = await cli(['predict', 'api.mtsk', 'y.csv', ...id], dir);
      assert.equal(r.code, 1, describeRun(`predict ${id.join(' ')}`, r));
      assert.equal(r.stderr, 'manytask: api.mtsk: the predictions of tasks "y" and "y_lower" would both be written as a column named "y_lower", ' +
        'so predict cannot write them as one table; train the model again with one of those columns renamed (train refuses such task names)\n');
    }

    // The id column and a prediction: that one --id mends.
    await writeFile(join(dir, 'row.csv'), ['x1,x2,row', ...rows.map((l) => l.split(',').slice(0, 3).join(','))].join('\n') + '\n');
    r = await cli(['train', 'row.csv', '--task', 'row:regression', ...quick, '--out', 'row.mtsk'], dir);
    assert.equal(r.code, 0, describeRun('train a task named row', r));
    r = await cli(['predict', 'row.mtsk', 'row.csv'], dir);
    assert.equal(r.code, 2, describeRun('predict', r));
    assert.match(r.stderr, /^manytask: the output would have two columns named "row" \(the row numbers and a prediction of task "row"\): name an id column with --id <column>\n/);
    r = await cli(['predict', 'row.mtsk', 'row.csv', '--id', 'row'], dir);
    assert.equal(r.code, 2, describeRun('predict --id row', r));
    assert.match(r.stderr, /^manytask: --id row: the output would have two columns named "row" \(the id column and a prediction of task "row"\): choose another --id column\n/);
    r = await cli(['predict', 'row.mtsk', 'row.csv', '--id', 'x1'], dir);
    assert.equal(r.code, 0, describeRun('predict --id x1', r));
  });
});

test('a poisson label that is not a count: the file\'s row and line and the value as written, not a row of the shuffled split or a float32', { timeout: 60_000 }, async () => {
  await withDir(async (dir) => {
    let r = await cli(['train', CSV, '--task', 'bill_depth_mm:poisson', ...quick, '--out', 'm.mtsk'], dir);
    assert.equal(r.code, 1, describeRun('train bill_depth_mm:poisson', r));
    assert.equal(r.stderr, `manytask: ${CSV}: column "bill_depth_mm", row 1 (line 2): "18.7" is not a count: a poisson task needs whole numbers from 0 to 16777216; ` +
      'for other numbers use bill_depth_mm:gaussian\n');
    // Counts but for one cell, far down the file; and one that float32 would round to a count.
    const counts = (line, value) => [HEADER, ...LINES.map((l, i) => {
      const cells = l.split(',');
      cells[4] = i + 2 === line ? value : cells[4] === '' ? '' : String(Number(cells[4]) - 170);
      return cells.join(',');
    })].join('\n') + '\n';
    for (const [line, value] of [[300, '13.9'], [41, '3.0000001'], [7, '16777217'], [9, '-2']]) {
      await writeFile(join(dir, 'counts.csv'), counts(line, value));
      r = await cli(['train', 'counts.csv', '--task', 'flipper_length_mm:poisson', ...quick, '--out', 'm.mtsk'], dir);
      assert.equal(r.code, 1, describeRun(`flipper_length_mm ${value} on line ${line}`, r));
      assert.match(r.stderr, new RegExp(`^manytask: counts\\.csv: column "flipper_length_mm", row ${line - 1} \\(line ${line}\\): "${value.replace('.', '\\.')}" is not a count:`));
    }
    await writeFile(join(dir, 'counts.csv'), counts(0, ''));
    r = await cli(['train', 'counts.csv', '--task', 'flipper_length_mm:poisson', ...quick, '--out', 'm.mtsk'], dir);
    assert.equal(r.code, 0, describeRun('whole counts', r));
  });
});

test('messages in the CLI\'s words: an unknown binary class, a UTF-16 file, text in another Unicode form, --seed out of range', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    const nfc = PENGUINS.replaceAll('Torgersen', 'Törgersen').replace(/^species,island,/, 'species,île,');
    await writeFile(join(dir, 'nfc.csv'), nfc);
    let r = await cli(['train', 'nfc.csv', '--task', 'species:multiclass', '--task', 'sex:binary', ...quick, '--out', 'm.mtsk'], dir);
    assert.equal(r.code, 0, describeRun('train', r));

    // (a) A binary label the model does not know: as evaluate says it of a multiclass task, no "spec" the user never wrote.
    await writeFile(join(dir, 'sexM.csv'), nfc.replace(/,male\n/g, ',M\n'));
    r = await cli(['eval', 'm.mtsk', 'sexM.csv'], dir);
    assert.equal(r.code, 1, describeRun('eval', r));
    assert.equal(r.stderr, 'manytask: sexM.csv: task "sex", row 1 (line 2): class "M" is not one of the model\'s classes ("female", "male")\n');

    // (b) The file saved as UTF-16: named so, not "probably Latin-1".
    await writeFile(join(dir, 'utf16.csv'), Buffer.from(`\uFEFF${nfc}`, 'utf16le'));
    r = await cli(['eval', 'm.mtsk', 'utf16.csv'], dir);
    assert.equal(r.code, 1, describeRun('eval utf16', r));
    assert.equal(r.stderr, 'manytask: utf16.csv: line 1: the file is UTF-16 little-endian (it starts with the byte-order mark 0xFF 0xFE), not UTF-8: save it as UTF-8\n');

    // (c) The same names in NFD: the messages say why names that print alike differ.
    const [head, ...rest] = nfc.split('\n');
    await writeFile(join(dir, 'nfd-header.csv'), [head.normalize('NFD'), ...rest].join('\n'));
    r = await cli(['predict', 'm.mtsk', 'nfd-header.csv'], dir);
    assert.equal(r.code, 1, describeRun('predict nfd-header', r));
    assert.match(r.stderr, /; the file's "i\u0302le" and the model's "\u00eele" are the same letters written with other Unicode code points \(normal forms NFC and NFD\): save the file in the form of the training file \(NFC, as most programs write\)\n$/);
    await writeFile(join(dir, 'nfd-values.csv'), [head, ...rest.map((l) => l.normalize('NFD'))].join('\n'));
    r = await cli(['predict', 'm.mtsk', 'nfd-values.csv'], dir);
    assert.equal(r.code, 1, describeRun('predict nfd-values', r));
    assert.match(r.stderr, /^manytask: nfd-values\.csv: column "île", row 1 \(line 2\): "To\u0308rgersen" is a category the model did not see in training \(it knows "Biscoe", "Dream", "T\u00f6rgersen"\); the file's "To\u0308rgersen" and the model's "T\u00f6rgersen" are the same letters/);
    await writeFile(join(dir, 'nfd-class.csv'), nfc.replaceAll('Adelie,', 'Adélie,').replace(/^Gentoo,/m, 'Ade\u0301lie,'));
    await writeFile(join(dir, 'nfc-class.csv'), nfc.replaceAll('Adelie,', 'Adélie,'));
    r = await cli(['train', 'nfc-class.csv', '--task', 'species:multiclass', ...quick, '--out', 'c.mtsk'], dir);
    assert.equal(r.code, 0, describeRun('train nfc-class', r));
    r = await cli(['eval', 'c.mtsk', 'nfd-class.csv'], dir);
    assert.equal(r.code, 1, describeRun('eval nfd-class', r));
    assert.match(r.stderr, /: class "Ade\u0301lie" is not one of the model's classes \("Ad\u00e9lie", "Chinstrap", "Gentoo"\); the file's "Ade\u0301lie" and the model's "Ad\u00e9lie" are the same letters/);

    // (d) --seed is checked as the option it is (exit code 2), not by Dataset.split (exit code 1).
    for (const seed of ['-1', '4294967296']) {
      r = await cli(['train', 'nfc.csv', '--task', 'sex:binary', ...quick, '--seed', seed, '--out', 'm.mtsk'], dir);
      assert.equal(r.code, 2, describeRun(`--seed ${seed}`, r));
      assert.equal(r.stderr, `manytask: --seed: seed must be an integer from 0 to 4294967295, got ${seed}\n(manytask --help lists the commands and options)\n`);
    }
  });
});

test('messages name the model file, quote column names, and say when a name differs from a wanted one only by spaces or case; a 1e39 cell is named by its line', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, 'penguins.csv'), PENGUINS);
    let r = await cli(['train', 'penguins.csv', '--task', 'species:multiclass', ...quick, '--out', 'm.mtsk'], dir);
    assert.equal(r.code, 0, describeRun('train', r));

    // (a) A model file that cannot be used is named, for eval and predict (which read two files).
    await writeFile(join(dir, 'cut.mtsk'), (await readFile(join(dir, 'm.mtsk'))).subarray(0, 5000));
    for (const command of ['eval', 'predict']) {
      r = await cli([command, 'cut.mtsk', 'penguins.csv'], dir);
      assert.equal(r.code, 1, describeRun(`${command} cut.mtsk`, r));
      assert.equal(r.stderr, 'manytask: cut.mtsk: not a usable manytask model file: the checksum does not match (the file is corrupted or truncated)\n');
    }

    // (b) An option no command knows, last on the line, is unknown (it said "--bogus needs a value").
    r = await cli(['predict', 'm.mtsk', 'penguins.csv', '--bogus'], dir);
    assert.equal(r.code, 2, describeRun('--bogus', r));
    assert.equal(r.stderr, 'manytask: unknown option --bogus for predict\n(manytask --help lists the commands and options)\n');
    r = await cli(['predict', 'm.mtsk', 'penguins.csv', '--ouput'], dir);
    assert.equal(r.stderr, 'manytask: unknown option --ouput for predict (did you mean --out?)\n(manytask --help lists the commands and options)\n');
    r = await cli(['predict', 'm.mtsk', 'penguins.csv', '--out'], dir);
    assert.equal(r.stderr, 'manytask: --out needs a value\n(manytask --help lists the commands and options)\n');
    // An option of another command is unknown to this one, with or without a value.
    r = await cli(['eval', 'm.mtsk', 'penguins.csv', '--out'], dir);
    assert.equal(r.stderr, 'manytask: unknown option --out for eval\n(manytask --help lists the commands and options)\n');

    // (c) A header " island": quoted, the space shows, and the message says it is the only difference; so for case.
    await writeFile(join(dir, 'space.csv'), PENGUINS.replace(/^species,island,/, 'species, island,'));
    r = await cli(['predict', 'm.mtsk', 'space.csv'], dir);
    assert.equal(r.code, 1, describeRun('predict space.csv', r));
    assert.equal(r.stderr, 'manytask: space.csv lacks the model\'s input column "island" (the model reads "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex"; ' +
      'the file has "species", " island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex"); the file\'s " island" and the model\'s "island" differ only in the spaces around them\n');
    await writeFile(join(dir, 'case.csv'), PENGUINS.replace(/^species,island,/, 'species,Island,'));
    r = await cli(['predict', 'm.mtsk', 'case.csv'], dir);
    assert.match(r.stderr, /; the file's "Island" and the model's "island" differ only in case\n$/);
    r = await cli(['train', 'case.csv', '--task', 'island:multiclass', ...quick], dir);
    assert.equal(r.code, 2, describeRun('--task island on case.csv', r));
    assert.match(r.stderr, /^manytask: --task island:multiclass: case\.csv has no column "island" \(columns: "species", "Island", "bill_length_mm", .*\); the file's "Island" and the command's "island" differ only in case\n/);
    r = await cli(['predict', 'm.mtsk', 'penguins.csv', '--id', 'Species'], dir);
    assert.match(r.stderr, /--id Species: penguins\.csv has no column "Species" \(columns: "species", .*\); the file's "species" and the command's "Species" differ only in case\n/);
    // A category in another case: the same hint.
    await writeFile(join(dir, 'dream.csv'), PENGUINS.replace('Adelie,Torgersen,39.1', 'Adelie,torgersen,39.1'));
    r = await cli(['predict', 'm.mtsk', 'dream.csv'], dir);
    assert.match(r.stderr, /"torgersen" is a category the model did not see in training \(it knows "Biscoe", "Dream", "Torgersen"\); the file's "torgersen" and the model's "Torgersen" differ only in case\n$/);

    // (d) A training cell beyond float32 (it was accepted, and the other flipper lengths standardized to one number).
    await writeFile(join(dir, 'huge.csv'), penguinsWithCell(6, 'flipper_length_mm', '1e39'));
    r = await cli(['train', 'huge.csv', '--task', 'species:multiclass', ...quick, '--out', 'h.mtsk'], dir);
    assert.equal(r.code, 1, describeRun('train huge.csv', r));
    assert.match(r.stderr, /^manytask: huge\.csv: column "flipper_length_mm", row 5 \(line 6\): 1e\+39 is beyond the float32 range \(±3\.4e38\) the model computes in\n$/);
  });
});
