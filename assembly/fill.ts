// Zeroing a block of floats: what a training pass does to a gradient buffer that
// an operation writes only in part (a slice's other columns, the experts a gate
// does not mix, an embedding table's unused rows). A kernel, not a JavaScript
// fill, so that a micro-shard's pass is kernel calls alone and a worker thread can
// run it (src/threads/program.ts).

// x[0 .. n) = 0.0 (n floats).
export function fillZero(n: i32, x: usize): void {
  if (n > 0) memory.fill(x, 0, <usize>n << 2);
}
