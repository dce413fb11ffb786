// The files `manytask` writes: a reader that leaves early (`manytask train … | head -1`) ends the
// output, not the save; a model or predictions file is replaced whole, never written in place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, copyFile, link, readdir, readFile, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO, run, describeRun, childEnv, withTempDir } from './helpers/process.js';

const CLI = join(REPO, 'dist', 'cli.js');
const CSV = join(REPO, 'examples', 'data', 'penguins.csv');
const cli = (args, cwd) => run(process.execPath, [CLI, ...args], { cwd, timeoutMs: 60_000 });
const trainArgs = (seed, out) => ['train', CSV, '--task', 'species:multiclass', '--arch', 'sharedBottom', '--epochs', '3', '--seed', seed, '--quiet', '--out', out];

const withDir = (fn) => withTempDir('manytask-cli-save-', fn);

/**
 * Runs the CLI as `manytask … | head -c N` would: the reader of its standard output closes the
 * pipe after the first chunk. Resolves with the exit code, that chunk and the standard error.
 */
function cliReaderLeaves(args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let first = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.once('data', (chunk) => { first = String(chunk); child.stdout.destroy(); });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, first, stderr }); });
  });
}

const leftovers = async (dir) => (await readdir(dir)).filter((f) => f.endsWith('.tmp'));

test('train … | head -1: the reader leaving ends the output, not the save; the model file is whole and the exit code 0', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    let r = await cli(trainArgs('1', 'm.mtsk'), dir);
    assert.equal(r.code, 0, describeRun('train', r));
    const previous = await readFile(join(dir, 'm.mtsk'));

    const piped = await cliReaderLeaves(trainArgs('2', 'm.mtsk'), dir);
    assert.match(piped.first, /penguins\.csv: 344 rows/);
    assert.equal(piped.signal, null);
    assert.equal(piped.stderr, '');
    assert.equal(piped.code, 0);
    const saved = await readFile(join(dir, 'm.mtsk'));
    assert.notDeepEqual(saved, previous, 'the model trained with the pipe closed was not saved');
    // The same run with its output read to the end saves the same bytes.
    r = await cli(trainArgs('2', 'reference.mtsk'), dir);
    assert.equal(r.code, 0, describeRun('train', r));
    assert.deepEqual(saved, await readFile(join(dir, 'reference.mtsk')));

    // predict to a pipe its reader leaves: no error, no message.
    const predicted = await cliReaderLeaves(['predict', 'm.mtsk', CSV], dir);
    assert.match(predicted.first, /^row,species,species_confidence\n1,/);
    assert.deepEqual([predicted.code, predicted.stderr], [0, '']);
    // A failure is still a failure, and still says so when only stdout has gone.
    const failed = await cliReaderLeaves(['predict', 'm.mtsk', 'no-such.csv'], dir);
    assert.equal(failed.code, 1);
    assert.equal(failed.stderr, 'manytask: cannot read no-such.csv: no such file or directory\n');
    assert.deepEqual(await leftovers(dir), []);
  });
});

