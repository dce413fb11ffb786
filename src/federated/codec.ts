// The bytes clients and the coordinator exchange: one frame per message, over an
// HTTP body or a WebSocket binary message.
//
//   0   4  magic "MTFL"
//   4   1  frame version, 1
//   5   1  kind: 1 = update (client → coordinator), 2 = start (admin → coordinator)
//   6   2  zero
//   8   4  header length H (u32 LE), at most MAX_FRAME_HEADER
//  12   H  header: UTF-8 JSON
//   …      payload (update: each part's values, encoded; start: a model file)
//  end  4  CRC-32 (IEEE) of every byte before it
//
// An update's values are deltas (local weights − the weights the client started
// the round from), in one of three encodings:
//
//   f32   4 bytes a value, little-endian.
//   f16   2 bytes a value, IEEE binary16 (nearest, ties to even): half the bytes,
//         3 significant digits; a delta beyond ±65504 cannot be sent as f16.
//   int8  blocks of INT8_BLOCK values: a f32 scale (max |value| / 127), then one
//         signed byte per value, q ∈ [−127, 127], value = q · scale. A quarter of
//         the bytes; the error of a value is at most scale / 2.
//
// Every length is checked against the bytes present before anything is read,
// and every value is checked: a NaN or infinity (any encoding), an int8 byte of
// −128 or a scale that is not a finite float32 ≥ 0 is refused.

import { crc32, fromF16, toF16 } from '../io/format.js';
import { FederatedError } from './errors.js';

export const FRAME_MAGIC = [0x4d, 0x54, 0x46, 0x4c]; // "MTFL"
export const FRAME_VERSION = 1;
export const MAX_FRAME_HEADER = 64 * 1024;
/** Values per int8 block (each block carries its own scale). */
export const INT8_BLOCK = 256;

export type FrameKind = 'update' | 'start';
const KIND_CODES: Readonly<Record<FrameKind, number>> = { update: 1, start: 2 };

/** How an update's deltas travel. */
export type DeltaEncoding = 'f32' | 'f16' | 'int8';
export const DELTA_ENCODINGS: readonly DeltaEncoding[] = ['f32', 'f16', 'int8'];

export interface Frame {
  readonly kind: FrameKind;
  readonly header: Record<string, unknown>;
  readonly payload: Uint8Array;
}

/** The bytes of `length` values in `encoding`. */
export function encodedLength(length: number, encoding: DeltaEncoding): number {
  if (encoding === 'f32') return length * 4;
  if (encoding === 'f16') return length * 2;
  return length + Math.ceil(length / INT8_BLOCK) * 4;
}

export function encodeFrame(kind: FrameKind, header: Record<string, unknown>, payload: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  if (json.length > MAX_FRAME_HEADER) throw new FederatedError('malformed', `the frame header is ${json.length} bytes of JSON, over the limit of ${MAX_FRAME_HEADER}`);
  const total = 12 + json.length + payload.length + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(FRAME_MAGIC, 0);
  out[4] = FRAME_VERSION;
  out[5] = KIND_CODES[kind];
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(payload, 12 + json.length);
  view.setUint32(total - 4, crc32(out, 0, total - 4), true);
  return out;
}

