// The pieces of federated training that need no model (src/federated/):
// the exact fixed-point sum against BigInt arithmetic, the update encodings and
// frames against their definitions, DP-FedAvg's clipping, noise and accountant,
// the server optimizers against f64 references, and the signed tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FederatedError } from '../../dist/federated.js';
import { createToken, verifyToken } from '../../dist/federated-coordinator.js';
import {
  FixedPointSum, valueLimit, MAX_WEIGHT, encodeFrame, decodeFrame, encodeValues, decodeValues, encodedLength, INT8_BLOCK,
  crc32, gaussianEpsilon, ln, roundedGaussian, noiseKey, clipFactor, serverStep, readServerOptimizer, stateWidth,
} from '../../dist/internal.js';
import { assertClose, seededValues } from '../helpers/reference.js';
import { integerSum, weightedMean, serverStepRef, permutations } from '../helpers/federated-reference.js';

/** assert.throws / rejects validator: a FederatedError with this reason, its message matching. */
const refused = (reason, pattern) => (err) => {
  assert.ok(err instanceof FederatedError, `expected FederatedError(${reason}), got ${err?.constructor?.name}: ${err?.message}`);
  assert.equal(err.code, 'E_FEDERATED');
  assert.equal(err.reason, reason, err.message);
  if (pattern) assert.match(err.message, pattern);
  return true;
};

/** The integer a FixedPointSum holds, read back from its bytes (hi·2³² + lo, as BigInt). */
function integers(sum) {
  const view = new DataView(sum.toBytes().buffer);
  return Array.from({ length: sum.length }, (_, i) => BigInt(view.getFloat64(16 + i * 8, true)) * 2n ** 32n + BigInt(view.getFloat64(16 + (sum.length + i) * 8, true)));
}

const hex = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

function updates(count, n, seed, magnitude = 1) {
  return Array.from({ length: count }, (_, k) => ({
    values: Float32Array.from(seededValues(n, seed + k), (v) => v * magnitude * (1 + k)),
    weight: 1 + ((seed * 7 + k * 13) % 50),
  }));
}

function sumOf(list, fractionBits = 24) {
  const sum = new FixedPointSum(list[0].values.length, fractionBits);
  for (const u of list) sum.addQuantized(sum.quantize(u.values, 1, new Float64Array(u.values.length), 'u'), u.weight);
  return sum;
}

test('fixed-point sum: exactly the BigInt sum of weighted rounded values, for sizes 1 to 1000 and weights up to MAX_WEIGHT', () => {
  for (const [n, fractionBits] of [[1, 24], [7, 24], [256, 16], [1000, 30], [33, 8]]) {
    // Values up to 0.95 of the range (the fifth update's are 5 × 0.19 of it).
    const list = updates(5, n, n, 0.19 * valueLimit(fractionBits));
    list[0].weight = MAX_WEIGHT; // the largest weight, with the largest values, still exact
    const sum = sumOf(list, fractionBits);
    assert.deepEqual(integers(sum), integerSum(list, fractionBits), `n ${n}, F ${fractionBits}`);
    assert.equal(sum.weight, list.reduce((s, u) => s + u.weight, 0));
    assert.equal(sum.count, 5);
    // The mean: the exact weighted mean of the f32 values to within half a fixed-point step.
    assertClose(sum.mean(), weightedMean(list), { atol: 2 ** -(fractionBits + 1) * 1.0001, rtol: 1e-15, label: `mean, n ${n}` });
  }
});

test('fixed-point sum: the same bits in every arrival order, and shards merged in any order give the one sum', () => {
  const list = updates(5, 300, 11, 3);
  const reference = hex(sumOf(list).mean());
  for (const order of permutations([0, 1, 2, 3, 4])) {
    assert.equal(hex(sumOf(order.map((i) => list[i])).mean()), reference, `order ${order}`);
  }
  // A float32 running sum, by contrast, depends on the order (why the sums are integers).
  const naive = (ls) => hex(Float32Array.from({ length: 300 }, (_, i) => ls.reduce((acc, u) => Math.fround(acc + Math.fround(u.weight * u.values[i])), 0)));
  assert.ok(permutations([0, 1, 2, 3, 4]).some((o) => naive(o.map((i) => list[i])) !== naive(list)), 'f32 sums of these updates do depend on the order');
  // Leaves each summing some clients, a root merging the leaves' integer sums (forwarded as bytes).
  for (const split of [[[0, 1], [2, 3, 4]], [[4], [0, 2], [1, 3]]]) {
    const root = new FixedPointSum(300);
    for (const leaf of split.reverse()) root.merge(FixedPointSum.fromBytes(sumOf(leaf.map((i) => list[i])).toBytes(), 300, 24));
    assert.equal(hex(root.mean()), reference, `shards ${JSON.stringify(split)}`);
    assert.equal(root.count, 5);
  }
});

