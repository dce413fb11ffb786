// Issue #8, item 4: hostile model files, for both loaders — the full library's
// loadModel (dist/index.js) and manytask/infer's (dist/infer.js).
//
// Valid files of six small models (every architecture family and task kind, a
// Dataset with its preprocessing and plain arrays; f32, f16 and int8 weights:
// tests/helpers/harden-fuzz-fixtures.js) are mutated by fast-check with a fixed
// seed (tests/helpers/harden-fuzz.js): bit flips and byte overwrites with the
// checksum left alone; and, with the CRC-32 recomputed so that the parser behind
// it is what gets tested, edits of the framing fields, truncation, extension and
// bytes cut out or put in, edits of the header text (invalid UTF-8, stray bytes)
// and of the header JSON (values replaced by huge, negative, fractional, wrongly
// typed or deeply nested ones, keys deleted, elements duplicated, swapped or
// appended), weight bytes overwritten (NaN and infinite patterns among them) and
// int8 scales. For every mutated file and each loader:
//   - loading throws ModelFormatError (E_MODEL_FORMAT, a message under 600
//     characters), NotInitializedError before init — nothing else: no TypeError,
//     RangeError, out-of-bounds read or crash;
//   - or it gives a model. If the edit leaves everything a prediction reads as it
//     was, the model predicts exactly what the original predicts (bit for bit, on
//     fixed rows); if it describes another valid model (other weights, activation,
//     statistics, class names…), predict returns or throws a ManytaskError, and
//     both loaders, when both load it, predict the same bits. Predictions are
//     finite (probabilities in [0, 1]) unless the weights themselves were forged:
//     a legal weight of 3.4e38 overflows float32 arithmetic, in both loaders alike;
//   - the WASM memory of each loader is back to what it was (allocator bytes in
//     use) after the load failed or the model was disposed, and never grows;
//   - no load takes more than a second (no hang).
// Then crafted headers that reach for huge allocations or deep recursion, files
// that must still load (a task named "constructor", an untrained model, int8
// scale 0), and loading before init.
//
// Bounded: 8,000 fast-check cases (16,000 loads; stopped after 40 s on a very slow
// machine, and at least 1,000 must run), a few seconds in all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as mt from '../../dist/index.js';
import { runtime } from '../../dist/internal.js';
import { makeModelFiles } from '../helpers/harden-fuzz-fixtures.js';
import { privateInfer } from '../helpers/private-infer.js';
import { mutationArb, predictionBits, badNumber } from '../helpers/harden-fuzz.js';
import { parseFile, withHeader, withHeaderText, withCrc, crc32 } from '../helpers/model-file.js';

// HARDEN_FUZZ_SEED and HARDEN_FUZZ_RUNS run other cases, as many as asked, without the time limit (for a long local run).
const env = globalThis.process?.env ?? {};
const SEED = Number(env.HARDEN_FUZZ_SEED ?? 20_260_508);
const RUNS = Number(env.HARDEN_FUZZ_RUNS ?? 8000);
const TIME_LIMIT_MS = env.HARDEN_FUZZ_RUNS ? 86_400_000 : 40_000;
const CASE_LIMIT_MS = 1000;

let infer, cleanupInfer, fixtures;
const loaders = () => [
  { name: 'loadModel', load: mt.loadModel, Format: mt.ModelFormatError, Base: mt.ManytaskError, memory: () => { const r = runtime('test'); return { inUse: r.allocator.bytesInUse, bytes: r.memory.buffer.byteLength }; } },
  { name: 'infer.loadModel', load: infer.loadModel, Format: infer.ModelFormatError, Base: infer.ManytaskError, memory: () => { const u = infer.memory(); return { inUse: u.bytesInUse, bytes: u.memoryBytes }; } },
];
/** Per fixture, encoding and loader: the original's predictions as bits. */
const reference = new Map();

before(async () => {
  // manytask/infer on infer.wasm, with a runtime of its own (helpers/private-infer.js).
  ({ infer, cleanup: cleanupInfer } = await privateInfer());
  await mt.init();
  fixtures = await makeModelFiles(mt);
});

