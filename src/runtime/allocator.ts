// The allocator over WASM linear memory. Kernels never allocate: everything
// above the module's static data (heapBase) is handed out from here.
//
// Blocks are 16-byte aligned (one v128) and a multiple of 16 bytes. Free blocks
// are kept sorted by address and merged with their neighbours, and a free block
// at the top of the heap gives its space back to the bump pointer, so training
// many models in a row reuses the same memory instead of growing it.
// Allocation is rare (per model, per batch size), so the O(free blocks) walk is fine.
// blockAt answers whether a pointer and a length lie in one live block, and which.

import { ArgumentError, OutOfMemoryError } from './errors.js';

const ALIGN = 16;
const PAGE = 65536;
const MAX_BYTES = 65536 * PAGE; // wasm32: 4 GiB

export class Allocator {
  readonly #memory: WebAssembly.Memory;
  readonly #base: number;
  #top: number;
  // Free blocks below #top, sorted by address, never adjacent to each other.
  readonly #freeStarts: number[] = [];
  readonly #freeSizes: number[] = [];
  readonly #live = new Map<number, number>();
  // The same blocks' starts, sorted (for blockAt on a pointer inside a block), and
  // each block's serial number: a block freed and handed out again gets a new one.
  readonly #starts: number[] = [];
  readonly #serials = new Map<number, number>();
  #serial = 0;
  // Blocks of the runtime itself (each thread's GEMM scratch): live, but not the user's.
  readonly #reserved = new Set<number>();
  #reservedBytes = 0;

  constructor(memory: WebAssembly.Memory, heapBase: number) {
    this.#memory = memory;
    this.#base = roundUp(heapBase, ALIGN);
    this.#top = this.#base;
  }

  /**
   * Returns a 16-byte-aligned block of at least `bytes` bytes (contents undefined).
   * `what` names the request in an OutOfMemoryError ("a 60000×60000 Matrix").
   */
  alloc(bytes: number, what?: string): number {
    // Checked before the integer test: a product of two large dimensions may be
    // beyond 2⁵³ and still a request for memory, not a bad argument.
    if (typeof bytes === 'number' && bytes > MAX_BYTES) throw this.#outOfMemory(bytes, what, 'WebAssembly memory is limited to 4 GiB');
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new ArgumentError(`alloc: size must be a non-negative integer number of bytes, got ${bytes}`);
    }
    const size = Math.max(ALIGN, roundUp(bytes, ALIGN));
    for (let i = 0; i < this.#freeStarts.length; i++) {
      const freeSize = this.#freeSizes[i]!;
      if (freeSize < size) continue;
      const ptr = this.#freeStarts[i]!;
      if (freeSize === size) {
        this.#freeStarts.splice(i, 1);
        this.#freeSizes.splice(i, 1);
      } else {
        this.#freeStarts[i] = ptr + size;
        this.#freeSizes[i] = freeSize - size;
      }
      this.#hand(ptr, size);
      return ptr;
    }
    const ptr = this.#top;
    this.#ensure(ptr + size, bytes, what);
    this.#top = ptr + size;
    this.#hand(ptr, size);
    return ptr;
  }

  #hand(ptr: number, size: number): void {
    this.#live.set(ptr, size);
    this.#serials.set(ptr, ++this.#serial);
    this.#starts.splice(this.#after(ptr), 0, ptr);
  }

  /** The index of the first start in #starts above ptr. */
  #after(ptr: number): number {
    const s = this.#starts;
    let lo = 0, hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid]! <= ptr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The serial number of the live block holding bytes [ptr, ptr + bytes), or 0 if
   * no one block holds them (or it is the runtime's own, `reserve`). A block freed
   * and handed out again has a new number, so an object that keeps a pointer into
   * another's memory can tell whether it is still that memory. O(log blocks).
   */
  blockAt(ptr: number, bytes: number): number {
    const start = this.#starts[this.#after(ptr) - 1]!, end = start + this.#live.get(start)!;
    return bytes >= 0 && ptr < end && ptr + bytes <= end && !this.#reserved.has(start) ? this.#serials.get(start)! : 0;
  }

  /**
   * A block for the runtime's own use (a thread's GEMM scratch), freed with
   * `free` like any other but not counted in `bytesInUse`: that stays the
   * memory the library's objects hold.
   */
  reserve(bytes: number, what: string): number {
    const ptr = this.alloc(bytes, what);
    this.#reserved.add(ptr);
    this.#reservedBytes += this.#live.get(ptr)!;
    return ptr;
  }

  /** Returns a block to the allocator. Freeing 0 is a no-op; freeing an unknown pointer throws. */
  free(ptr: number): void {
    if (ptr === 0) return;
    const size = this.#live.get(ptr);
    if (size === undefined) throw new ArgumentError(`free: ${ptr} is not a live allocation`);
    this.#live.delete(ptr);
    this.#serials.delete(ptr);
    this.#starts.splice(this.#after(ptr) - 1, 1);
    if (this.#reserved.delete(ptr)) this.#reservedBytes -= size;
    let start = ptr;
    let end = ptr + size;
    // Index of the first free block after ptr.
    let i = 0;
    while (i < this.#freeStarts.length && this.#freeStarts[i]! < ptr) i++;
    if (i > 0 && this.#freeStarts[i - 1]! + this.#freeSizes[i - 1]! === start) {
      i--;
      start = this.#freeStarts[i]!;
      this.#freeStarts.splice(i, 1);
      this.#freeSizes.splice(i, 1);
    }
    if (i < this.#freeStarts.length && this.#freeStarts[i] === end) {
      end += this.#freeSizes[i]!;
      this.#freeStarts.splice(i, 1);
      this.#freeSizes.splice(i, 1);
    }
    if (end === this.#top) {
      this.#top = start;
    } else {
      this.#freeStarts.splice(i, 0, start);
      this.#freeSizes.splice(i, 0, end - start);
    }
  }

  /** Bytes held by live allocations (rounded up to the alignment), less the runtime's own (`reserve`). */
  get bytesInUse(): number {
    let total = 0;
    for (const size of this.#live.values()) total += size;
    return total - this.#reservedBytes;
  }

  /** Bytes the runtime holds for itself (`reserve`): the threads' GEMM scratch. */
  get bytesReserved(): number {
    return this.#reservedBytes;
  }

  /** The end of the highest block ever handed out and not yet returned. */
  get top(): number {
    return this.#top;
  }

  #ensure(end: number, requested: number, what: string | undefined): void {
    const have = this.#memory.buffer.byteLength;
    if (end <= have) return;
    if (end > MAX_BYTES) throw this.#outOfMemory(requested, what, 'WebAssembly memory is limited to 4 GiB');
    // Grow at least geometrically so a model built block by block does not grow page by page.
    const wantPages = Math.ceil((end - have) / PAGE);
    const morePages = Math.min(Math.max(wantPages, have / PAGE / 4), MAX_BYTES / PAGE - have / PAGE);
    try {
      this.#memory.grow(Math.ceil(morePages));
    } catch {
      try {
        this.#memory.grow(wantPages);
      } catch (cause) {
        throw this.#outOfMemory(requested, what, `the runtime refused to grow WebAssembly memory beyond ${have} bytes (${String(cause)})`);
      }
    }
  }

  #outOfMemory(requested: number, what: string | undefined, why: string): OutOfMemoryError {
    const subject = what === undefined ? '' : ` for ${what}`;
    return new OutOfMemoryError(`cannot allocate ${requested} bytes${subject}: ${why}, and ${this.bytesInUse} bytes are in use`);
  }
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