test('fixed-point sum: a value beyond the exact range is refused (out-of-range, not-finite), and forged partial sums are malformed', () => {
  const sum = new FixedPointSum(3, 24);
  const scratch = new Float64Array(3);
  assert.equal(valueLimit(24), 128);
  sum.quantize([127.9, -127.9, 0], 1, scratch, 'ok');
  assert.throws(() => sum.quantize([0, 128, 0], 1, scratch, 'the shared part'), refused('out-of-range', /the shared part: value 1 is 128; the exact sum holds values within ±128/));
  assert.throws(() => sum.quantize([0, 0, NaN], 1, scratch, 'x'), refused('not-finite'));
  assert.throws(() => FixedPointSum.fromBytes(new Uint8Array(10), 3, 24), refused('malformed'));
  const forged = sumOf([{ values: [1, 2, 3], weight: 2 }]).toBytes();
  new DataView(forged.buffer).setFloat64(16 + 3 * 8, 2 ** 40, true); // lo outside [−2³¹, 2³¹)
  assert.throws(() => FixedPointSum.fromBytes(forged, 3, 24), refused('malformed', /canonical/));
  assert.throws(() => new FixedPointSum(3, 24).merge(new FixedPointSum(3, 20)), refused('malformed'));
});

test('update encodings: f32 exact, f16 the nearest binary16, int8 within scale/2 per block; sizes below, at and above the int8 block', () => {
  for (const n of [1, 5, INT8_BLOCK - 1, INT8_BLOCK, INT8_BLOCK + 1, 3 * INT8_BLOCK + 17]) {
    const values = Float32Array.from(seededValues(n, n), (v, i) => v * (i % 3 === 0 ? 0.01 : 2));
    for (const encoding of ['f32', 'f16', 'int8']) {
      const bytes = new Uint8Array(encodedLength(n, encoding) + 3);
      const end = encodeValues(values, encoding, bytes, 3, 'u');
      assert.equal(end, 3 + encodedLength(n, encoding));
      const back = new Float32Array(n);
      assert.equal(decodeValues(bytes, 3, encoding, back, 'u'), end);
      if (encoding === 'f32') assert.equal(hex(back), hex(values));
      if (encoding === 'f16') assertClose(back, values, { atol: 6e-8, rtol: 2 ** -11, label: `f16, n ${n}` });
      if (encoding === 'int8') {
        for (let b = 0; b < n; b += INT8_BLOCK) {
          const block = values.subarray(b, b + INT8_BLOCK);
          const scale = Math.fround(Math.max(...block.map(Math.abs)) / 127);
          assertClose(back.subarray(b, b + INT8_BLOCK), block, { atol: scale / 2 * 1.0001, rtol: 1e-7, label: `int8 block ${b / INT8_BLOCK}, n ${n}` });
        }
      }
    }
  }
  assert.equal(encodedLength(1000, 'int8'), 1000 + 4 * 4);
});

test('update encodings refuse what is no value: NaN or ∞ (either way), f16 overflow, an int8 −128, a bad scale', () => {
  const out = new Uint8Array(64);
  for (const encoding of ['f32', 'f16', 'int8']) {
    assert.throws(() => encodeValues(Float32Array.of(1, NaN), encoding, out, 0, 'the update'), refused('not-finite', /the update: value 1 is NaN/));
    assert.throws(() => encodeValues(Float32Array.of(Infinity), encoding, out, 0, 'u'), refused('not-finite'));
  }
  assert.throws(() => encodeValues(Float32Array.of(70000), 'f16', out, 0, 'u'), refused('out-of-range', /beyond the f16 range/));
  const f32 = new Uint8Array(8);
  new DataView(f32.buffer).setFloat32(4, NaN, true);
  assert.throws(() => decodeValues(f32, 0, 'f32', new Float32Array(2), 'part'), refused('not-finite', /part: value 1 is NaN/));
  const f16 = Uint8Array.of(0, 0x7c); // +∞
  assert.throws(() => decodeValues(f16, 0, 'f16', new Float32Array(1), 'p'), refused('not-finite'));
  const int8 = new Uint8Array(6);
  new DataView(int8.buffer).setFloat32(0, 0.5, true);
  int8[4] = 0x80;
  assert.throws(() => decodeValues(int8, 0, 'int8', new Float32Array(2), 'p'), refused('malformed', /−128/));
  for (const [scale, reason] of [[NaN, 'not-finite'], [Infinity, 'not-finite'], [-1, 'malformed']]) {
    new DataView(int8.buffer).setFloat32(0, scale, true);
    int8[4] = 1;
    assert.throws(() => decodeValues(int8, 0, 'int8', new Float32Array(2), 'p'), refused(reason, /scale/));
  }
  new DataView(int8.buffer).setFloat32(0, 3e38, true); // 127 × 3e38 overflows
  int8[4] = 127;
  assert.throws(() => decodeValues(int8, 0, 'int8', new Float32Array(1), 'p'), refused('not-finite'));
});