test('train and predict --out replace their file whole: written beside it, then renamed over it, never truncated in place', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    const model = join(dir, 'm.mtsk');
    let r = await cli(trainArgs('1', 'm.mtsk'), dir);
    assert.equal(r.code, 0, describeRun('train', r));
    const previous = await readFile(model);
    // A second name for the old file: an in-place write (what a kill or a full disk interrupts) would change it too.
    await link(model, join(dir, 'old.mtsk'));
    await chmod(model, 0o600);
    r = await cli(trainArgs('2', 'm.mtsk'), dir);
    assert.equal(r.code, 0, describeRun('train again', r));
    assert.deepEqual(await readFile(join(dir, 'old.mtsk')), previous, 'the old file was written in place');
    assert.notDeepEqual(await readFile(model), previous);
    assert.equal((await stat(model)).mode & 0o777, 0o600, 'the permissions of the file replaced');
    r = await cli(['eval', 'm.mtsk', CSV], dir);
    assert.equal(r.code, 0, describeRun('eval', r));

    r = await cli(['predict', 'm.mtsk', CSV, '--out', 'p.csv'], dir);
    assert.equal(r.code, 0, describeRun('predict', r));
    await link(join(dir, 'p.csv'), join(dir, 'old.csv'));
    const before = await readFile(join(dir, 'p.csv'), 'utf8');
    r = await cli(['predict', 'm.mtsk', CSV, '--out', 'p.csv', '--id', 'island'], dir);
    assert.equal(r.code, 0, describeRun('predict again', r));
    assert.equal(await readFile(join(dir, 'old.csv'), 'utf8'), before);
    assert.match(await readFile(join(dir, 'p.csv'), 'utf8'), /^island,species,species_confidence\nTorgersen,/);

    // A save that cannot be made names the path given and leaves nothing behind.
    r = await cli(trainArgs('1', join('no-such-dir', 'm.mtsk')), dir);
    assert.equal(r.code, 1, describeRun('train into a missing directory', r));
    assert.match(r.stderr, /^manytask: cannot write no-such-dir\/m\.mtsk: no such file or directory\n$/);
    r = await cli(trainArgs('1', dir), dir);
    assert.equal(r.code, 1, describeRun('train into a directory', r));
    assert.equal(r.stderr, `manytask: cannot write ${dir}: it is a directory\n`);
    assert.deepEqual(await leftovers(dir), []);
  });
});

test('--out that is one of the command\'s inputs (by any path or symbolic link) is refused, and the input is left as it was (it was replaced, exit 0)', { timeout: 120_000 }, async () => {
  await withDir(async (dir) => {
    await copyFile(CSV, join(dir, 'data.csv'));
    const data = await readFile(join(dir, 'data.csv'));
    await symlink(join(dir, 'data.csv'), join(dir, 'link.csv'));
    const train = (out) => ['train', 'data.csv', '--task', 'species:multiclass', '--arch', 'sharedBottom', '--epochs', '1', '--quiet', '--out', out];
    for (const out of ['data.csv', './data.csv', join(dir, 'data.csv'), 'link.csv']) {
      const r = await cli(train(out), dir);
      assert.equal(r.code, 2, describeRun(`train --out ${out}`, r));
      assert.equal(r.stderr, `manytask: --out ${out} is the training file (data.csv): the model would replace it; choose another --out\n(manytask --help lists the commands and options)\n`);
    }
    let r = await cli(train('m.mtsk'), dir);
    assert.equal(r.code, 0, describeRun('train', r));
    const model = await readFile(join(dir, 'm.mtsk'));
    for (const [out, what, input] of [['m.mtsk', 'the model file', 'm.mtsk'], ['data.csv', 'the CSV file', 'data.csv'], ['link.csv', 'the CSV file', 'data.csv']]) {
      r = await cli(['predict', 'm.mtsk', 'data.csv', '--out', out], dir);
      assert.equal(r.code, 2, describeRun(`predict --out ${out}`, r));
      assert.equal(r.stderr, `manytask: --out ${out} is ${what} (${input}): the predictions would replace it; choose another --out\n(manytask --help lists the commands and options)\n`);
    }
    assert.deepEqual(await readFile(join(dir, 'data.csv')), data);
    assert.deepEqual(await readFile(join(dir, 'm.mtsk')), model);
    // A second (hard) link is another file name: the save replaces that name, and the input stays.
    await link(join(dir, 'm.mtsk'), join(dir, 'twin.mtsk'));
    r = await cli(['predict', 'm.mtsk', 'data.csv', '--out', 'twin.mtsk'], dir);
    assert.equal(r.code, 0, describeRun('predict --out twin.mtsk', r));
    assert.deepEqual(await readFile(join(dir, 'm.mtsk')), model);
    assert.match(await readFile(join(dir, 'twin.mtsk'), 'utf8'), /^row,species,species_confidence\n/);
  });
});
