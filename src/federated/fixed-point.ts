// Exact, order-free sums of weighted updates.
//
// Each value v of an update is rounded once to a fixed-point integer
// q = round(v · 2^F) (F = fractionBits), multiplied by the update's integer weight
// w (its example count, or 1), and added into an integer accumulator. Integer
// addition is associative, so the sum — and the mean computed from it — has the
// same bits whatever the order in which updates arrive, and partial sums made
// elsewhere (a shard) add in exactly. The mean differs from the exact weighted mean
// of the f32 values by at most 2^−(F+1) per value.
//
// Integers are held in f64 pairs, so no BigInt is needed: with |q| < 2^31 and
// w ≤ MAX_WEIGHT (2^21), q · w < 2^52 is exact in f64; the accumulator is
// hi · 2^32 + lo with lo kept in [−2^31, 2^31) after every addition (carry into hi,
// every step exact), which makes the pair canonical: one integer, one (hi, lo).
// hi stays exact up to 2^53, so the sum holds 2^85 — about 2^33 updates of the
// largest size at the largest weight.

import { FederatedError } from './errors.js';

/** The largest weight (example count) one update may carry. */
export const MAX_WEIGHT = 2 ** 21;
export const DEFAULT_FRACTION_BITS = 24;
const TWO32 = 2 ** 32;
const INV_TWO32 = 2 ** -32;
/** |q| must stay below this. */
const Q_LIMIT = 2 ** 31;

/** The largest |value| an update may hold at `fractionBits`. */
export function valueLimit(fractionBits: number): number {
  return Q_LIMIT / 2 ** fractionBits;
}

export class FixedPointSum {
  readonly length: number;
  readonly fractionBits: number;
  readonly #hi: Float64Array;
  readonly #lo: Float64Array;
  #weight = 0;
  #count = 0;

  constructor(length: number, fractionBits = DEFAULT_FRACTION_BITS) {
    this.length = length;
    this.fractionBits = fractionBits;
    this.#hi = new Float64Array(length);
    this.#lo = new Float64Array(length);
  }

  /** Total weight of the updates added. */
  get weight(): number { return this.#weight; }
  /** Updates added. */
  get count(): number { return this.#count; }

  /**
   * `values · scale` as fixed-point integers, into `out` (a caller's scratch, so
   * that every part of an update is checked before any is added). Throws
   * FederatedError 'out-of-range' naming `where` and the value.
   */
  quantize(values: ArrayLike<number>, scale: number, out: Float64Array, where: string): Float64Array {
    const one = 2 ** this.fractionBits;
    for (let i = 0; i < this.length; i++) {
      const q = Math.round(values[i]! * scale * one);
      if (!(Math.abs(q) < Q_LIMIT)) {
        throw new FederatedError(Number.isFinite(q) ? 'out-of-range' : 'not-finite',
          `${where}: value ${i} is ${values[i]!}; the exact sum holds values within ±${valueLimit(this.fractionBits)} (fractionBits ${this.fractionBits})`);
      }
      out[i] = q === 0 ? 0 : q; // −0 and 0 are one integer
    }
    return out;
  }

  /** Adds quantized values with an integer weight in [1, MAX_WEIGHT]; never fails for checked inputs. */
  addQuantized(q: Float64Array, weight: number): void {
    const hi = this.#hi, lo = this.#lo;
    for (let i = 0; i < this.length; i++) {
      const x = lo[i]! + q[i]! * weight;
      const carry = Math.round(x * INV_TWO32);
      lo[i] = x - carry * TWO32;
      hi[i] = hi[i]! + carry;
    }
    this.#weight += weight;
    this.#count++;
  }

  /** Adds integer noise (already in fixed-point units, |n| < 2^52) without counting an update. */
  addIntegers(values: Float64Array): void {
    const hi = this.#hi, lo = this.#lo;
    for (let i = 0; i < this.length; i++) {
      const x = lo[i]! + values[i]!;
      const carry = Math.round(x * INV_TWO32);
      lo[i] = x - carry * TWO32;
      hi[i] = hi[i]! + carry;
    }
  }

  /** Adds another sum of the same length and scale (a shard's partial sum): exact. */
  merge(other: FixedPointSum): void {
    if (other.length !== this.length || other.fractionBits !== this.fractionBits) {
      throw new FederatedError('malformed', `a partial sum of ${other.length} values at ${other.fractionBits} fraction bits cannot be added to one of ${this.length} at ${this.fractionBits}`);
    }
    const hi = this.#hi, lo = this.#lo, oh = other.#hi, ol = other.#lo;
    for (let i = 0; i < this.length; i++) {
      const x = lo[i]! + ol[i]!;
      const carry = Math.round(x * INV_TWO32);
      lo[i] = x - carry * TWO32;
      hi[i] = hi[i]! + oh[i]! + carry;
    }
    this.#weight += other.#weight;
    this.#count += other.#count;
  }

  /** The sum divided by `denominator` (default: the total weight), as real values. */
  mean(denominator = this.#weight, out: Float64Array = new Float64Array(this.length)): Float64Array {
    const unit = 2 ** -this.fractionBits;
    const hi = this.#hi, lo = this.#lo;
    for (let i = 0; i < this.length; i++) {
      const v = ((hi[i]! * TWO32 + lo[i]!) / denominator) * unit;
      out[i] = v === 0 ? 0 : v;
    }
    return out;
  }

  /** The integer state as bytes (hi then lo, f64 LE), for a shard to forward; fromBytes reads it back. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(16 + this.length * 16);
    const view = new DataView(out.buffer);
    view.setFloat64(0, this.#weight, true);
    view.setFloat64(8, this.#count, true);
    for (let i = 0; i < this.length; i++) {
      view.setFloat64(16 + i * 8, this.#hi[i]!, true);
      view.setFloat64(16 + (this.length + i) * 8, this.#lo[i]!, true);
    }
    return out;
  }

  static fromBytes(bytes: Uint8Array, length: number, fractionBits: number): FixedPointSum {
    if (bytes.length !== 16 + length * 16) throw new FederatedError('malformed', `a partial sum of ${length} values is ${16 + length * 16} bytes, got ${bytes.length}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const sum = new FixedPointSum(length, fractionBits);
    const integer = (v: number) => Number.isSafeInteger(v);
    sum.#weight = view.getFloat64(0, true);
    sum.#count = view.getFloat64(8, true);
    if (!integer(sum.#weight) || !integer(sum.#count)) throw new FederatedError('malformed', 'a partial sum\'s weight and count must be integers');
    for (let i = 0; i < length; i++) {
      const hi = view.getFloat64(16 + i * 8, true), lo = view.getFloat64(16 + (length + i) * 8, true);
      if (!integer(hi) || !integer(lo) || lo < -(2 ** 31) || lo >= 2 ** 31) throw new FederatedError('malformed', `a partial sum's value ${i} is not a canonical integer pair`);
      sum.#hi[i] = hi;
      sum.#lo[i] = lo;
    }
    return sum;
  }
}
