// What a cross-stitch unit (src/graph/forward.ts, backward.ts) computed in
// JavaScript before its kernels (assembly/mix.ts), as kernels, so that a pass over a
// cross-stitch network is a list of kernel calls a worker thread can run
// (src/threads/program.ts): the same f64 arithmetic, the same bits.

// α[i] = f32(α⁰[i] + offset[i]) for count entries: the mixing matrix, its fixed
// start α⁰ (f64) plus the learned offset (f32).
export function crossStitchAlpha(count: i32, alpha0: usize, offset: usize, alpha: usize): void {
  for (let i = 0; i < count; i++) {
    store<f32>(alpha + (<usize>i << 2), <f32>(load<f64>(alpha0 + (<usize>i << 3)) + <f64>load<f32>(offset + (<usize>i << 2))));
  }
}

// table[index] = pointer (u32): an entry of a unit's pointer tables (xs, ys, dys, dxs),
// written where the pass runs, since a recorded pass may run on other rows' buffers.
export function writePointer(table: usize, index: i32, pointer: u32): void {
  store<u32>(table + (<usize>index << 2), pointer);
}
