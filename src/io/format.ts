// The model file: one binary blob.
//
//   0   4  magic "MTSK"
//   4   2  format version (u16 LE), currently 1
//   6   2  flags (u16, 0)
//   8   4  header length H in bytes (u32 LE), at most MAX_HEADER
//  12   H  header: UTF-8 JSON (architecture, tasks, preprocessing, parameter table, metadata)
//   …      zero padding to a multiple of 4
//   +0  1  weight encoding: 0 = f32, 1 = f16, 2 = int8
//   +1  3  zero
//   +4  4  number of weights N (u32 LE), at most MAX_WEIGHTS
//   +8  …  N weights: f32 LE (4N bytes), f16 LE (2N bytes, IEEE binary16) or
//          int8 (N bytes, two's complement), then zero padding to a multiple of 4
//  end  4  CRC-32 (IEEE) of every byte before it
//
// The weights are the model's parameter block in memory order; the header's
// parameter table (`parameters`: name, shape [rows, cols], offset in weights)
// says which tensor is where (tensors start at multiples of 4; the floats
// between them are padding, always 0). With int8 every table entry also has a
// `scale`: tensor value = q · scale, q ∈ [−127, 127] (symmetric, per tensor,
// scale = max |value| / 127 rounded to f32). f16 rounds each value to the
// nearest binary16 (ties to even); a value beyond f16's range (±65504) cannot be
// saved as f16.
//
// Version 1 has always carried the encoding byte; f16 and int8 are new values
// of it, and an f32 file is byte for byte what it was, so the version stays 1.
// A reader that predates an encoding refuses the file with ModelFormatError.
//
// Every length is checked against the bytes actually present before anything is
// allocated, so a truncated, extended or corrupted file is refused with a clear
// message instead of read past its end. The flags and the three bytes after the
// encoding are 0 in version 1 and refused otherwise (a later version that sets
// them must not be misread); so is a weight that is not finite (an f32 or f16
// NaN or infinity pattern), an int8 byte of −128, and an int8 scale that is not
// a finite float32 in [0, F32_MAX / 127] (0 only for a tensor whose bytes are
// all 0). The CRC-32 catches accidents, not intent: a file edited with its
// checksum recomputed passes it, and everything after the checksum is checked as
// if the file were hostile (tests/unit/harden-modelfile.test.js).

import { F32_MAX, show } from '../runtime/validate.js';
import { ArgumentError, ManytaskError } from '../runtime/errors.js';

export const MAGIC = [0x4d, 0x54, 0x53, 0x4b]; // "MTSK"
export const FORMAT_VERSION = 1;
export const MAX_HEADER = 16 * 1024 * 1024;
export const MAX_WEIGHTS = 256 * 1024 * 1024;

/** How the weights are stored: 4, 2 or 1 byte each. */
export type WeightEncoding = 'f32' | 'f16' | 'int8';
const ENCODINGS: readonly WeightEncoding[] = ['f32', 'f16', 'int8'];
const BYTES = [4, 2, 1];

export class ModelFormatError extends ManytaskError {
  constructor(message: string) {
    super('E_MODEL_FORMAT', `not a usable manytask model file: ${message}`);
  }
}

export interface ModelBlob {
  header: Record<string, unknown>;
  weights: Float32Array;
}

/** One row of the header's parameter table. */
export interface TensorEntry {
  name: string;
  shape: [number, number];
  offset: number;
  scale?: number;
}