test('frames: round trip, and truncated, corrupted, foreign, oversized or wrong-kind bytes refused with the reason', () => {
  const payload = Uint8Array.of(1, 2, 3, 4, 5);
  const frame = encodeFrame('update', { round: 3, parts: [] }, payload);
  const back = decodeFrame(frame, 'update', 1000);
  assert.deepEqual(back.header, { round: 3, parts: [] });
  assert.deepEqual([...back.payload], [...payload]);
  const flipped = frame.slice(); flipped[14] ^= 1;
  const foreign = frame.slice(); foreign[0] = 0x4e;
  const cases = [
    [frame.subarray(0, frame.length - 1), 'malformed', /checksum/],
    [frame.subarray(0, 10), 'malformed', /shorter than any message/],
    [flipped, 'malformed', /checksum/],
    [foreign, 'malformed', /magic/],
    [encodeFrame('start', {}, payload), 'malformed', /kind is 2, not 1 \(update\)/],
    [frame, 'too-large', /at most 20/, 20],
  ];
  for (const [bytes, reason, pattern, max = 1000] of cases) assert.throws(() => decodeFrame(bytes, 'update', max), refused(reason, pattern));
  // A well-formed frame whose header is JSON but not an object.
  const bad = new Uint8Array(12 + 3 + 4);
  bad.set(frame.subarray(0, 8));
  new DataView(bad.buffer).setUint32(8, 3, true);
  bad.set(new TextEncoder().encode('[1]'), 12);
  new DataView(bad.buffer).setUint32(bad.length - 4, crc32(bad, 0, bad.length - 4), true);
  assert.throws(() => decodeFrame(bad, 'update', 1000), refused('malformed', /not a JSON object/));
});

test('privacy: ln by + − × ÷ within 2 ulp of Math.log; ε of the RDP accountant at its best order; clipping to C', () => {
  for (const x of [1e-300, 1e-20, 0.001, 0.3, 0.5, 0.7071, 1, 1.0000001, 1.5, Math.E, 10, 12345.678, 1e200, ...seededValues(200, 9).map((v) => (v + 1.01) * 50)]) {
    const e = Math.log(x);
    assert.ok(Math.abs(ln(x) - e) <= 2 * Number.EPSILON * Math.max(Math.abs(e), 1), `ln(${x}) = ${ln(x)}, Math.log ${e}`);
  }
  assert.equal(ln(0), -Infinity);
  assert.ok(Number.isNaN(ln(-1)));
  // ε(δ) = min over α > 1 of R·α/(2σ²) + ln(1/δ)/(α − 1): a fine grid of orders gets within 1e-6 of the closed form, never below it.
  for (const [sigma, rounds, delta] of [[1, 1, 1e-5], [1.1, 100, 1e-5], [4, 1000, 1e-6], [0.5, 10, 1e-3]]) {
    let best = Infinity;
    for (let a = 1.0001; a < 2000; a *= 1.0001) best = Math.min(best, (rounds * a) / (2 * sigma * sigma) + Math.log(1 / delta) / (a - 1));
    const eps = gaussianEpsilon(sigma, rounds, delta);
    assert.ok(eps <= best + 1e-9 && best - eps < 1e-3 * best, `σ ${sigma}, R ${rounds}: ${eps} vs grid ${best}`);
  }
  assert.equal(gaussianEpsilon(1, 0, 1e-5), 0);
  assert.equal(clipFactor(4, 1), 0.5);
  assert.equal(clipFactor(0.25, 1), 1);
});

