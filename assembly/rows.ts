// Row-wise data movement: batches gathered by index, strided row copies.
//
// Contracts: pointers cover the rows they are told; indices are valid row
// numbers (checked by the caller); source and destination do not overlap.

// dst[r, :] = src[idx[r], :] for r < n (rows of `width` floats; idx holds i32).
export function gatherRows(n: i32, width: i32, src: usize, idx: usize, dst: usize): void {
  const bytes = <usize>width << 2;
  for (let r = 0; r < n; r++) {
    const from = src + <usize>load<i32>(idx + (<usize>r << 2)) * bytes;
    memory.copy(dst + <usize>r * bytes, from, bytes);
  }
}

// dst[r] = src[idx[r]] for r < n, one byte per row (label masks).
export function gatherBytes(n: i32, src: usize, idx: usize, dst: usize): void {
  for (let r = 0; r < n; r++) store<u8>(dst + <usize>r, load<u8>(src + <usize>load<i32>(idx + (<usize>r << 2))));
}

// Copies rows × cols floats between strided row layouts (strides in floats):
// dst[r, c] = src[r, c] (or += with accumulate ≠ 0).
export function copyRows(rows: i32, cols: i32, src: usize, srcStride: i32, dst: usize, dstStride: i32, accumulate: i32): void {
  for (let r = 0; r < rows; r++) {
    const s = src + (<usize>(r * srcStride) << 2), d = dst + (<usize>(r * dstStride) << 2);
    if (!accumulate) {
      memory.copy(d, s, <usize>cols << 2);
      continue;
    }
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
    }
  }
}
