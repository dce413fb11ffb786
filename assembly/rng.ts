// The one seeded PRNG: xoshiro128** (Blackman & Vigna), seeded by splitmix32.
// Integer arithmetic only, plus AssemblyScript's software log/cos/sin for normals,
// so a seed gives the same stream, bit for bit, in every runtime.
//
// State: 4 × u32 at `state` (16 bytes, 4-byte aligned), owned by the caller.

export function rngSeed(state: usize, seed: u32, stream: u32): void {
  let x: u32 = seed ^ (stream * 0x9e3779b9);
  for (let i = 0; i < 4; i++) {
    // splitmix32
    x += 0x9e3779b9;
    let z = x;
    z = (z ^ (z >>> 16)) * 0x85ebca6b;
    z = (z ^ (z >>> 13)) * 0xc2b2ae35;
    z ^= z >>> 16;
    store<u32>(state + (<usize>i << 2), z);
  }
  // xoshiro's all-zero state is a fixed point; splitmix cannot produce four zeros, but be sure.
  if ((load<u32>(state) | load<u32>(state, 4) | load<u32>(state, 8) | load<u32>(state, 12)) == 0) store<u32>(state, 1);
}

// @ts-ignore: decorator
@inline function next(state: usize): u32 {
  const s0 = load<u32>(state), s1 = load<u32>(state, 4), s2 = load<u32>(state, 8), s3 = load<u32>(state, 12);
  const result = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  const n2 = s2 ^ s0, n3 = s3 ^ s1;
  store<u32>(state, s0 ^ n3);
  store<u32>(state, s1 ^ n2, 4);
  store<u32>(state, n2 ^ t, 8);
  store<u32>(state, rotl<u32>(n3, 11), 12);
  return result;
}

export function rngNextU32(state: usize): u32 {
  return next(state);
}

// @ts-ignore: decorator
@inline function uniform01(state: usize): f32 {
  return <f32>(next(state) >>> 8) * (1.0 / 16777216.0); // [0, 1), 24 bits
}

// out[i] = lo + (hi − lo)·u, u uniform in [0, 1).
export function rngUniform(state: usize, n: i32, out: usize, lo: f32, hi: f32): void {
  const width = hi - lo;
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), lo + width * uniform01(state));
}

// out[i] ~ N(mean, std²) by Box–Muller (both outputs of each pair are used).
export function rngNormal(state: usize, n: i32, out: usize, mean: f32, std: f32): void {
  for (let i = 0; i < n; i += 2) {
    // u1 in (0, 1] so log(u1) is finite.
    const u1: f64 = (<f64>(next(state) >>> 8) + 1.0) * (1.0 / 16777216.0);
    const u2: f64 = <f64>(next(state) >>> 8) * (1.0 / 16777216.0);
    const r = Math.sqrt(-2.0 * Math.log(u1));
    const theta = 2.0 * Math.PI * u2;
    store<f32>(out + (<usize>i << 2), mean + std * <f32>(r * Math.cos(theta)));
    if (i + 1 < n) store<f32>(out + (<usize>(i + 1) << 2), mean + std * <f32>(r * Math.sin(theta)));
  }
}

// An unbiased integer in [0, bound) (Lemire's multiply-and-reject), bound ≥ 1.
// @ts-ignore: decorator
@inline function below(state: usize, bound: u32): u32 {
  let m = <u64>next(state) * <u64>bound;
  let low = <u32>m;
  if (low < bound) {
    const threshold: u32 = (<u32>0 - bound) % bound;
    while (low < threshold) {
      m = <u64>next(state) * <u64>bound;
      low = <u32>m;
    }
  }
  return <u32>(m >>> 32);
}

// Fisher–Yates shuffle of n i32 values in place.
export function rngShuffle(state: usize, n: i32, values: usize): void {
  for (let i = n - 1; i > 0; i--) {
    const j = below(state, <u32>(i + 1));
    const pi = values + (<usize>i << 2), pj = values + (<usize>j << 2);
    const t = load<i32>(pi);
    store<i32>(pi, load<i32>(pj));
    store<i32>(pj, t);
  }
}

// Inverted-dropout mask: out[i] = 1/keep with probability keep, else 0.
export function rngDropoutMask(state: usize, n: i32, out: usize, keep: f32): void {
  const scale: f32 = 1 / keep;
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), uniform01(state) < keep ? scale : 0);
}