export function encodeModel({ header, weights }: ModelBlob, encoding: WeightEncoding = 'f32'): Uint8Array {
  const code = ENCODINGS.indexOf(encoding);
  if (code < 0) throw new ArgumentError(`save: weights must be 'f32', 'f16' or 'int8', got ${JSON.stringify(encoding)}`);
  const n = weights.length;
  let body: Uint8Array;
  if (code === 0) {
    body = new Uint8Array(n * 4);
    const v = new DataView(body.buffer);
    for (let i = 0; i < n; i++) v.setFloat32(i * 4, weights[i]!, true);
  } else if (code === 1) {
    body = new Uint8Array(n * 2);
    const v = new DataView(body.buffer);
    const table = header.parameters as TensorEntry[] | undefined;
    for (let i = 0; i < n; i++) {
      const h = toF16(weights[i]!);
      if ((h & 0x7c00) === 0x7c00) {
        const p = table?.find((t) => i >= t.offset && i < t.offset + t.shape[0] * t.shape[1]);
        const what = p ? `parameter "${p.name}"` : `weight ${i}`;
        throw new ArgumentError(Number.isFinite(weights[i]!)
          ? `save: ${what} holds ${weights[i]}, beyond the f16 range (±65504); save it with weights: 'f32' or 'int8'`
          : `save: ${what} holds ${weights[i]}; only finite weights can be saved as f16`);
      }
      v.setUint16(i * 2, h, true);
    }
  } else {
    // int8 with one scale per tensor, kept in the parameter table.
    body = new Uint8Array(n);
    const table = (header.parameters as TensorEntry[]).map((t) => {
      const end = t.offset + t.shape[0] * t.shape[1];
      let max = 0;
      for (let i = t.offset; i < end; i++) max = Math.max(max, Math.abs(weights[i]!));
      const scale = Math.fround(max / 127);
      if (!Number.isFinite(scale)) throw new ArgumentError(`save: parameter "${t.name}" is not finite; it cannot be quantized`);
      for (let i = t.offset; i < end; i++) {
        body[i] = scale === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(weights[i]! / scale))) & 0xff;
      }
      return { ...t, scale };
    });
    header = { ...header, parameters: table };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  if (json.length > MAX_HEADER) {
    const meta = JSON.stringify(header.metadata ?? {}).length;
    throw new ArgumentError(`save: the model's description is ${json.length} bytes of JSON (its metadata ${meta}), over the file format's limit of ${MAX_HEADER} bytes`);
  }
  const padded = (12 + json.length + 3) & ~3;
  const total = padded + 8 + ((body.length + 3) & ~3) + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(4, FORMAT_VERSION, true);
  view.setUint16(6, 0, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  out[padded] = code;
  view.setUint32(padded + 4, n, true);
  out.set(body, padded + 8);
  view.setUint32(total - 4, crc32(out, 0, total - 4), true);
  return out;
}

export interface DecodedModel extends ModelBlob {
  encoding: WeightEncoding;
}

export function decodeModel(bytes: Uint8Array): DecodedModel {
  if (!(bytes instanceof Uint8Array)) throw new ModelFormatError('expected the file as a Uint8Array');
  if (bytes.length < 24) throw new ModelFormatError(`${bytes.length} bytes is shorter than any model file (truncated?)`);
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== MAGIC[i]) throw new ModelFormatError('it does not start with the "MTSK" magic (wrong file?)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version > FORMAT_VERSION) {
    throw new ModelFormatError(`it is format version ${version}, newer than this manytask reads (${FORMAT_VERSION}); upgrade manytask`);
  }
  if (version < 1) throw new ModelFormatError(`format version ${version} is invalid`);
  const flags = view.getUint16(6, true);
  if (flags !== 0) throw new ModelFormatError(`its flags are 0x${flags.toString(16)}; format version 1 has none (a newer manytask may read it)`);
  const stored = view.getUint32(bytes.length - 4, true);
  const actual = crc32(bytes, 0, bytes.length - 4);
  if (stored !== actual) throw new ModelFormatError('the checksum does not match (the file is corrupted or truncated)');
  const h = view.getUint32(8, true);
  if (h > MAX_HEADER || 12 + h > bytes.length - 12) throw new ModelFormatError(`the header length ${h} does not fit in ${bytes.length} bytes`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + h)));
  } catch (err) {
    throw new ModelFormatError(`the header is not valid UTF-8 JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new ModelFormatError('the header is not a JSON object');
  const padded = (12 + h + 3) & ~3;
  if (padded + 12 > bytes.length) throw new ModelFormatError('the weights section is missing (truncated?)');
  const code = bytes[padded]!;
  const size = BYTES[code];
  if (size === undefined) throw new ModelFormatError(`its weights use encoding ${code}, which this manytask does not know (0 f32, 1 f16, 2 int8); a newer manytask may read it`);
  if (bytes[padded + 1] !== 0 || bytes[padded + 2] !== 0 || bytes[padded + 3] !== 0) throw new ModelFormatError('the three bytes after the weight encoding are not zero');
  const n = view.getUint32(padded + 4, true);
  if (n > MAX_WEIGHTS) throw new ModelFormatError(`${n} weights exceeds the limit of ${MAX_WEIGHTS}`);
  const start = padded + 8, end = start + n * size;
  const expected = start + ((n * size + 3) & ~3) + 4;
  if (expected !== bytes.length) {
    throw new ModelFormatError(`the file should be ${expected} bytes for ${n} ${ENCODINGS[code]} weights, but it is ${bytes.length}`);
  }
  for (let i = end; i < bytes.length - 4; i++) if (bytes[i] !== 0) throw new ModelFormatError('the padding after the weights is not zero');
  const weights = new Float32Array(n);
  if (code === 0) {
    for (let i = 0; i < n; i++) weights[i] = view.getFloat32(start + i * 4, true);
  } else if (code === 1) {
    for (let i = 0; i < n; i++) weights[i] = fromF16(view.getUint16(start + i * 2, true));
  } else {
    const table = (header as Record<string, unknown>).parameters;
    if (!Array.isArray(table)) throw new ModelFormatError('int8 weights need the parameter table with a scale per tensor');
    let next = 0;
    table.forEach((t: Partial<TensorEntry> | null, k) => {
      // Nothing here computes with a value before it is known to be a number: `offset + 1` on an
      // array nested 20,000 deep would stringify it recursively (a RangeError).
      const rows = t?.shape?.[0], cols = t?.shape?.[1], off = t?.offset, scale = t?.scale;
      if (!isCount(rows) || !isCount(cols) || typeof off !== 'number' || !Number.isSafeInteger(off) || off < next || off + rows * cols > n) {
        throw new ModelFormatError(`entry ${k} of the parameter table is not a tensor inside the ${n} weights with a finite scale ≥ 0`);
      }
      if (typeof scale !== 'number' || !(scale >= 0 && scale <= F32_MAX / 127) || Math.fround(scale) !== scale) {
        throw new ModelFormatError(`entry ${k} of the parameter table is not a tensor inside the ${n} weights with a finite scale ≥ 0: its scale is ${typeof scale === 'number' ? scale : show(scale)}, and an int8 scale is a float32 from 0 to ${F32_MAX / 127} (127 · scale within float32)`);
      }
      // The bytes between tensors are padding, 0; kept unscaled for the loaders' padding check (checkPadding in layout.ts).
      for (let i = next; i < off; i++) weights[i] = (bytes[start + i]! << 24) >> 24;
      next = off + rows * cols;
      for (let i = off; i < next; i++) {
        const q = (bytes[start + i]! << 24) >> 24;
        if (q === -128) throw new ModelFormatError(`int8 weight ${i} is −128; the format's values are −127 to 127`);
        if (q !== 0 && scale === 0) throw new ModelFormatError(`entry ${k} of the parameter table has scale 0 but non-zero weights`);
        weights[i] = Math.fround(q * scale);
      }
    });
    for (let i = next; i < n; i++) weights[i] = (bytes[start + i]! << 24) >> 24;
  }
  for (let i = 0; i < n; i++) if (!Number.isFinite(weights[i]!)) throw new ModelFormatError(`weight ${i} is not finite`);
  return { header: header as Record<string, unknown>, weights, encoding: ENCODINGS[code]! };
}