after(async () => {
  await cleanupInfer?.();
});

/** Loads `bytes` with one loader and predicts the fixture's rows: what happened, checked against the rules above. */
function attempt(loader, bytes, rows) {
  const started = performance.now();
  const mem = loader.memory();
  let model;
  try {
    model = loader.load(bytes);
  } catch (err) {
    const ms = performance.now() - started;
    if (!(err instanceof loader.Format) || err.code !== 'E_MODEL_FORMAT') {
      return { fault: `threw ${err?.constructor?.name} (${err?.code}): ${String(err?.message).slice(0, 300)}` };
    }
    if (err.message.length > 600) return { fault: `a ${err.message.length}-character message: ${err.message.slice(0, 200)}…` };
    const now = loader.memory();
    if (now.inUse !== mem.inUse) return { fault: `the refused load left ${now.inUse - mem.inUse} bytes of WASM memory allocated` };
    return { refused: err.message, ms, grew: now.bytes - mem.bytes };
  }
  let bits = null, predictError = null, nonFinite = null;
  try {
    const p = model.predict(rows);
    bits = predictionBits(p);
    nonFinite = badNumber(p);
  } catch (err) {
    if (!(err instanceof loader.Base)) {
      model.dispose();
      return { fault: `the loaded model's predict threw ${err?.constructor?.name}: ${String(err?.message).slice(0, 300)}` };
    }
    predictError = `${err.constructor.name}: ${err.message}`;
  }
  model.dispose();
  const ms = performance.now() - started;
  const now = loader.memory();
  if (now.inUse !== mem.inUse) return { fault: `the loaded and disposed model left ${now.inUse - mem.inUse} bytes of WASM memory allocated` };
  return { loaded: true, bits, predictError, nonFinite, ms, grew: now.bytes - mem.bytes };
}

test('manytask/infer before init: every file, valid or mutated, gives NotInitializedError or ModelFormatError', async () => {
  assert.equal(infer.isInitialized(), false, 'the private copy of manytask/infer starts uninitialized');
  const kinds = new Set();
  const cases = fc.sample(fc.tuple(fc.nat({ max: fixtures.length - 1 }), fc.constantFrom('f32', 'f16', 'int8'), mutationArb()), { seed: SEED + 1, numRuns: 300 });
  for (const [fi, enc, mutation] of [[0, 'f32', null], ...cases]) {
    const bytes = mutation ? mutation.apply(fixtures[fi].files[enc]) : fixtures[fi].files[enc];
    assert.throws(() => infer.loadModel(bytes), (e) => {
      assert.ok((e instanceof infer.NotInitializedError && e.code === 'E_NOT_INITIALIZED') || (e instanceof infer.ModelFormatError && e.code === 'E_MODEL_FORMAT'),
        `${mutation?.label ?? 'the original file'}: ${e?.constructor?.name}: ${e?.message}`);
      kinds.add(e.constructor.name);
      return true;
    });
  }
  assert.deepEqual([...kinds].sort(), ['ModelFormatError', 'NotInitializedError']);
  await infer.init();
});

test('the fixtures: both loaders load every original file and predict the same bits', () => {
  assert.equal(fixtures.length, 6);
  for (const [i, f] of fixtures.entries()) {
    for (const [enc, bytes] of Object.entries(f.files)) {
      const [full, lean] = loaders().map((l) => attempt(l, bytes, f.rows));
      assert.ok(full.loaded && lean.loaded, `${f.name}, ${enc}: ${full.fault ?? full.refused ?? ''} ${lean.fault ?? lean.refused ?? ''}`);
      assert.equal(full.predictError, null, `${f.name}, ${enc}`);
      assert.equal(full.nonFinite, null, `${f.name}, ${enc}`);
      assert.equal(full.bits, lean.bits, `${f.name}, ${enc}: the loaders differ on the original file`);
      reference.set(`${i}/${enc}`, full.bits);
    }
  }
});