test('privacy: rounded Gaussian noise has mean 0 and the asked standard deviation, repeats under one key and differs under another', async () => {
  const key = await noiseKey(7, 'round 1');
  const n = 40000, std = 1000;
  const a = await roundedGaussian(key, n, std);
  assert.equal(hex(a), hex(await roundedGaussian(key, n, std)), 'one key, one noise');
  assert.notEqual(hex(a.subarray(0, 100)), hex((await roundedGaussian(await noiseKey(7, 'round 2'), 100, std))), 'another label, other noise');
  assert.notEqual(hex(await noiseKey(undefined, 'x')), hex(await noiseKey(undefined, 'x')), 'without a seed, a fresh random key');
  let mean = 0, sq = 0;
  for (const v of a) { assert.ok(Number.isInteger(v)); mean += v; sq += v * v; }
  mean /= n;
  const sd = Math.sqrt(sq / n - mean * mean);
  // Standard errors: 1000/√40000 = 5 for the mean, ≈ 3.5 for the sd; 5 of them.
  assert.ok(Math.abs(mean) < 25, `mean ${mean}`);
  assert.ok(Math.abs(sd - std) < 18, `sd ${sd}`);
  // The tails: about 4.55 % beyond 2σ.
  const beyond = a.filter((v) => Math.abs(v) > 2 * std).length / n;
  assert.ok(Math.abs(beyond - 0.0455) < 0.006, `P(|z| > 2) = ${beyond}`);
});

test('server optimizers: FedAvg, FedAvgM and FedAdam against f64 references over several rounds; options checked', () => {
  const n = 37;
  for (const spec of [{ type: 'fedavg' }, { type: 'fedavg', learningRate: 0.5 }, { type: 'fedavgm', momentum: 0.8 }, { type: 'fedadam', learningRate: 0.05, tau: 1e-2 }]) {
    const config = readServerOptimizer('test', spec);
    const weights = Float32Array.from(seededValues(n, 1));
    const state = new Float64Array(stateWidth(config) * n);
    const ref = { w: Float64Array.from(weights), m: new Float64Array(n), v: new Float64Array(n) };
    for (let r = 0; r < 5; r++) {
      const delta = Float64Array.from(seededValues(n, 10 + r), (v) => v * 0.1);
      serverStep(config, weights, delta, state);
      ref.w = Float64Array.from(Float32Array.from(serverStepRef(config, ref.w, delta, ref)));
      assertClose(weights, ref.w, { atol: 1e-7, rtol: 1e-6, label: `${spec.type} round ${r}` });
    }
  }
  assert.deepEqual(readServerOptimizer('t', undefined), { type: 'fedavg', learningRate: 1 });
  assert.deepEqual(readServerOptimizer('t', { type: 'fedadam' }), { type: 'fedadam', learningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3 });
  assert.throws(() => readServerOptimizer('t', { type: 'fedsgd' }), /unknown server optimizer "fedsgd"/);
  assert.throws(() => readServerOptimizer('t', { type: 'fedavgm', momentum: 1 }), /momentum must be a number in \[0, 1\)/);
  assert.throws(() => readServerOptimizer('t', { type: 'fedavg', beta1: 0.9 }), /unknown option "beta1"/);
});

test('tokens: signed claims verify; another secret, an altered token, an expired one or none are unauthorized', async () => {
  const secret = 's'.repeat(32), other = 'o'.repeat(32);
  const token = await createToken(secret, { clientId: 'phone-7', federation: 'penguins', expiresIn: 60, now: 1e12 });
  assert.deepEqual(await verifyToken(secret, token, 1e12 + 1000), { sub: 'phone-7', role: 'client', fed: 'penguins', exp: 1e9 + 60 });
  const admin = await createToken(secret, { clientId: 'ops', role: 'admin' });
  assert.deepEqual(await verifyToken(secret, admin), { sub: 'ops', role: 'admin' });
  const [p, body, sig] = token.split('.');
  const forged = `${p}.${Buffer.from(JSON.stringify({ sub: 'phone-7', role: 'admin' })).toString('base64url')}.${sig}`;
  for (const [t, pattern, s = secret, now = 1e12] of [
    [token, /signature does not verify/, other],
    [forged, /signature does not verify/],
    [`${p}.${body}.${sig.slice(0, -2)}AA`, /signature does not verify/],
    [token, /expired/, secret, 1e12 + 61_000],
    [undefined, /no token/],
    ['Bearer x', /not a manytask federated token/],
    [`${p}.${body}.!!`, /not base64url/],
  ]) {
    await assert.rejects(verifyToken(s, t, now), refused('unauthorized', pattern));
  }
  await assert.rejects(createToken('short', { clientId: 'a' }), refused('config', /at least 32 characters/));
  await assert.rejects(createToken(secret, { clientId: 'a b' }), refused('config', /clientId/));
  await assert.rejects(createToken(secret, { clientId: 'a', role: 'root' }), refused('config', /role/));
});