/** A JSON value in a message: primitives as JSON (strings cut short), containers by their kind. */

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 nearest to a float32 (ties to even); 0x7c00 (∞) beyond ±65504, NaN stays NaN. */
export function toF16(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const e = (b >>> 23) & 0xff;
  const m = b & 0x7fffff;
  if (e === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  const ex = e - 127 + 15;
  if (ex >= 0x1f) return sign | 0x7c00;
  if (ex <= 0) {
    // Subnormal (or zero) in f16: shift the full mantissa, round to nearest even.
    if (ex < -10) return sign;
    const full = m | 0x800000, shift = 14 - ex;
    const q = full >>> shift, rest = full & ((1 << shift) - 1), half = 1 << (shift - 1);
    return sign | (q + (rest > half || (rest === half && (q & 1)) ? 1 : 0));
  }
  const q = (ex << 10) | (m >>> 13), rest = m & 0x1fff;
  // A carry out of the mantissa rounds up into the exponent (and to ∞ past 65504), as it should.
  return sign | (q + (rest > 0x1000 || (rest === 0x1000 && (q & 1)) ? 1 : 0));
}

/** A binary16 as the (exactly equal) float32. */
export function fromF16(h: number): number {
  const sign = (h & 0x8000) << 16;
  const e = (h >>> 10) & 0x1f;
  let m = h & 0x3ff;
  if (e === 0x1f) u32[0] = sign | 0x7f800000 | (m << 13);
  else if (e !== 0) u32[0] = sign | ((e + 112) << 23) | (m << 13);
  else if (m === 0) u32[0] = sign;
  else {
    // Subnormal: normalize into a float32 exponent.
    let ex = 113;
    while ((m & 0x400) === 0) { m <<= 1; ex--; }
    u32[0] = sign | (ex << 23) | ((m & 0x3ff) << 13);
  }
  return f32[0]!;
}

let table: Uint32Array | null = null;

/** CRC-32 (IEEE 802.3, as zip and PNG). */
export function crc32(bytes: Uint8Array, start: number, end: number): number {
  if (table === null) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = table[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