test(`${RUNS} mutated model files: a ModelFormatError or a model that behaves as it should, in both loaders; no leak, no growth, no hang`, { timeout: 120_000 }, async (t) => {
  assert.ok(reference.size > 0, 'the fixtures test ran first');
  const counts = {};
  const count = (key) => { counts[key] = (counts[key] ?? 0) + 1; };
  let slowest = 0, grew = 0;
  const started = performance.now();
  const arb = fc.tuple(fc.nat({ max: fixtures.length - 1 }), fc.constantFrom('f32', 'f16', 'int8'), mutationArb());
  const result = fc.check(fc.property(arb, ([fi, enc, mutation]) => {
    const f = fixtures[fi];
    // int8 scales exist only in int8 files.
    const encoding = mutation.kind === 'scale' ? 'int8' : enc;
    const bytes = mutation.apply(f.files[encoding]);
    const where = `${f.name}, ${encoding}: ${mutation.label}`;
    const outcomes = loaders().map((loader) => {
      const o = attempt(loader, bytes, f.rows);
      if (o.fault) throw new Error(`${loader.name}, ${where}: ${o.fault}`);
      slowest = Math.max(slowest, o.ms);
      grew = Math.max(grew, o.grew);
      if (o.ms > CASE_LIMIT_MS) throw new Error(`${loader.name}, ${where}: took ${o.ms.toFixed(0)} ms`);
      if (o.grew > 0) throw new Error(`${loader.name}, ${where}: WASM memory grew by ${o.grew} bytes`);
      const original = reference.get(`${fi}/${encoding}`);
      if (o.loaded) {
        if (mutation.expect === 'same' && (o.bits !== original)) {
          throw new Error(`${loader.name}, ${where}: loaded, but predicts ${o.predictError ?? 'other values'} than the original`);
        }
        if (o.nonFinite && !mutation.mayOverflow) {
          throw new Error(`${loader.name}, ${where}: the weights, scales and statistics are the original ones, but it predicts ${o.nonFinite}`);
        }
        count(`${mutation.kind}: loaded, ${o.bits === original ? 'predicts as the original' : o.predictError ? 'predict refuses the rows' : 'another model'}`);
      } else {
        count(`${mutation.kind}: refused`);
      }
      return o;
    });
    const [full, lean] = outcomes;
    if (full.loaded && lean.loaded && (full.bits !== lean.bits || (full.predictError === null) !== (lean.predictError === null))) {
      throw new Error(`${where}: both loaders load it, and predict differently (${full.predictError ?? 'values'} / ${lean.predictError ?? 'values'})`);
    }
    if (full.loaded && lean.loaded) count('both loaders loaded it');
  }), { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false, endOnFailure: true });
  const seconds = (performance.now() - started) / 1000;
  if (result.failed) assert.fail(`${result.errorInstance?.message ?? result.error}\n(counterexample path ${result.counterexamplePath}, seed ${SEED})`);
  assert.ok(result.numRuns >= Math.min(1000, RUNS), `only ${result.numRuns} cases ran in ${seconds.toFixed(1)} s`);
  t.diagnostic(`${result.numRuns} of ${RUNS} cases (seed ${SEED}) in ${seconds.toFixed(1)} s${result.interrupted ? ' (interrupted by the time limit)' : ''}; slowest load ${slowest.toFixed(1)} ms; WASM memory grew by ${grew} bytes`);
  t.diagnostic(JSON.stringify(Object.fromEntries(Object.entries(counts).sort())));
  for (const kind of ['raw', 'framing', 'length', 'text', 'json', 'weights', 'scale']) {
    assert.ok(Object.keys(counts).some((k) => k.startsWith(`${kind}:`)), `no ${kind} mutation ran`);
  }
});

