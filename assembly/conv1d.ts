// 1-D causal convolution over windows of a series, and pooling over time.
//
// A row holds a window of `steps` time steps, time-major: [x(t₀) | x(t₁) | …],
// each `channels` floats. The convolution runs as im2col + the GEMM of gemm.ts
// (one call for the whole batch, bias and ReLU in its epilogue; its backward is two
// GEMMs and col2im): `conv1dIm2col` lays every (row, step) out as one GEMM row of
// kernel × channels floats — the inputs at steps t − (kernel − 1 − k)·dilation,
// k < kernel, zeros before the window's start (causal padding: step t never sees
// a later step, and the output has as many steps as the input).
//
// Contracts: pointers cover what the counts say; no overlap between inputs and
// outputs. Sums run in a fixed order, so results are deterministic.

import { add, axpy } from "./vec";

// Copies n floats.
@inline function copyFloats(n: i32, src: usize, dst: usize): void {
  memory.copy(dst, src, <usize>n << 2);
}

// col[(r·steps + t), k·channels + c] = x[r, t − (kernel − 1 − k)·dilation, c], or 0
// before the window's start. col is (rows·steps) × (kernel·channels).
export function conv1dIm2col(rows: i32, steps: i32, channels: i32, kernel: i32, dilation: i32, x: usize, col: usize): void {
  const width = kernel * channels, stepBytes = <usize>channels << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>(r * steps) * stepBytes;
    for (let t = 0; t < steps; t++) {
      const out = col + (<usize>((r * steps + t) * width) << 2);
      for (let k = 0; k < kernel; k++) {
        const s = t - (kernel - 1 - k) * dilation, dst = out + <usize>k * stepBytes;
        if (s < 0) memory.fill(dst, 0, stepBytes);
        else copyFloats(channels, xr + <usize>s * stepBytes, dst);
      }
    }
  }
}

// The adjoint of conv1dIm2col: dx[r, s, c] = Σ over the (t, k) that read step s of
// dcol[(r·steps + t), k·channels + c], in the order t, then k.
export function conv1dCol2im(rows: i32, steps: i32, channels: i32, kernel: i32, dilation: i32, dcol: usize, dx: usize): void {
  const width = kernel * channels, stepBytes = <usize>channels << 2;
  memory.fill(dx, 0, <usize>(rows * steps) * stepBytes);
  for (let r = 0; r < rows; r++) {
    const dxr = dx + <usize>(r * steps) * stepBytes;
    for (let t = 0; t < steps; t++) {
      const from = dcol + (<usize>((r * steps + t) * width) << 2);
      for (let k = 0; k < kernel; k++) {
        const s = t - (kernel - 1 - k) * dilation;
        if (s >= 0) add(channels, dxr + <usize>s * stepBytes, from + <usize>k * stepBytes, dxr + <usize>s * stepBytes);
      }
    }
  }
}

// Pooling over time, per row and channel: mode 0 the mean of the steps, 1 their
// maximum, 2 the last step. y is rows × channels. Scalar: it reads each input once,
// a sliver of the convolution's time, so SIMD would only add code to infer.wasm.
export function temporalPoolForward(mode: i32, rows: i32, steps: i32, channels: i32, x: usize, y: usize): void {
  const stepBytes = <usize>channels << 2, invS = <f32>1 / <f32>steps;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>(r * steps) * stepBytes, yr = y + <usize>r * stepBytes;
    if (mode == 2) { copyFloats(channels, xr + <usize>(steps - 1) * stepBytes, yr); continue; }
    for (let c = 0; c < channels; c++) {
      const o = <usize>c << 2;
      let acc = load<f32>(xr + o);
      for (let t = 1; t < steps; t++) {
        const v = load<f32>(xr + <usize>t * stepBytes + o);
        acc = mode == 1 ? max(acc, v) : acc + v;
      }
      store<f32>(yr + o, mode == 1 ? acc : acc * invS);
    }
  }
}

// dx (rows × steps × channels, written) from dy (rows × channels): the mean spreads
// dy/steps over every step; the maximum routes dy to the first step equal to y;
// the last step takes dy, the others 0.
export function temporalPoolBackward(mode: i32, rows: i32, steps: i32, channels: i32, x: usize, y: usize, dy: usize, dx: usize): void {
  const stepBytes = <usize>channels << 2, invS = <f32>1 / <f32>steps;
  if (mode != 0) memory.fill(dx, 0, <usize>(rows * steps) * stepBytes);
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>(r * steps) * stepBytes, dxr = dx + <usize>(r * steps) * stepBytes;
    const yr = y + <usize>r * stepBytes, dyr = dy + <usize>r * stepBytes;
    if (mode == 2) { copyFloats(channels, dyr, dxr + <usize>(steps - 1) * stepBytes); continue; }
    if (mode == 0) {
      for (let t = 0; t < steps; t++) {
        const d = dxr + <usize>t * stepBytes;
        let c = 0;
        for (; c + 4 <= channels; c += 4) v128.store(d + (<usize>c << 2), f32x4.mul(v128.load(dyr + (<usize>c << 2)), f32x4.splat(invS)));
        for (; c < channels; c++) store<f32>(d + (<usize>c << 2), load<f32>(dyr + (<usize>c << 2)) * invS);
      }
      continue;
    }
    for (let c = 0; c < channels; c++) {
      const o = <usize>c << 2, m = load<f32>(yr + o);
      for (let t = 0; t < steps; t++) {
        if (load<f32>(xr + <usize>t * stepBytes + o) == m) {
          store<f32>(dxr + <usize>t * stepBytes + o, load<f32>(dyr + o));
          break;
        }
      }
    }
  }
}

// The same convolution computed directly, without the im2col buffer: for every
// (row, step), y = b + Σ_k Σ_c x(t − (kernel − 1 − k)·dilation)[c] · W[k·cin + c, :],
// SIMD across the output channels, then ReLU when relu ≠ 0. The forward pass runs
// im2col + GEMM (bench/conv1d.mjs measures the two side by side); this one is kept
// as the measured alternative and is checked against the same reference.
export function conv1dDirect(
  rows: i32, steps: i32, cin: i32, cout: i32, kernel: i32, dilation: i32, x: usize, w: usize, b: usize, y: usize, relu: i32,
): void {
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < steps; t++) {
      const yt = y + (<usize>((r * steps + t) * cout) << 2);
      memory.copy(yt, b, <usize>cout << 2);
      for (let k = 0; k < kernel; k++) {
        const s = t - (kernel - 1 - k) * dilation;
        if (s < 0) continue;
        const xs = x + (<usize>((r * steps + s) * cin) << 2);
        for (let c = 0; c < cin; c++) axpy(cout, load<f32>(xs + (<usize>c << 2)), w + (<usize>((k * cin + c) * cout) << 2), yt);
      }
      if (relu) {
        let o = 0;
        for (; o + 4 <= cout; o += 4) v128.store(yt + (<usize>o << 2), f32x4.max(v128.load(yt + (<usize>o << 2)), zero));
        for (; o < cout; o++) store<f32>(yt + (<usize>o << 2), max(load<f32>(yt + (<usize>o << 2)), <f32>0));
      }
    }
  }
}
