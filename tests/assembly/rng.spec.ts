// The seeded PRNG (assembly/rng.ts): xoshiro128** seeded by splitmix32, checked
// against a plain reference written here from the published algorithms; the
// inlined helpers behind the exports (uniform01's 24 bits, Lemire's unbiased
// `below` in the shuffle, Box–Muller) through what they produce.
import { rngSeed, rngNextU32, rngUniform, rngNormal, rngShuffle, rngDropoutMask } from "../../assembly/rng";

// The reference: splitmix32 for the four state words, then xoshiro128**.
class Reference {
  s0: u32; s1: u32; s2: u32; s3: u32;
  constructor(seed: u32, stream: u32) {
    let x: u32 = seed ^ (stream * 0x9e3779b9);
    const words = new StaticArray<u32>(4);
    for (let i = 0; i < 4; i++) {
      x += 0x9e3779b9;
      let z = x;
      z = (z ^ (z >>> 16)) * 0x85ebca6b;
      z = (z ^ (z >>> 13)) * 0xc2b2ae35;
      words[i] = z ^ (z >>> 16);
    }
    this.s0 = words[0]; this.s1 = words[1]; this.s2 = words[2]; this.s3 = words[3];
  }
  next(): u32 {
    const result = rotl<u32>(this.s1 * 5, 7) * 9;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl<u32>(this.s3, 11);
    return result;
  }
}

const state = new StaticArray<u32>(4);
const at = (): usize => changetype<usize>(state);

describe("rngSeed and rngNextU32", () => {
  it("give the reference stream for several seeds and streams", () => {
    const seeds: u32[] = [0, 1, 42, 0xffffffff, 123456789];
    for (let s = 0; s < seeds.length; s++) {
      for (let stream: u32 = 0; stream < 5; stream++) {
        rngSeed(at(), seeds[s], stream);
        const ref = new Reference(seeds[s], stream);
        let differ = 0;
        for (let i = 0; i < 1000; i++) if (rngNextU32(at()) != ref.next()) differ++;
        expect(differ).toBe(0, "draws that differ from the reference"); // one expect per stream: as-pect's are costly
      }
    }
  });
  it("streams of one seed differ", () => {
    rngSeed(at(), 7, 0);
    const a = rngNextU32(at());
    rngSeed(at(), 7, 1);
    expect(rngNextU32(at())).not.toBe(a);
  });
});

describe("uniform, normal and dropout", () => {
  it("rngUniform is lo + (hi − lo)·u with u = the top 24 bits / 2²⁴, in [lo, hi)", () => {
    const n = 4096;
    const out = new StaticArray<f32>(n);
    rngSeed(at(), 3, 2);
    rngUniform(at(), n, changetype<usize>(out), -2, 6);
    const ref = new Reference(3, 2);
    let wrong = 0;
    for (let i = 0; i < n; i++) {
      const u = <f32>(ref.next() >>> 8) * (1.0 / 16777216.0);
      if (out[i] != <f32>-2 + <f32>8 * u || !(out[i] >= -2 && out[i] < 6)) wrong++;
    }
    expect(wrong).toBe(0);
  });
  it("rngNormal: finite, mean and variance of 100,000 draws within 4 standard errors, odd n filled", () => {
    const n = 100001;
    const out = new StaticArray<f32>(n);
    rngSeed(at(), 11, 0);
    rngNormal(at(), n, changetype<usize>(out), 3, 2);
    let sum: f64 = 0, sq: f64 = 0, notFinite = 0;
    for (let i = 0; i < n; i++) {
      if (!isFinite(out[i])) notFinite++;
      sum += out[i];
      sq += <f64>out[i] * out[i];
    }
    expect(notFinite).toBe(0);
    const mean = sum / n, variance = sq / n - mean * mean;
    expect(Math.abs(mean - 3)).toBeLessThan(4 * 2 / Math.sqrt(n));
    expect(Math.abs(variance - 4)).toBeLessThan(4 * 4 * Math.sqrt(2.0 / n));
  });
  it("rngDropoutMask keeps a fraction `keep`, scaled by 1/keep", () => {
    const n = 50000;
    const out = new StaticArray<f32>(n);
    rngSeed(at(), 5, 0);
    rngDropoutMask(at(), n, changetype<usize>(out), 0.8);
    let kept = 0, other = 0;
    for (let i = 0; i < n; i++) {
      if (out[i] != 0 && out[i] != <f32>1.25) other++;
      if (out[i] != 0) kept++;
    }
    expect(other).toBe(0, "mask values other than 0 and 1/keep");
    expect(Math.abs(<f64>kept / n - 0.8)).toBeLessThan(4 * Math.sqrt(0.16 / n));
  });
});

describe("rngShuffle (Fisher–Yates over Lemire's unbiased bounded integers)", () => {
  it("is a permutation, n = 0, 1, 2 and 1000", () => {
    const sizes: i32[] = [0, 1, 2, 1000];
    for (let k = 0; k < sizes.length; k++) {
      const n = sizes[k];
      const v = new StaticArray<i32>(max(n, 1));
      for (let i = 0; i < n; i++) v[i] = i;
      rngSeed(at(), 9, <u32>k);
      rngShuffle(at(), n, changetype<usize>(v));
      const seen = new StaticArray<i32>(max(n, 1));
      let bad = 0;
      for (let i = 0; i < n; i++) {
        if (v[i] < 0 || v[i] >= n) bad++;
        else seen[v[i]]++;
      }
      for (let i = 0; i < n; i++) if (seen[i] != 1) bad++;
      expect(bad).toBe(0, "values out of range, missing or repeated");
    }
  });
  it("puts each of 5 values at each position equally often (chi-square, 20,000 shuffles)", () => {
    const counts = new StaticArray<i32>(25);
    const v = new StaticArray<i32>(5);
    rngSeed(at(), 2024, 3);
    const rounds = 20000;
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < 5; i++) v[i] = i;
      rngShuffle(at(), 5, changetype<usize>(v));
      for (let i = 0; i < 5; i++) counts[i * 5 + v[i]]++;
    }
    let chi: f64 = 0;
    const expected: f64 = rounds / 5;
    for (let i = 0; i < 25; i++) chi += (counts[i] - expected) * (counts[i] - expected) / expected;
    // 16 degrees of freedom (a 5 × 5 table with fixed margins): P(χ² > 39.25) = 0.001.
    expect(chi).toBeLessThan(39.25);
  });
});