/** Both loaders refuse `bytes` with a ModelFormatError whose message matches `pattern`, quickly and leaving memory as it was. */
function refusedByBoth(bytes, pattern, label) {
  let slowest = 0;
  for (const loader of loaders()) {
    const o = attempt(loader, bytes, [[0]]);
    assert.ok(!o.fault, `${loader.name}, ${label}: ${o.fault}`);
    assert.ok(o.refused, `${loader.name}, ${label}: loaded`);
    assert.match(o.refused, pattern, `${loader.name}, ${label}`);
    // 2 s, or 1 µs per byte of a larger file: reading one takes about 0.1 µs per byte
    // (10.4 MB in 1.1 s here), and a quadratic pass over its 2²⁰ names would take hours.
    const bound = Math.max(2000, bytes.length / 1000);
    assert.ok(o.ms < bound, `${loader.name}, ${label}: ${o.ms.toFixed(0)} ms (bound ${bound.toFixed(0)} ms)`);
    assert.equal(o.grew, 0, `${loader.name}, ${label}: WASM memory grew`);
    slowest = Math.max(slowest, o.ms);
  }
  return slowest;
}

test('crafted headers that reach for huge allocations, quadratic time or deep recursion are refused at once by both loaders', { timeout: 60_000 }, (t) => {
  const base = fixtures[1].files.f32; // mmoe, arrays
  const h = parseFile(base).header;
  const deep = (n) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const cases = [
    ['a width of 2³¹ in the architecture', withHeader(base, (x) => ({ ...x, architecture: { ...x.architecture, expertUnits: [2 ** 31] } })), /parameter table does not match.*experts\.0\.0\.weight" 3×2147483648/],
    ['2³⁰ experts', withHeader(base, (x) => ({ ...x, architecture: { ...x.architecture, experts: 2 ** 30 } })), /parameter table does not match/],
    ['a task width of 65,536 in the schema', withHeader(base, (x) => ({ ...x, schema: { ...x.schema, tasks: { ...x.schema.tasks, constructor: { width: 65536 } } } })), /parameter table does not match/],
    ['a task width of 2³² in the schema', withHeader(base, (x) => ({ ...x, schema: { ...x.schema, tasks: { ...x.schema.tasks, spend: { width: 2 ** 32 } } } })), /invalid width/],
    ['2²⁰ + 1 feature names', withHeader(base, (x) => ({ ...x, schema: { ...x.schema, featureNames: Array.from({ length: 2 ** 20 + 1 }, (_, i) => `f${i}`) } })), /feature count 1048577 is out of range/],
    ['feature names nested 20,000 deep', withHeaderText(base, JSON.stringify({ ...h, schema: { ...h.schema, featureNames: ['\u0000'] } }).replace('"\\u0000"', deep(20_000))), /feature names are not all strings/],
    ['an architecture type nested 20,000 deep', withHeaderText(base, JSON.stringify({ ...h, architecture: { ...h.architecture, type: '\u0000' } }).replace('"\\u0000"', deep(20_000))), /unknown architecture type/],
    ['a parameter shape nested 20,000 deep', withHeaderText(base, JSON.stringify({ ...h, parameters: [{ ...h.parameters[0], shape: '\u0000' }, ...h.parameters.slice(1)] }).replace('"\\u0000"', deep(20_000))), /parameter table does not match.*found "experts\.0\.0\.weight" /],
    // 1,025 tasks: beyond the limit, before any per-task work.
    ['1,025 tasks', withHeader(base, (x) => ({ ...x, tasks: Array.from({ length: 1025 }, (_, i) => ({ name: `t${i}`, kind: 'binary' })) })), /1025 tasks; a model file holds at most 1024/],
    // A chain of 1,024 tasks, each reading the one before: ordered without recursion, then refused for the missing tensors.
    ['a chain of 1,024 task inputs', withHeader(base, (x) => ({
      ...x,
      tasks: Array.from({ length: 1024 }, (_, i) => ({ name: `t${i}`, kind: 'binary', ...(i > 0 ? { inputsFrom: [`t${i - 1}`] } : {}) })),
      schema: { ...x.schema, tasks: Object.fromEntries(Array.from({ length: 1024 }, (_, i) => [`t${i}`, { width: 1 }])) },
    })), /parameter table does not match/],
    // One task reading another 500,000 times: linear, then refused.
    ['inputsFrom with 500,000 entries', withHeader(base, (x) => ({ ...x, tasks: x.tasks.map((s, i) => (i === 2 ? { ...s, inputsFrom: Array(500_000).fill('tags') } : s)) })), /parameter table does not match/],
    ['a parameter table of 200,000 rows', withHeader(base, (x) => ({ ...x, parameters: [...x.parameters, ...Array.from({ length: 200_000 }, (_, i) => ({ name: `x${i}`, shape: [1, 1], offset: 0 }))] })), /parameter table does not match/],
    ['inputsFrom in a cycle through 1,000 tasks', withHeader(base, (x) => ({
      ...x,
      tasks: Array.from({ length: 1000 }, (_, i) => ({ name: `t${i}`, kind: 'binary', inputsFrom: [`t${(i + 1) % 1000}`] })),
      schema: { ...x.schema, tasks: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`t${i}`, { width: 1 }])) },
    })), /inputsFrom of task "t0" form a cycle/],
    ['a header length of 2³² − 1', withCrc(Uint8Array.from(base, (b, i) => (i >= 8 && i < 12 ? 0xff : b))), /header length 4294967295 does not fit/],
    ['a weight count of 2²⁸ in a small file', (() => { const b = Uint8Array.from(base); new DataView(b.buffer).setUint32(parseFile(base).at + 4, 2 ** 28, true); return withCrc(b); })(), /should be \d+ bytes for 268435456 f32 weights/],
    ['a weight count over the limit', (() => { const b = Uint8Array.from(base); new DataView(b.buffer).setUint32(parseFile(base).at + 4, 2 ** 28 + 1, true); return withCrc(b); })(), /268435457 weights exceeds the limit/],
    ['a flag set', (() => { const b = Uint8Array.from(base); b[6] = 1; return withCrc(b); })(), /its flags are 0x1/],
    ['a reserved byte after the encoding set', (() => { const b = Uint8Array.from(base); b[parseFile(base).at + 2] = 7; return withCrc(b); })(), /three bytes after the weight encoding are not zero/],
  ];
  const times = cases.map(([label, bytes, pattern]) => [label, refusedByBoth(bytes, pattern, label)]);
  const [slowLabel, slowMs] = times.reduce((a, b) => (b[1] > a[1] ? b : a));
  t.diagnostic(`${cases.length} crafted files refused by both loaders; the slowest load: ${slowMs.toFixed(0)} ms (${slowLabel}, ${(cases.find((c) => c[0] === slowLabel)[1].length / 1e6).toFixed(1)} MB)`);
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926, 'the forging CRC-32 is the IEEE one');
});

