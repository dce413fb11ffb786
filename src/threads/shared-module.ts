// The worker pool's kernels are manytask.wasm's own bytes with one change: its
// memory import made shared. manytask.wasm is built on an imported memory with
// the GEMM's scratch per instance (scripts/build.mjs), so the threaded build
// would differ from it only in the import's limits (shared, with a maximum):
// the package ships the module once and the pool derives the other here,
// rewriting a few bytes of the import section. The single-thread module stays
// as built, because Cloudflare Workers compile no bytes (they import the .wasm)
// and a page that is not cross-origin isolated cannot make a shared memory.

import { InitError } from '../runtime/errors.js';

const IMPORT_SECTION = 2;
const KIND_FUNCTION = 0, KIND_TABLE = 1, KIND_MEMORY = 2, KIND_GLOBAL = 3, KIND_TAG = 4;
// Limits flags: bit 0, a maximum follows; bit 1, shared; bit 2, 64-bit memory.
const HAS_MAXIMUM = 1, SHARED = 2, MEMORY64 = 4;

/**
 * @internal
 * `bytes` (a module whose memory is imported, not shared: manytask.wasm,
 * gemm-relaxed.wasm) with that import shared and at most `maximumPages` pages;
 * everything else byte for byte. Throws an InitError naming `name` if the
 * module imports no such memory.
 */
export function withSharedMemory(bytes: Uint8Array, maximumPages: number, name: string): Uint8Array {
  const fail = (why: string): never => {
    throw new InitError(`${name} cannot be shared by worker threads: ${why}`);
  };
  const reader = new Reader(bytes, () => fail('it is not a complete WebAssembly module'));
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) fail('it is not a WebAssembly module');
  reader.at = 8;
  while (reader.at < bytes.length) {
    const sectionAt = reader.at;
    const id = reader.byte();
    const size = reader.u32();
    const start = reader.at, end = start + size;
    if (end > bytes.length) fail('a section runs past its end');
    if (id !== IMPORT_SECTION) {
      reader.at = end;
      continue;
    }
    const count = reader.u32();
    for (let i = 0; i < count; i++) {
      reader.skip(reader.u32()); // module name
      reader.skip(reader.u32()); // field name
      const kind = reader.byte();
      if (kind === KIND_FUNCTION) reader.u32();
      else if (kind === KIND_TABLE) { reader.byte(); reader.limits(); }
      else if (kind === KIND_GLOBAL) reader.skip(2);
      else if (kind === KIND_TAG) { reader.byte(); reader.u32(); }
      else if (kind === KIND_MEMORY) {
        const limitsAt = reader.at;
        const { flags, minimum } = reader.limits();
        if (flags & (SHARED | MEMORY64)) fail('its memory import is already shared or 64-bit');
        if (minimum > maximumPages) fail(`its memory starts at ${minimum} pages, above the maximum of ${maximumPages}`);
        const limits = [HAS_MAXIMUM | SHARED, ...leb128(minimum), ...leb128(maximumPages)];
        const body = concat(bytes.subarray(start, limitsAt), limits, bytes.subarray(reader.at, end));
        return concat(bytes.subarray(0, sectionAt), [IMPORT_SECTION, ...leb128(body.length)], body, bytes.subarray(end));
      } else fail(`its import section has an import of unknown kind ${kind}`);
    }
    break;
  }
  return fail('it imports no memory');
}

class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array, readonly truncated: () => never) {}

  byte(): number {
    const b = this.bytes[this.at++];
    return b === undefined ? this.truncated() : b;
  }

  u32(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    return this.truncated();
  }

  skip(n: number): void {
    this.at += n;
    if (this.at > this.bytes.length) this.truncated();
  }

  limits(): { flags: number; minimum: number } {
    const flags = this.byte();
    const minimum = this.u32();
    if (flags & HAS_MAXIMUM) this.u32();
    return { flags, minimum };
  }
}

function leb128(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

function concat(...parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
