// The model file: one binary blob.
//
//   0   4  magic "MTSK"
//   4   2  format version (u16 LE), currently 1
//   6   2  flags (u16, 0)
//   8   4  header length H in bytes (u32 LE), at most MAX_HEADER
//  12   H  header: UTF-8 JSON (architecture, tasks, preprocessing, parameter table, metadata)
//   …      zero padding to a multiple of 4
//   +0  1  weight encoding: 0 = f32
//   +1  3  zero
//   +4  4  number of weights N (u32 LE), at most MAX_WEIGHTS
//   +8 4N  weights, f32 LE
//  end  4  CRC-32 (IEEE) of every byte before it
//
// Every length is checked against the bytes actually present before anything is
// allocated, so a truncated, extended or corrupted file is refused with a clear
// message instead of read past its end.

import { ManytaskError } from '../runtime/errors.js';

export const MAGIC = [0x4d, 0x54, 0x53, 0x4b]; // "MTSK"
export const FORMAT_VERSION = 1;
export const MAX_HEADER = 16 * 1024 * 1024;
export const MAX_WEIGHTS = 256 * 1024 * 1024;

export class ModelFormatError extends ManytaskError {
  constructor(message: string) {
    super('E_MODEL_FORMAT', `not a usable manytask model file: ${message}`);
  }
}

export interface ModelBlob {
  header: Record<string, unknown>;
  weights: Float32Array;
}

export function encodeModel({ header, weights }: ModelBlob): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = (12 + json.length + 3) & ~3;
  const total = padded + 8 + weights.length * 4 + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint16(4, FORMAT_VERSION, true);
  view.setUint16(6, 0, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  out[padded] = 0;
  view.setUint32(padded + 4, weights.length, true);
  for (let i = 0; i < weights.length; i++) view.setFloat32(padded + 8 + i * 4, weights[i]!, true);
  view.setUint32(total - 4, crc32(out, 0, total - 4), true);
  return out;
}

export function decodeModel(bytes: Uint8Array): ModelBlob {
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
  const encoding = bytes[padded];
  if (encoding !== 0) throw new ModelFormatError(`unknown weight encoding ${encoding}`);
  const n = view.getUint32(padded + 4, true);
  if (n > MAX_WEIGHTS) throw new ModelFormatError(`${n} weights exceeds the limit of ${MAX_WEIGHTS}`);
  if (padded + 8 + n * 4 + 4 !== bytes.length) {
    throw new ModelFormatError(`the file should be ${padded + 8 + n * 4 + 4} bytes for ${n} weights, but it is ${bytes.length}`);
  }
  const weights = new Float32Array(n);
  for (let i = 0; i < n; i++) weights[i] = view.getFloat32(padded + 8 + i * 4, true);
  return { header: header as Record<string, unknown>, weights };
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
