// What `manytask` says about a bad cell, a bad task name or a bad option: the cell as written, its
// column and CSV line, and the flag the user typed; exit code 1 for a file to fix, 2 for a command to fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, run, describeRun } from './helpers/process.js';

const CLI = join(REPO, 'dist', 'cli.js');
const CSV = join(REPO, 'examples', 'data', 'penguins.csv');
const PENGUINS = await readFile(CSV, 'utf8');
const [HEADER, ...LINES] = PENGUINS.trim().split('\n');
const cli = (args, cwd) => run(process.execPath, [CLI, ...args], { cwd, timeoutMs: 60_000 });
const quick = ['--arch', 'sharedBottom', '--epochs', '2', '--quiet'];
const NUMBER_FORM = 'a number is written as 42, -0.5 or 1e3, within ±1.8e308, without thousands separators, a decimal comma or a unit';

/** The penguins with the cell of `column` on CSV line `line` (the header is line 1) replaced by `value`. */
function penguinsWithCell(line, column, value) {
  const at = HEADER.split(',').indexOf(column);
  return [HEADER, ...LINES.map((l, i) => (i + 2 === line ? l.split(',').map((v, j) => (j === at ? value : v)).join(',') : l))].join('\n') + '\n';
}

async function withDir(fn) {
  const dir = await mkdtemp(join(tmpdir(), 'manytask-cli-messages-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

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
