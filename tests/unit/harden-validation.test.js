// Issue #8, item 1: the input-validation sweep. Every row of tests/helpers/harden-cases.js
// (a function, a bad input, the typed error and what its message must name) is run
// here; a failing call must also leave no WASM memory allocated. Then every argument
// of every public function is replaced by garbage values, and docs/reliability.md's
// table is checked to be exactly what these rows render (HARDEN_WRITE_DOC=1 rewrites it).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  init, Matrix, ManytaskError, NotInitializedError, InitError, isInitialized, MultiTaskModel, Dataset, DataError,
} from '../../dist/index.js';
import { runtime, resetRuntime } from '../../dist/internal.js';
import {
  CASES, CODES, GARBAGE, garbageTargets, makeFixtures, disposeFixtures, renderValidationTable, DOC_BEGIN, DOC_END,
} from '../helpers/harden-cases.js';

let f;
before(async () => {
  await init();
  f = await makeFixtures();
});

const inUse = () => runtime('test').allocator.bytesInUse;
const weightsOf = (m) => m.parameters.list().map((p) => Array.from(m.parameters.get(p.name)));

/** Frees what a call that should have failed (or a garbage call that succeeded) returned. */
async function release(value) {
  const v = await value;
  if (v instanceof Matrix || v instanceof MultiTaskModel) v.dispose();
  else if (v && typeof v === 'object') {
    if (v.grad instanceof Matrix) v.grad.dispose();
    if (typeof v.dispose === 'function') v.dispose();
  }
}