/** Decodes a frame of `kind`, no longer than `maxBytes`. Throws FederatedError ('malformed', 'too-large'). */
export function decodeFrame(bytes: Uint8Array, kind: FrameKind, maxBytes: number): Frame {
  if (bytes.length > maxBytes) throw new FederatedError('too-large', `the message is ${bytes.length} bytes; a ${kind} of this federation is at most ${maxBytes}`);
  const bad = (what: string): never => { throw new FederatedError('malformed', `not a ${kind} message: ${what}`); };
  if (bytes.length < 16) bad(`${bytes.length} bytes is shorter than any message (truncated?)`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== FRAME_MAGIC[i]) bad('it does not start with the "MTFL" magic');
  if (bytes[4] !== FRAME_VERSION) bad(`frame version ${bytes[4]!}; this coordinator reads version ${FRAME_VERSION}`);
  if (bytes[5] !== KIND_CODES[kind]) bad(`its kind is ${bytes[5]!}, not ${KIND_CODES[kind]} (${kind})`);
  if (bytes[6] !== 0 || bytes[7] !== 0) bad('bytes 6 and 7 are not zero');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(bytes.length - 4, true) !== crc32(bytes, 0, bytes.length - 4)) bad('the checksum does not match (corrupted or truncated)');
  const h = view.getUint32(8, true);
  if (h > MAX_FRAME_HEADER || 12 + h > bytes.length - 4) bad(`the header length ${h} does not fit in ${bytes.length} bytes`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + h)));
  } catch (err) {
    bad(`the header is not UTF-8 JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) bad('the header is not a JSON object');
  return { kind, header: header as Record<string, unknown>, payload: bytes.subarray(12 + h, bytes.length - 4) };
}

/**
 * `values` in `encoding`, appended to `out` at byte `at`; returns the next offset.
 * `where` names the values in errors (a delta beyond f16's range, a non-finite one).
 */
export function encodeValues(values: Float32Array, encoding: DeltaEncoding, out: Uint8Array, at: number, where: string): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const n = values.length;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i]!)) throw new FederatedError('not-finite', `${where}: value ${i} is ${values[i]!}; an update must be finite`);
  }
  if (encoding === 'f32') {
    for (let i = 0; i < n; i++) view.setFloat32(at + i * 4, values[i]!, true);
    return at + n * 4;
  }
  if (encoding === 'f16') {
    for (let i = 0; i < n; i++) {
      const h = toF16(values[i]!);
      if ((h & 0x7c00) === 0x7c00) throw new FederatedError('out-of-range', `${where}: value ${i} is ${values[i]!}, beyond the f16 range (±65504); send it as f32 or int8`);
      view.setUint16(at + i * 2, h, true);
    }
    return at + n * 2;
  }
  for (let start = 0; start < n; start += INT8_BLOCK) {
    const end = Math.min(n, start + INT8_BLOCK);
    let max = 0;
    for (let i = start; i < end; i++) max = Math.max(max, Math.abs(values[i]!));
    const scale = Math.fround(max / 127);
    view.setFloat32(at, scale, true);
    at += 4;
    for (let i = start; i < end; i++) {
      out[at++] = scale === 0 ? 0 : Math.max(-127, Math.min(127, Math.round(values[i]! / scale))) & 0xff;
    }
  }
  return at;
}

/**
 * Decodes `into.length` values of `encoding` from `bytes` at `at` into `into`;
 * returns the next offset. The caller has checked that the bytes are there.
 * Throws FederatedError ('not-finite', 'malformed') naming `where` and the value.
 */
export function decodeValues(bytes: Uint8Array, at: number, encoding: DeltaEncoding, into: Float32Array, where: string): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = into.length;
  if (encoding === 'f32') {
    for (let i = 0; i < n; i++) into[i] = view.getFloat32(at + i * 4, true);
    at += n * 4;
  } else if (encoding === 'f16') {
    for (let i = 0; i < n; i++) into[i] = fromF16(view.getUint16(at + i * 2, true));
    at += n * 2;
  } else {
    for (let start = 0; start < n; start += INT8_BLOCK) {
      const end = Math.min(n, start + INT8_BLOCK);
      const scale = view.getFloat32(at, true);
      if (!(scale >= 0 && Number.isFinite(scale))) {
        throw new FederatedError(Number.isNaN(scale) || !Number.isFinite(scale) ? 'not-finite' : 'malformed', `${where}: the int8 scale of values ${start}–${end - 1} is ${scale}; a scale is a finite float32 ≥ 0`);
      }
      at += 4;
      for (let i = start; i < end; i++) {
        const q = (bytes[at++]! << 24) >> 24;
        if (q === -128) throw new FederatedError('malformed', `${where}: int8 value ${i} is −128; the encoding's values are −127 to 127`);
        into[i] = Math.fround(q * scale);
      }
    }
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(into[i]!)) throw new FederatedError('not-finite', `${where}: value ${i} is ${into[i]!}; an update must be finite`);
  }
  return at;
}
