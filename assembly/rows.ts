// Row-wise data movement and the row softmax used for class probabilities.
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

// y[r, :] = softmax(x[r, :]) over cols (max-subtracted; y may alias x).
export function rowSoftmax(rows: i32, cols: i32, x: usize, y: usize): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * cols) << 2), yr = y + (<usize>(r * cols) << 2);
    let m = load<f32>(xr);
    for (let c = 1; c < cols; c++) m = max(m, load<f32>(xr + (<usize>c << 2)));
    let s: f32 = 0;
    for (let c = 0; c < cols; c++) {
      const e = Mathf.exp(load<f32>(xr + (<usize>c << 2)) - m);
      store<f32>(yr + (<usize>c << 2), e);
      s += e;
    }
    const inv: f32 = 1 / s;
    for (let c = 0; c < cols; c++) store<f32>(yr + (<usize>c << 2), load<f32>(yr + (<usize>c << 2)) * inv);
  }
}

// Given p = softmax(z) and dL/dp, adds dL/dz = p ⊙ (dp − Σ p·dp) into dz (row-wise).
export function rowSoftmaxBackwardAdd(rows: i32, cols: i32, p: usize, dp: usize, dz: usize): void {
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * cols) << 2;
    let s: f32 = 0;
    for (let c = 0; c < cols; c++) s += load<f32>(p + o + (<usize>c << 2)) * load<f32>(dp + o + (<usize>c << 2));
    for (let c = 0; c < cols; c++) {
      const q = o + (<usize>c << 2);
      store<f32>(dz + q, load<f32>(dz + q) + load<f32>(p + q) * (load<f32>(dp + q) - s));
    }
  }
}
