/// <reference lib="esnext.disposable" preserve="true" />
// Who holds which blocks of WASM memory, and the safety net that gives them back.
//
// Every object whose WASM memory outlives a call (a Matrix, an Rng's state, a
// model's parameters, a layer's or an architecture's batch buffers, an
// optimizer's state, a loaded model…) allocates through its own Holding and
// frees through it. `dispose()` releases the Holding at once. While a Holding
// holds a block, its owner is registered with a FinalizationRegistry: an owner
// that becomes unreachable without `dispose()` is reported by the garbage
// collector, and its Holding released then. Memory goes back even when a user
// forgets to dispose, only later: when the collector runs, which WASM memory
// pressure does not trigger (a forgotten Matrix costs the JS heap a few dozen
// bytes, and WASM memory all of its data). Calls that free what they allocate
// before they return (a batch index, data staged for one call) use the
// allocator directly.
//
// The Holding is the registry's held value, so it must not reference its owner
// (the owner would never become unreachable); it knows its kind, its allocator
// and its blocks. Kernels never run inside a finalizer: a finalizer runs as its
// own task, never in the middle of a synchronous call, and an owner an await
// still needs is reachable from that async function's frame.

import type { Allocator } from './allocator.js';
import { ArgumentError } from './errors.js';
import { runtime } from './module.js';

/** Live holdings (those with at least one block) per kind, for each allocator (one per init). */
const liveByAllocator = new WeakMap<Allocator, Map<string, number>>();

function countLive(allocator: Allocator, kind: string, delta: 1 | -1): void {
  let counts = liveByAllocator.get(allocator);
  if (counts === undefined) liveByAllocator.set(allocator, counts = new Map());
  const n = (counts.get(kind) ?? 0) + delta;
  if (n === 0) counts.delete(kind);
  else counts.set(kind, n);
}

/**
 * The blocks of WASM memory one object holds. Its owner is registered for
 * finalization only while it holds a block, so an object that never allocates,
 * or was disposed, costs the collector nothing.
 */
export class Holding {
  /** What holds them, as memory() reports it ('Matrix', 'MultiTaskModel', 'Layer', …). */
  readonly kind: string;
  /** The allocator of the blocks (the runtime's at the first alloc; none while no block is held). */
  #allocator: Allocator | null = null;
  readonly #blocks: number[] = [];

  constructor(kind: string) {
    this.kind = kind;
  }

  /**
   * A 16-byte-aligned block of at least `bytes` bytes for `owner` (the object this
   * Holding belongs to, always the same one); `what` names it in an OutOfMemoryError.
   */
  alloc(owner: object, bytes: number, what?: string): number {
    const allocator = this.#allocator ?? runtime(this.kind).allocator;
    const ptr = allocator.alloc(bytes, what);
    if (this.#blocks.length === 0) {
      this.#allocator = allocator;
      countLive(allocator, this.kind, 1);
      registry?.register(owner, this, this);
    }
    this.#blocks.push(ptr);
    return ptr;
  }

  /** Returns one block of this Holding. Freeing 0 is a no-op. */
  free(ptr: number): void {
    if (ptr === 0) return;
    const i = this.#blocks.lastIndexOf(ptr);
    if (i < 0) throw new ArgumentError(`free: ${ptr} is not a block this ${this.kind} holds`);
    this.#blocks.splice(i, 1);
    this.#allocator!.free(ptr);
    if (this.#blocks.length === 0) this.#unbind();
  }

  /** Returns every block (dispose, or the owner was collected). Harmless when there are none. */
  release(): void {
    if (this.#blocks.length === 0) return;
    const allocator = this.#allocator!;
    for (const ptr of this.#blocks) allocator.free(ptr);
    this.#blocks.length = 0;
    this.#unbind();
  }

  #unbind(): void {
    countLive(this.#allocator!, this.kind, -1);
    registry?.unregister(this);
    // A Holding used again after a re-initialization allocates from the new runtime.
    this.#allocator = null;
  }
}

const registry: FinalizationRegistry<Holding> | null = typeof FinalizationRegistry === 'function'
  ? new FinalizationRegistry((holding) => holding.release())
  : null;

/** What memory() reports. */
export interface MemoryInfo {
  /** Bytes of WASM memory held by live objects (blocks are rounded up to 16 bytes). */
  bytesInUse: number;
  /** The size of the WebAssembly memory: it grows when needed and never shrinks; freed blocks are reused. */
  memoryBytes: number;
  /** Objects holding WASM memory now. */
  objects: number;
  /** The same, by kind: 'Matrix', 'MultiTaskModel', 'Network', 'Parameters', 'Layer', 'Optimizer', 'Rng', … */
  byKind: Record<string, number>;
  /**
   * Whether an object that becomes unreachable without dispose() gives its memory
   * back once the garbage collector has collected it (FinalizationRegistry: every
   * supported runtime, and Cloudflare Workers from compatibility date 2025-05-05).
   */
  releasesUnreachable: boolean;
}

/**
 * The WASM memory in use, as TF.js users know from `tf.memory()`: bytes held,
 * the memory's size, and the live objects holding it by kind. Needs `await init()`.
 */
export function memory(): MemoryInfo {
  const { allocator, memory: wasm } = runtime('memory');
  const byKind: Record<string, number> = {};
  let objects = 0;
  for (const [kind, n] of [...(liveByAllocator.get(allocator) ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    byKind[kind] = n;
    objects += n;
  }
  return { bytesInUse: allocator.bytesInUse, memoryBytes: wasm.buffer.byteLength, objects, byKind, releasesUnreachable: registry !== null };
}

/**
 * `Symbol.dispose`, so `using model = …` disposes at the end of the block where
 * the runtime (or TypeScript's downlevel emit) supports it; the registered
 * symbol TypeScript's helpers fall back to where the runtime lacks it.
 */
export const disposeSymbol: typeof Symbol.dispose = (typeof Symbol.dispose === 'symbol' ? Symbol.dispose : Symbol.for('Symbol.dispose')) as typeof Symbol.dispose;