test('regression statistics, int8 scales and padding: what both loaders refuse, and what they still read', () => {
  const pen = fixtures[0].files; // regression task body_mass_g, classification tasks species and sex
  const stats = (edit) => withHeader(pen.f32, (x) => ({ ...x, targetStats: edit(x.targetStats) }));
  const refusedStats = [
    ['mean "x"', stats((s) => ({ ...s, body_mass_g: { ...s.body_mass_g, mean: 'x' } }))],
    ['std 1e308', stats((s) => ({ ...s, body_mass_g: { ...s.body_mass_g, std: 1e308 } }))],
    ['std 0', stats((s) => ({ ...s, body_mass_g: { ...s.body_mass_g, std: 0 } }))],
    ['std −1', stats((s) => ({ ...s, body_mass_g: { ...s.body_mass_g, std: -1 } }))],
    ['mean 1e39', stats((s) => ({ ...s, body_mass_g: { ...s.body_mass_g, mean: 1e39 } }))],
    ['std null', stats((s) => ({ ...s, body_mass_g: { ...s.body_mass_g, std: null } }))],
  ];
  for (const [label, bytes] of refusedStats) refusedByBoth(bytes, /target statistics of "body_mass_g" are mean .* they must be finite, the std > 0, both within the float32 range/, label);
  refusedByBoth(stats((s) => ({ ...s, sex: { mean: 0, std: 1 } })), /target statistics name "sex", which is not a regression task/, 'statistics for a binary task');
  refusedByBoth(stats(() => [1, 2]), /target statistics are not an object/, 'statistics as an array');

  const int8 = pen.int8;
  const scale = (k, v) => withHeader(int8, (x) => ({ ...x, parameters: x.parameters.map((t, i) => (i === k ? { ...t, scale: v } : t)) }));
  for (const v of [1e37, 1e308, -0.01, 0.1, 'NaN', null]) refusedByBoth(scale(0, v), /entry 0 of the parameter table is not a tensor .* with a finite scale ≥ 0/, `int8 scale ${v}`);
  refusedByBoth(scale(0, 0), /scale 0 but non-zero weights/, 'int8 scale 0 for a tensor with weights');
  const f = parseFile(int8);
  const q128 = Uint8Array.from(int8);
  q128[f.bodyStart] = 0x80;
  refusedByBoth(withCrc(q128), /int8 weight 0 is −128/, 'int8 byte −128');
  // Padding between tensors (the first tensor, 3 × 8 for the species head of this model? whatever its size: find a gap).
  const table = f.header.parameters;
  const gap = table.findIndex((t, i) => i + 1 < table.length && t.offset + t.shape[0] * t.shape[1] < table[i + 1].offset);
  assert.ok(gap >= 0, 'the model has padding between two tensors');
  const at = table[gap].offset + table[gap].shape[0] * table[gap].shape[1];
  for (const [enc, size, value] of [['f32', 4, 0x3f800000], ['f16', 2, 0x3c00], ['int8', 1, 5]]) {
    const b = Uint8Array.from(pen[enc]);
    const p = parseFile(b);
    const v = new DataView(b.buffer);
    if (size === 4) v.setUint32(p.bodyStart + at * 4, value, true);
    else if (size === 2) v.setUint16(p.bodyStart + at * 2, value, true);
    else b[p.bodyStart + at] = value;
    refusedByBoth(withCrc(b), new RegExp(`weight ${at} lies between tensors \\(padding\\) and is (1|5), not 0`), `${enc}: padding not 0`);
  }
});

