// The checks of the pointer-level methods (Rng's draws, Network.forwardPtr,
// Layer.forward, Loss.compute): a pointer is a byte offset of a block the library's
// allocator handed out and has not taken back, with room for what is written or
// read there. The allocator answers by a binary search over its blocks
// (O(log blocks)), so these checks cost no scan.

import { ArgumentError } from '../runtime/errors.js';
import { runtime } from '../runtime/module.js';
import { show } from '../runtime/validate.js';

/**
 * Checks that `ptr` (aligned to `align` bytes) and the `bytes` after it lie in
 * one live block of WASM memory; returns the block's serial number (see
 * Allocator.blockAt), which changes once the block is freed.
 */
export function checkPointer(where: string, name: string, ptr: unknown, bytes: number, align = 4): number {
  if (typeof ptr !== 'number' || !Number.isSafeInteger(ptr) || ptr <= 0 || ptr % align !== 0) {
    throw new ArgumentError(`${where}: ${name} must be a pointer into WASM memory (a byte offset > 0${align > 1 ? `, a multiple of ${align}` : ''}), got ${show(ptr)}`);
  }
  const serial = runtime(where).allocator.blockAt(ptr, bytes);
  if (serial === 0) {
    throw new ArgumentError(`${where}: ${name} (${ptr}) and the ${bytes} bytes after it are not inside one live block of WASM memory`);
  }
  return serial;
}

/** A count of elements: an integer from `min` to 2³¹ − 1 (the kernels' i32). */
export function checkCount(where: string, name: string, n: unknown, min = 0): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > 0x7fffffff) {
    throw new ArgumentError(`${where}: ${name} must be an integer from ${min} to 2147483647, got ${show(n)}`);
  }
  return n;
}
