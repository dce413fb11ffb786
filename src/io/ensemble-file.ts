// The ensemble file: the members' model files in one blob, with how they combine.
//
//   0   4  magic "MTSE"
//   4   2  format version (u16 LE), currently 1
//   6   2  flags (u16, 0)
//   8   4  header length H (u32 LE), at most MAX_HEADER
//  12   H  header: UTF-8 JSON { format: 'manytask.ensemble', combine, weights, members }
//          — combine: 'mean' | 'vote' | 'weighted' | 'ranked'; weights: per task, one
//          weight per member (non-negative, summing to one); members: each member
//          file's length in bytes, in member order
//   …      zero padding to a multiple of 4
//   …      each member's model file (src/io/format.ts, with its own checksum), each
//          followed by zero padding to a multiple of 4
//  end  4  CRC-32 (IEEE) of every byte before it
//
// The header is checked against the members (a weight per member for every task of
// theirs, nothing else) by readEnsembleHeader before any member is built.

import { ModelFormatError, MAX_HEADER, crc32 } from './format.js';

export const ENSEMBLE_MAGIC = [0x4d, 0x54, 0x53, 0x45]; // "MTSE"
export const ENSEMBLE_VERSION = 1;
export const COMBINES = ['mean', 'vote', 'weighted', 'ranked'] as const;
export type Combine = (typeof COMBINES)[number];

/** What the header says: how to combine, and per task one weight per member. */
export interface EnsembleHeader {
  combine: Combine;
  weights: Record<string, number[]>;
}

const fail = (what: string): never => { throw new ModelFormatError(`(an ensemble file) ${what}`); };
const pad4 = (n: number): number => (n + 3) & ~3;

export function isEnsembleFile(bytes: Uint8Array): boolean {
  return bytes instanceof Uint8Array && bytes.length >= 4 && ENSEMBLE_MAGIC.every((b, i) => bytes[i] === b);
}

export function encodeEnsemble(header: EnsembleHeader, members: readonly Uint8Array[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({ format: 'manytask.ensemble', ...header, members: members.map((m) => m.length) }));
  const start = pad4(12 + json.length);
  const total = members.reduce((n, m) => n + pad4(m.length), start) + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(ENSEMBLE_MAGIC, 0);
  view.setUint16(4, ENSEMBLE_VERSION, true);
  view.setUint32(8, json.length, true);
  out.set(json, 12);
  let at = start;
  for (const m of members) { out.set(m, at); at += pad4(m.length); }
  view.setUint32(total - 4, crc32(out, 0, total - 4), true);
  return out;
}

/** The header and the member files (views into `bytes`); ModelFormatError for anything that does not add up. */
export function decodeEnsemble(bytes: Uint8Array): { header: EnsembleHeader; members: Uint8Array[] } {
  if (!isEnsembleFile(bytes) || bytes.length < 16) fail('it does not start with the "MTSE" magic (a single model? load it with loadModel)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = bytes.length - 4, h = view.getUint32(8, true);
  if (view.getUint16(4, true) !== ENSEMBLE_VERSION || view.getUint16(6, true) !== 0) fail(`its version is not ${ENSEMBLE_VERSION} or its flags are not 0`);
  if (view.getUint32(end, true) !== crc32(bytes, 0, end)) fail('the checksum does not match (the file is corrupted or truncated)');
  let o: Record<string, unknown> | null = null;
  try {
    if (h <= MAX_HEADER && 12 + h <= end) o = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + h))) as Record<string, unknown>;
  } catch { /* refused below */ }
  if (typeof o !== 'object' || o === null || o.format !== 'manytask.ensemble') fail('its header is not a manytask.ensemble JSON header');
  const { members: sizes, combine, weights } = o!;
  const members: Uint8Array[] = [];
  let at = pad4(12 + h);
  if (Array.isArray(sizes)) {
    for (const n of sizes) {
      if (!(Number.isSafeInteger(n) && n > 0 && at + n <= end)) break;
      members.push(bytes.subarray(at, at + n));
      at += pad4(n);
    }
  }
  if (!Array.isArray(sizes) || members.length === 0 || members.length !== sizes.length || at !== end) fail('its member lengths do not add up to the file');
  if (!(COMBINES as readonly unknown[]).includes(combine) || typeof weights !== 'object' || weights === null) fail('its combine or weights are not valid');
  return { header: { combine: combine as Combine, weights: weights as Record<string, number[]> }, members };
}

/**
 * The header's weights checked against the members' tasks: for every task one
 * finite weight ≥ 0 per member, summing to one (within 1e-6), and no other task.
 */
export function readEnsembleWeights(header: EnsembleHeader, taskNames: readonly string[], memberCount: number): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  const given = Object.keys(header.weights);
  const extra = given.find((n) => !taskNames.includes(n));
  if (extra !== undefined) fail(`it has weights for "${extra}", which is not a task of its members`);
  for (const name of taskNames) {
    const w = Object.hasOwn(header.weights, name) ? header.weights[name] : undefined;
    if (!Array.isArray(w) || w.length !== memberCount || !w.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
      fail(`its weights for task "${name}" are not ${memberCount} finite numbers ≥ 0 (one per member)`);
    }
    const sum = (w as number[]).reduce((s, v) => s + v, 0);
    if (Math.abs(sum - 1) > 1e-6) fail(`its weights for task "${name}" sum to ${sum}, not 1`);
    out.set(name, Float64Array.from(w as number[]));
  }
  return out;
}