test('unusual files that must load: a task named "constructor", an untrained model without statistics, an all-zero int8 tensor, whitespace in the header', async () => {
  // "constructor": infer read the statistics of such a task from Object.prototype and refused the file.
  const named = fixtures[1];
  for (const loader of loaders()) {
    const o = attempt(loader, named.files.f16, named.rows);
    assert.ok(o.loaded && o.bits === reference.get('1/f16'), `${loader.name}: ${o.refused ?? o.fault ?? ''}`);
  }
  const untrained = new mt.MultiTaskModel({ input: { features: 2 }, architecture: { type: 'sharedBottom', units: [3], towerUnits: [] }, tasks: [mt.tasks.regression('y'), mt.tasks.binary('b')], seed: 1 });
  untrained.parameters.set('head.b.0.bias', [0]);
  const files = { f32: untrained.save(), int8: untrained.save({ weights: 'int8' }) };
  const want = predictionBits(untrained.predict([[1, 2], [3, -4]]));
  untrained.dispose();
  assert.equal(parseFile(files.int8).header.parameters.find((t) => t.name === 'head.b.0.bias').scale, 0);
  for (const loader of loaders()) {
    const o = attempt(loader, files.f32, [[1, 2], [3, -4]]);
    assert.ok(o.loaded && o.bits === want, `${loader.name}: an untrained model ${o.refused ?? ''}`);
    const q = attempt(loader, files.int8, [[1, 2], [3, -4]]);
    assert.ok(q.loaded, `${loader.name}: int8 with a zero tensor: ${q.refused ?? ''}`);
    const spaced = withHeaderText(fixtures[0].files.int8, JSON.stringify(parseFile(fixtures[0].files.int8).header, null, 2));
    const s = attempt(loader, spaced, fixtures[0].rows);
    assert.ok(s.loaded && s.bits === reference.get('0/int8'), `${loader.name}: an indented header`);
  }
});