test('every bad input of the sweep gives its typed error, naming what is wrong, and leaks no WASM memory', async () => {
  const started = performance.now();
  const modelWeights = weightsOf(f.model), modelSteps = f.model.steps;
  const failures = [];
  for (const row of CASES) {
    const label = `${row.call} — ${row.tried}`;
    const before = inUse();
    let value, thrown = null;
    try {
      value = await row.run(f);
    } catch (err) {
      thrown = err;
    }
    if (row.error) {
      if (thrown === null) {
        failures.push(`${label}: no error (returned ${String(value)})`);
        await release(value);
        continue;
      }
      const problems = [];
      if (!(thrown instanceof row.error)) problems.push(`expected ${row.error.name}, got ${thrown?.constructor?.name}`);
      if (!(thrown instanceof ManytaskError)) problems.push('not a ManytaskError');
      if (thrown?.code !== CODES.get(row.error)) problems.push(`code ${thrown?.code}, expected ${CODES.get(row.error)}`);
      if (!row.message.test(String(thrown?.message))) problems.push(`message does not match ${row.message}`);
      if (problems.length) failures.push(`${label}: ${problems.join('; ')}\n    message: ${thrown?.message}`);
      const after = inUse();
      if (after !== before) failures.push(`${label}: the failed call left ${after - before} bytes of WASM memory allocated`);
    } else {
      if (thrown !== null) failures.push(`${label}: threw ${thrown?.constructor?.name}: ${thrown?.message}`);
      else {
        try { row.ok(value); } catch (err) { failures.push(`${label}: ${err.message}`); }
      }
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${CASES.length} rows failed:\n${failures.join('\n')}`);
  assert.equal(f.model.steps, modelSteps, 'no refused call trained the shared model');
  assert.deepEqual(weightsOf(f.model), modelWeights, 'no refused call changed its weights');
  assert.ok(performance.now() - started < 20_000, 'the sweep is quick');
});

test('garbage in every argument of every public function: a ManytaskError or a normal return, never a TypeError or a crash', async () => {
  const targets = garbageTargets(f);
  const failures = [];
  let calls = 0;
  for (const [name, [call, args]] of Object.entries(targets)) {
    const n = args().length;
    for (let pos = 0; pos < n; pos++) {
      for (const [gname, g] of Object.entries(GARBAGE)) {
        const a = args();
        a[pos] = g;
        const before = inUse();
        calls++;
        try {
          await release(call(...a));
        } catch (err) {
          if (!(err instanceof ManytaskError)) failures.push(`${name}, argument ${pos + 1} = ${gname}: ${err?.constructor?.name}: ${err?.message}`);
          else if (inUse() !== before) failures.push(`${name}, argument ${pos + 1} = ${gname}: the failed call left ${inUse() - before} bytes allocated`);
        }
      }
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${calls} calls failed:\n${failures.join('\n')}`);
  assert.ok(calls > 2000, `${calls} calls`);
});

test('no input makes parsing hang: a 1 MB numeric cell that is not a number is refused at once, in a short message', () => {
  // The number pattern backtracked in O(n²) over a run of digits: 50,000 digits took 1.4 s, 1 MB minutes.
  for (const cell of ['1'.repeat(1_000_000) + 'x', `${'1'.repeat(500_000)}.${'1'.repeat(500_000)}e`, '9'.repeat(1_000_000) + 'e+']) {
    const started = performance.now();
    assert.throws(() => Dataset.fromCSV(`a\n${cell}\n`, { features: { a: 'numeric' } }),
      (e) => e instanceof DataError && /column "a", row 1 \(line 2\): expected a number, got "1{20}|column "a", row 1 \(line 2\): expected a number, got "9{20}/.test(e.message) &&
        /… \(\d+ characters\)$/.test(e.message) && e.message.length < 300); // the message names the value, it does not carry 1 MB of it
    assert.throws(() => Dataset.fromRows([{ a: cell }], { features: { a: 'numeric' } }), DataError);
    const ms = performance.now() - started;
    assert.ok(ms < 1000, `refused in ${ms.toFixed(0)} ms`);
  }
});

test('docs/reliability.md lists exactly the rows this test runs', () => {
  const url = new URL('../../docs/reliability.md', import.meta.url);
  const table = renderValidationTable(CASES, { targets: garbageTargets(f), values: GARBAGE });
  const doc = readFileSync(url, 'utf8');
  const start = doc.indexOf(DOC_BEGIN), end = doc.indexOf(DOC_END);
  assert.ok(start >= 0 && end > start, `docs/reliability.md has no ${DOC_BEGIN} … ${DOC_END} section`);
  const current = doc.slice(start, end + DOC_END.length);
  if (globalThis.process?.env?.HARDEN_WRITE_DOC === '1' && current !== table) {
    writeFileSync(url, doc.slice(0, start) + table + doc.slice(end + DOC_END.length));
    return;
  }
  assert.equal(current, table, 'docs/reliability.md is out of date: run HARDEN_WRITE_DOC=1 node --test tests/unit/harden-validation.test.js');
});

// Last: these reset the runtime, which invalidates every fixture.
test('before init: NotInitializedError naming the call; bad sources for init: InitError; then init works', async () => {
  disposeFixtures(f);
  resetRuntime();
  assert.equal(isInitialized(), false);
  assert.throws(() => Matrix.zeros(2, 2), (e) => e instanceof NotInitializedError && e.code === 'E_NOT_INITIALIZED' && /Matrix.*call `await init\(\)` first/.test(e.message));
  await assert.rejects(init(42), (e) => e instanceof InitError && e.code === 'E_INIT' && /init\(\) takes a WebAssembly\.Module, the \.wasm bytes, a URL, a file path or a Response; got number/.test(e.message));
  await assert.rejects(init(new Uint8Array([1, 2, 3])), (e) => e instanceof InitError && /not a valid WebAssembly module/.test(e.message));
  await assert.rejects(init(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])), (e) => e instanceof InitError && /not manytask\.wasm/.test(e.message));
  await assert.rejects(init(new URL('./no-such-file.wasm', import.meta.url)), (e) => e instanceof InitError && /could not load manytask\.wasm from .*no-such-file\.wasm/.test(e.message));
  assert.equal(isInitialized(), false, 'a failed init leaves the library uninitialized');
  await init();
  assert.deepEqual(Matrix.from([[2]]).toArray(), [[2]]);
});
