// DP-FedAvg (McMahan, Ramage, Talwar & Zhang 2018, "Learning differentially
// private recurrent language models"): client-level differential privacy.
//
//   clip    each update (every part it sends, as one vector) is scaled to an L2
//           norm of at most C (clipNorm);
//   sum     the clipped updates, each with weight 1 — a sum weighted by example
//           counts would let one client move it by n·C;
//   noise   Gaussian noise of standard deviation σ·C (σ = noiseMultiplier) added
//           to every coordinate of the sum;
//   divide  by a fixed denominator (the round's target client count), so that the
//           number of clients who answered is not a second, unnoised signal.
//
// The noise is drawn from AES-CTR keystream (Web Crypto) under a fresh random key
// per round, so it is unpredictable; with `seed` the key is derived from it, for
// experiments that must repeat (anyone who knows the seed can remove the noise).
// Normals come from Marsaglia's polar method with the logarithm computed by + − × ÷
// only (ln below), so a seed gives the same noise in every JavaScript engine. The
// noise is rounded to the fixed-point grid before it is added to the integer sum:
// rounding after adding continuous noise to an integer is the same number, so
// this is post-processing of the Gaussian mechanism, and no low-order float bits
// of the noise survive (Mironov 2012).
//
// Accounting: the Gaussian mechanism with sensitivity C and noise σ·C has Rényi
// DP ε(α) = α / (2σ²) at every order α > 1 (Mironov 2017); R rounds compose to
// R·α / (2σ²), and ε(δ) = min over α of R·α/(2σ²) + ln(1/δ)/(α − 1)
// = R/(2σ²) + 2·sqrt(R·ln(1/δ)/(2σ²)). No amplification by sampling is claimed:
// every client may take part in every round, so this bound holds whoever does.

import { FederatedError } from './errors.js';

export interface PrivacyOptions {
  /** C: the largest L2 norm an update keeps. */
  clipNorm: number;
  /** σ > 0: the noise's standard deviation is σ·C. */
  noiseMultiplier: number;
  /** δ of the reported (ε, δ). Default 1e-5. */
  delta?: number;
  /** Derive the noise from this seed (repeatable experiments only: it makes the noise removable). */
  seed?: number;
}

/** What a model trained with DP-FedAvg records in its metadata. */
export interface PrivacyRecord {
  mechanism: 'DP-FedAvg (Gaussian, client-level)';
  clipNorm: number;
  noiseMultiplier: number;
  /** The fixed denominator of every average. */
  denominator: number;
  /** Rounds aggregated with noise so far. */
  rounds: number;
  delta: number;
  /** ε of (ε, δ)-DP for `rounds` rounds (RDP accountant, no sampling amplification). */
  epsilon: number;
  accountant: 'RDP of the Gaussian mechanism, composed over rounds, converted at the best order';
  /** Present and true when the noise came from a seed (not private against who knows it). */
  seeded?: true;
}

/** ε of (ε, δ)-DP after `rounds` Gaussian mechanisms with noise multiplier σ (see the top of this file). */
export function gaussianEpsilon(noiseMultiplier: number, rounds: number, delta: number): number {
  if (rounds === 0) return 0;
  const a = rounds / (2 * noiseMultiplier * noiseMultiplier);
  const b = -ln(delta);
  return a + 2 * Math.sqrt(a * b);
}

/** The factor that brings an update of squared norm `squaredNorm` to norm ≤ clipNorm (1 if it is there already). */
export function clipFactor(squaredNorm: number, clipNorm: number): number {
  const norm = Math.sqrt(squaredNorm);
  return norm > clipNorm ? clipNorm / norm : 1;
}

const LN2 = 0.6931471805599453;

/**
 * The natural logarithm of x > 0 from + − × ÷ alone: x = m · 2^k with m in
 * [√½, √2), ln m = 2·atanh(s) with s = (m − 1)/(m + 1), |s| < 0.172, by its series
 * to s^27 (the next term is below 1e−21). Within 2 ulp of Math.log, and the same
 * bits in every engine.
 */
export function ln(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return x === 0 ? -Infinity : x === Infinity ? Infinity : NaN;
  let k = 0, m = x;
  while (m >= 2) { m *= 0.5; k++; }
  while (m < 1) { m *= 2; k--; }
  if (m > Math.SQRT2) { m *= 0.5; k++; }
  const s = (m - 1) / (m + 1), s2 = s * s;
  let term = s, sum = 0;
  for (let n = 1; n <= 27; n += 2) { sum += term / n; term *= s2; }
  return k * LN2 + 2 * sum;
}

/**
 * `count` standard normal draws × `std`, rounded to integers, from AES-CTR
 * keystream under `key` (16 bytes). A pair of 32-bit words gives u, v in (−1, 1);
 * pairs with u² + v² ∉ (0, 1) are rejected (about 21%), so the keystream is
 * generated in rounds until every draw is made.
 */
export async function roundedGaussian(key: Uint8Array, count: number, std: number): Promise<Float64Array> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) throw new FederatedError('config', 'differential privacy needs Web Crypto (crypto.subtle) for its noise, and this runtime has none');
  const aes = await subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, { name: 'AES-CTR' }, false, ['encrypt']);
  const out = new Float64Array(count);
  let made = 0, block = 0;
  while (made < count) {
    // 16 bytes per candidate pair; 1.3× the pairs still needed covers the rejections most of the time.
    const pairs = Math.max(64, Math.ceil(((count - made) / 2) * 1.3));
    const counter = new Uint8Array(16);
    new DataView(counter.buffer).setUint32(12, block, false); // the low 32 bits of the 64-bit counter
    const stream = new Uint8Array(await subtle.encrypt({ name: 'AES-CTR', counter, length: 64 }, aes, new Uint8Array(pairs * 16)));
    block += pairs;
    const view = new DataView(stream.buffer);
    for (let p = 0; p < pairs && made < count; p++) {
      // 53-bit uniforms in (−1, 1) from two 32-bit words each (26 + 27 bits).
      const u = uniformSigned(view.getUint32(p * 16, true), view.getUint32(p * 16 + 4, true));
      const v = uniformSigned(view.getUint32(p * 16 + 8, true), view.getUint32(p * 16 + 12, true));
      const s = u * u + v * v;
      if (!(s > 0 && s < 1)) continue;
      const f = Math.sqrt((-2 * ln(s)) / s);
      out[made++] = roundInteger(u * f * std);
      if (made < count) out[made++] = roundInteger(v * f * std);
    }
  }
  return out;
}

function uniformSigned(a: number, b: number): number {
  const unit = ((a >>> 6) * 134217728 + (b >>> 5)) / 9007199254740992; // [0, 1) with 53 bits
  return 2 * unit - 1;
}

function roundInteger(x: number): number {
  const r = Math.round(x);
  return r === 0 ? 0 : r;
}

/** A 16-byte AES key: random, or derived from `seed` and `label` (the round and part; SHA-256, first 16 bytes). */
export async function noiseKey(seed: number | undefined, label: string): Promise<Uint8Array> {
  const c = globalThis.crypto;
  if (c?.subtle === undefined) throw new FederatedError('config', 'differential privacy needs Web Crypto (crypto.subtle) for its noise, and this runtime has none');
  if (seed === undefined) return c.getRandomValues(new Uint8Array(16));
  const digest = await c.subtle.digest('SHA-256', new TextEncoder().encode(`manytask.federated.noise:${seed}:${label}`));
  return new Uint8Array(digest, 0, 16);
}
