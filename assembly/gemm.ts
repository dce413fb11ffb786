// f32 GEMM:  C = alpha · op(A) · op(B) + beta · C  [+ bias row] [then ReLU]
//
// Row-major storage. op(A) is M×K, op(B) is K×N, C is M×N. Leading dimensions
// (lda, ldb, ldc) are row strides in elements of the *stored* matrices, so a
// transposed A is stored K×M with lda ≥ M.
//
// Contract (checked by the TypeScript caller, trusted here):
//   M, N, K ≥ 1; pointers lie inside linear memory for the whole extent;
//   C does not alias A, B or bias; bias is 0 or points at N floats.
//   beta == 0 means C is write-only (its old contents, NaN included, are ignored).
//
// Blocking (Goto/BLIS order): N in blocks of NC columns, K in blocks of KC;
// each (KC × NC) block of op(B) is packed into 8-wide panels (zero-padded at
// the right edge) that stay in L2, then every 4-row strip of op(A) runs the
// 4×8 micro-kernel over all panels. Edge strips and tiles are zero-padded and
// finished by storeEdge, so there is exactly one micro-kernel.
//
// Why 4×8 and not the 5×8 the register count suggests: V8 (TurboFan) hoists all
// of an iteration's A broadcasts to the top of the loop and unrolls the k loop
// itself, so a 5×8 tile needs 10 accumulators + 2 B + 5 A + 1 temporary = 18 of
// the 15 xmm registers WASM gets on x64 (xmm15 is V8's scratch). It spills two
// accumulators, which puts a store→load→add chain on the loop-carried path and
// halves throughput (measured: 27 vs 60 GFLOP/s at 256³). 4×8 needs 15 and is
// bound by the same two FP pipes. For the same reason the k loop is not
// unrolled by hand.

import { ACT_IDENTITY, ACT_RELU } from "./act";

// @ts-ignore: decorator
@inline const MR: i32 = 4;
// @ts-ignore: decorator
@inline const NR: i32 = 8;
// @ts-ignore: decorator
@inline const KC: i32 = 256;
// @ts-ignore: decorator
@inline const NC: i32 = 512;
// Below this many rows of op(A), a non-transposed B is read in place rather
// than packed: packing costs K·N copies, which only pays back over many strips.
// @ts-ignore: decorator
@inline const PACK_B_MIN_M: i32 = 16;
// A transposed A whose rows are this long is packed strip by strip: its k stride
// (lda floats) then exceeds a page and every k would touch a new TLB entry.
// @ts-ignore: decorator
@inline const PACK_AT_MIN_LDA: i32 = 1024;

const PACK_B: usize = memory.data(KC * NC * 4, 64);
const PACK_A: usize = memory.data(KC * MR * 4, 64);
// Aᵀ·op(B) with at most this many columns takes the narrow kernel (gemmNarrowT).
// @ts-ignore: decorator
@inline const NARROW_N: i32 = 6;

const EDGE: usize = memory.data(MR * NR * 4, 16);

export function gemm(
  transA: i32, transB: i32, M: i32, N: i32, K: i32,
  alpha: f32, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f32, c: usize, ldc: i32, bias: usize, act: i32,
): void {
  // Byte strides of op(A) (row i, column k) and op(B) (row k, column j).
  const aRow: usize = transA ? 4 : <usize>lda << 2;
  const aK: usize = transA ? <usize>lda << 2 : 4;
  const bK: usize = transB ? 4 : <usize>ldb << 2;
  const bCol: usize = transB ? <usize>ldb << 2 : 4;
  const cRow: usize = <usize>ldc << 2;
  if (M < MR && !transA && !transB) {
    // One to three rows (inference on a single example): stream B in place.
    for (let i = 0; i < M; i++) {
      gemmRow(N, K, alpha, a + <usize>i * aRow, b, <usize>ldb << 2, beta, c + <usize>i * cRow, bias, act);
    }
    return;
  }
  if (transA && N <= NARROW_N && M >= MR) {
    const rows = M & ~(MR - 1);
    gemmNarrowT(N, rows, K, alpha, a, lda, b, bK, bCol, beta, c, ldc, bias, act);
    if (rows == M) return;
    // The last M % 4 rows go through the general path.
    a += <usize>rows << 2; c += <usize>rows * cRow; M -= rows;
  }
  const packAllB = transB || M >= PACK_B_MIN_M;
  const packAT = transA && lda >= PACK_AT_MIN_LDA && M > MR;

  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    const panels = (nc + NR - 1) / NR;
    const fullPanels = nc / NR;
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      const first = pc == 0;
      const last = pc + kc >= K;
      const bBlock = b + <usize>pc * bK + <usize>jc * bCol;
      // Pack what the micro-kernel cannot read in place.
      if (packAllB) {
        for (let p = 0; p < panels; p++) {
          packPanelB(bBlock + <usize>(p * NR) * bCol, bK, bCol, kc, min(NR, nc - p * NR), PACK_B + (<usize>(p * kc * NR) << 2));
        }
      } else if (fullPanels < panels) {
        packPanelB(bBlock + <usize>(fullPanels * NR) * bCol, bK, bCol, kc, nc - fullPanels * NR, PACK_B + (<usize>(fullPanels * kc * NR) << 2));
      }
      const betaHere: f32 = first ? beta : 1;
      const biasHere: usize = last ? bias : 0;
      const actHere: i32 = last ? act : ACT_IDENTITY;

      for (let i = 0; i < M; i += MR) {
        const mr = min(MR, M - i);
        let pa = a + <usize>i * aRow + <usize>pc * aK;
        let par = aRow;
        let pak = aK;
        if (mr < MR || packAT) {
          packStripA(pa, aRow, aK, kc, mr);
          pa = PACK_A; par = 4; pak = MR << 2;
        }
        const cStrip = c + <usize>i * cRow + (<usize>jc << 2);
        for (let p = 0; p < panels; p++) {
          const nr = min(NR, nc - p * NR);
          let pb: usize, pbk: usize;
          if (packAllB || p == fullPanels) {
            pb = PACK_B + (<usize>(p * kc * NR) << 2); pbk = NR << 2;
          } else {
            pb = bBlock + (<usize>(p * NR) << 2); pbk = bK;
          }
          const pbias: usize = biasHere ? biasHere + (<usize>(jc + p * NR) << 2) : 0;
          const pcTile = cStrip + (<usize>(p * NR) << 2);
          if (mr == MR && nr == NR) {
            tile4x8(pa, par, pak, pb, pbk, kc, pcTile, cRow, alpha, betaHere, pbias, actHere, 0);
          } else {
            tile4x8(pa, par, pak, pb, pbk, kc, EDGE, NR << 2, alpha, 0, 0, ACT_IDENTITY, 1);
            storeEdge(pcTile, cRow, mr, nr, betaHere, pbias, actHere);
          }
        }
      }
    }
  }
}

// One row of C = alpha·a·B + beta·c (+ bias, activation), B read in place (not
// transposed, row stride bRow bytes). 24 columns at a time keep 6 independent
// accumulators in flight (the add latency would otherwise bound a single row);
// with V8 hoisting the 6 B loads that is 14 registers (32 columns spilled).
// Then 8 columns at a time, then single columns.
function gemmRow(
  N: i32, K: i32, alpha: f32, a: usize, b: usize, bRow: usize,
  beta: f32, c: usize, bias: usize, act: i32,
): void {
  let j = 0;
  for (; j + 24 <= N; j += 24) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0);
    let s3 = f32x4.splat(0), s4 = f32x4.splat(0), s5 = f32x4.splat(0);
    let pb = b + (<usize>j << 2);
    let pa = a;
    for (let k = 0; k < K; k++) {
      const av = v128.load32_splat(pa);
      s0 = f32x4.add(s0, f32x4.mul(av, v128.load(pb)));
      s1 = f32x4.add(s1, f32x4.mul(av, v128.load(pb, 16)));
      s2 = f32x4.add(s2, f32x4.mul(av, v128.load(pb, 32)));
      s3 = f32x4.add(s3, f32x4.mul(av, v128.load(pb, 48)));
      s4 = f32x4.add(s4, f32x4.mul(av, v128.load(pb, 64)));
      s5 = f32x4.add(s5, f32x4.mul(av, v128.load(pb, 80)));
      pa += 4; pb += bRow;
    }
    const pc = c + (<usize>j << 2);
    const pbias = bias ? bias + (<usize>j << 2) : 0;
    storeVec(pc, s0, alpha, beta, pbias, act);
    storeVec(pc + 16, s1, alpha, beta, pbias ? pbias + 16 : 0, act);
    storeVec(pc + 32, s2, alpha, beta, pbias ? pbias + 32 : 0, act);
    storeVec(pc + 48, s3, alpha, beta, pbias ? pbias + 48 : 0, act);
    storeVec(pc + 64, s4, alpha, beta, pbias ? pbias + 64 : 0, act);
    storeVec(pc + 80, s5, alpha, beta, pbias ? pbias + 80 : 0, act);
  }
  for (; j + 8 <= N; j += 8) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
    let pb = b + (<usize>j << 2);
    let pa = a;
    for (let k = 0; k < K; k++) {
      const av = v128.load32_splat(pa);
      s0 = f32x4.add(s0, f32x4.mul(av, v128.load(pb)));
      s1 = f32x4.add(s1, f32x4.mul(av, v128.load(pb, 16)));
      pa += 4; pb += bRow;
    }
    const pc = c + (<usize>j << 2);
    const pbias = bias ? bias + (<usize>j << 2) : 0;
    storeVec(pc, s0, alpha, beta, pbias, act);
    storeVec(pc + 16, s1, alpha, beta, pbias ? pbias + 16 : 0, act);
  }
  for (; j < N; j++) {
    let s: f32 = 0;
    let pb = b + (<usize>j << 2);
    for (let k = 0; k < K; k++) {
      s += load<f32>(a + (<usize>k << 2)) * load<f32>(pb);
      pb += bRow;
    }
    const pc = c + (<usize>j << 2);
    let v = alpha * s;
    if (beta != 0) v += beta * load<f32>(pc);
    if (bias) v += load<f32>(bias + (<usize>j << 2));
    if (act == ACT_RELU) v = max(v, 0);
    store<f32>(pc, v);
  }
}

// @ts-ignore: decorator
@inline function storeVec(pc: usize, v: v128, alpha: f32, beta: f32, bias: usize, act: i32): void {
  v = f32x4.mul(v, f32x4.splat(alpha));
  if (beta != 0) v = f32x4.add(v, f32x4.mul(v128.load(pc), f32x4.splat(beta)));
  if (bias) v = f32x4.add(v, v128.load(bias));
  if (act == ACT_RELU) v = f32x4.max(v, f32x4.splat(0));
  v128.store(pc, v);
}

// Aᵀ·op(B) with N ≤ 6 (the weight gradient of a narrow layer, dW = Xᵀ·dY):
// an 8-wide panel would waste (8 − N)/8 of the work, so this kernel runs along
// the other axis. With A stored K×M, A(i..i+3, k) is 4 contiguous floats: one
// vector load, times a broadcast of B(k, j) for each of the N columns.
// Accumulators + broadcasts + A + product = 2N + 2 ≤ 14 registers, spill-free
// even when V8 hoists the broadcasts. M is a multiple of 4 here.
function gemmNarrowT(
  N: i32, M: i32, K: i32, alpha: f32, a: usize, lda: i32, b: usize, bK: usize, bCol: usize,
  beta: f32, c: usize, ldc: i32, bias: usize, act: i32,
): void {
  const aK = <usize>lda << 2;
  const cRow = <usize>ldc << 2;
  for (let pc = 0; pc < K; pc += KC) {
    const kc = min(KC, K - pc);
    const last = pc + kc >= K;
    packPanelB(b + <usize>pc * bK, bK, bCol, kc, N, PACK_B);
    const betaHere: f32 = pc == 0 ? beta : 1;
    const biasHere: usize = last ? bias : 0;
    const actHere: i32 = last ? act : ACT_IDENTITY;
    for (let i = 0; i < M; i += MR) {
      const pa = a + <usize>pc * aK + (<usize>i << 2);
      const pcTile = c + <usize>i * cRow;
      switch (N) {
        case 1: narrowTile(1, pa, aK, kc, pcTile, cRow, alpha, betaHere, biasHere, actHere); break;
        case 2: narrowTile(2, pa, aK, kc, pcTile, cRow, alpha, betaHere, biasHere, actHere); break;
        case 3: narrowTile(3, pa, aK, kc, pcTile, cRow, alpha, betaHere, biasHere, actHere); break;
        case 4: narrowTile(4, pa, aK, kc, pcTile, cRow, alpha, betaHere, biasHere, actHere); break;
        case 5: narrowTile(5, pa, aK, kc, pcTile, cRow, alpha, betaHere, biasHere, actHere); break;
        default: narrowTile(6, pa, aK, kc, pcTile, cRow, alpha, betaHere, biasHere, actHere); break;
      }
    }
  }
}

// One 4-row × n-column tile of gemmNarrowT; n is a literal at every call site,
// so the optimizer drops the unused accumulators and branches.
// @ts-ignore: decorator
@inline function narrowTile(
  n: i32, pa: usize, aK: usize, kc: i32, pc: usize, cRow: usize,
  alpha: f32, beta: f32, bias: usize, act: i32,
): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0), c4 = f32x4.splat(0), c5 = f32x4.splat(0);
  let pb = PACK_B;
  for (let k = 0; k < kc; k++) {
    const av = v128.load(pa);
    c0 = f32x4.add(c0, f32x4.mul(av, v128.load32_splat(pb)));
    if (n > 1) c1 = f32x4.add(c1, f32x4.mul(av, v128.load32_splat(pb, 4)));
    if (n > 2) c2 = f32x4.add(c2, f32x4.mul(av, v128.load32_splat(pb, 8)));
    if (n > 3) c3 = f32x4.add(c3, f32x4.mul(av, v128.load32_splat(pb, 12)));
    if (n > 4) c4 = f32x4.add(c4, f32x4.mul(av, v128.load32_splat(pb, 16)));
    if (n > 5) c5 = f32x4.add(c5, f32x4.mul(av, v128.load32_splat(pb, 20)));
    pa += aK; pb += NR << 2;
  }
  storeColumn(pc, cRow, c0, alpha, beta, bias, act);
  if (n > 1) storeColumn(pc + 4, cRow, c1, alpha, beta, bias ? bias + 4 : 0, act);
  if (n > 2) storeColumn(pc + 8, cRow, c2, alpha, beta, bias ? bias + 8 : 0, act);
  if (n > 3) storeColumn(pc + 12, cRow, c3, alpha, beta, bias ? bias + 12 : 0, act);
  if (n > 4) storeColumn(pc + 16, cRow, c4, alpha, beta, bias ? bias + 16 : 0, act);
  if (n > 5) storeColumn(pc + 20, cRow, c5, alpha, beta, bias ? bias + 20 : 0, act);
}

// Writes the 4 rows of one C column held in v (same epilogue as storeRow).
function storeColumn(pc: usize, cRow: usize, v: v128, alpha: f32, beta: f32, bias: usize, act: i32): void {
  v = f32x4.mul(v, f32x4.splat(alpha));
  if (beta != 0) {
    const old = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(load<f32>(pc)),
      1, load<f32>(pc + cRow)), 2, load<f32>(pc + cRow * 2)), 3, load<f32>(pc + cRow * 3));
    v = f32x4.add(v, f32x4.mul(old, f32x4.splat(beta)));
  }
  if (bias) v = f32x4.add(v, v128.load32_splat(bias));
  if (act == ACT_RELU) v = f32x4.max(v, f32x4.splat(0));
  store<f32>(pc, f32x4.extract_lane(v, 0));
  store<f32>(pc + cRow, f32x4.extract_lane(v, 1));
  store<f32>(pc + cRow * 2, f32x4.extract_lane(v, 2));
  store<f32>(pc + cRow * 3, f32x4.extract_lane(v, 3));
}

// Copies a kc × nr block of op(B) into a kc × 8 panel, zero-filling columns ≥ nr.
function packPanelB(src: usize, kStride: usize, colStride: usize, kc: i32, nr: i32, dst: usize): void {
  if (nr == NR && colStride == 4) {
    for (let k = 0; k < kc; k++) {
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
      src += kStride; dst += NR << 2;
    }
    return;
  }
  if (nr == NR && kStride == 4) {
    // op(B) = Bᵀ: the panel's 8 columns are 8 rows of B, contiguous in k.
    // Transpose them 4 k at a time with two 4×4 shuffle transposes.
    let k = 0;
    for (; k + 4 <= kc; k += 4) {
      transpose4(src, colStride, dst);
      transpose4(src + (colStride << 2), colStride, dst + 16);
      src += 16; dst += (NR << 2) * 4;
    }
    for (; k < kc; k++) {
      let s = src;
      for (let j = 0; j < NR; j++) {
        store<f32>(dst + (<usize>j << 2), load<f32>(s));
        s += colStride;
      }
      src += 4; dst += NR << 2;
    }
    return;
  }
  for (let k = 0; k < kc; k++) {
    let s = src;
    for (let j = 0; j < NR; j++) {
      store<f32>(dst + (<usize>j << 2), j < nr ? load<f32>(s) : 0);
      s += colStride;
    }
    src += kStride; dst += NR << 2;
  }
}

// Reads 4 rows × 4 floats at src (row stride in bytes) and writes their
// transpose as 4 rows of 4 floats, 8 floats apart (one panel row each), at dst.
// @ts-ignore: decorator
@inline function transpose4(src: usize, rowStride: usize, dst: usize): void {
  const r0 = v128.load(src), r1 = v128.load(src + rowStride);
  const r2 = v128.load(src + rowStride * 2), r3 = v128.load(src + rowStride * 3);
  const lo01 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), lo23 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const hi01 = i32x4.shuffle(r0, r1, 2, 6, 3, 7), hi23 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(lo01, lo23, 0, 1, 4, 5));
  v128.store(dst, i32x4.shuffle(lo01, lo23, 2, 3, 6, 7), NR << 2);
  v128.store(dst, i32x4.shuffle(hi01, hi23, 0, 1, 4, 5), NR << 3);
  v128.store(dst, i32x4.shuffle(hi01, hi23, 2, 3, 6, 7), (NR << 2) * 3);
}

// Copies mr ≤ MR rows × kc of op(A) into PACK_A as kc groups of MR floats, zero rows ≥ mr.
function packStripA(src: usize, rowStride: usize, kStride: usize, kc: i32, mr: i32): void {
  let dst = PACK_A;
  for (let k = 0; k < kc; k++) {
    let s = src;
    for (let r = 0; r < MR; r++) {
      store<f32>(dst + (<usize>r << 2), r < mr ? load<f32>(s) : 0);
      s += rowStride;
    }
    src += kStride; dst += MR << 2;
  }
}

// The 4×8 micro-kernel. Accumulates Σ_k A(r,k)·B(k,0..7) for r < 4, then
// C = alpha·acc + beta·C (C not read when beta == 0), + bias, activation.
// With `raw` set, alpha·acc is stored as is (edge tiles finish in storeEdge).
// @ts-ignore: decorator
@inline function tile4x8(
  pa: usize, aRow: usize, aK: usize, pb: usize, bK: usize, kc: i32,
  pc: usize, cRow: usize, alpha: f32, beta: f32, bias: usize, act: i32, raw: i32,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const a2 = aRow << 1, a3 = aRow * 3;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let av = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(av, b0)); c01 = f32x4.add(c01, f32x4.mul(av, b1));
    av = v128.load32_splat(pa + aRow);
    c10 = f32x4.add(c10, f32x4.mul(av, b0)); c11 = f32x4.add(c11, f32x4.mul(av, b1));
    av = v128.load32_splat(pa + a2);
    c20 = f32x4.add(c20, f32x4.mul(av, b0)); c21 = f32x4.add(c21, f32x4.mul(av, b1));
    av = v128.load32_splat(pa + a3);
    c30 = f32x4.add(c30, f32x4.mul(av, b0)); c31 = f32x4.add(c31, f32x4.mul(av, b1));
    pa += aK; pb += bK;
  }
  if (raw) {
    const al = f32x4.splat(alpha);
    storeRawRow(pc, c00, c01, al); pc += cRow;
    storeRawRow(pc, c10, c11, al); pc += cRow;
    storeRawRow(pc, c20, c21, al); pc += cRow;
    storeRawRow(pc, c30, c31, al);
    return;
  }
  const al = f32x4.splat(alpha), be = f32x4.splat(beta);
  const bias0 = bias ? v128.load(bias) : f32x4.splat(0);
  const bias1 = bias ? v128.load(bias, 16) : f32x4.splat(0);
  const readC = beta != 0;
  const relu = act == ACT_RELU;
  storeRow(pc, c00, c01, al, be, readC, bias0, bias1, relu); pc += cRow;
  storeRow(pc, c10, c11, al, be, readC, bias0, bias1, relu); pc += cRow;
  storeRow(pc, c20, c21, al, be, readC, bias0, bias1, relu); pc += cRow;
  storeRow(pc, c30, c31, al, be, readC, bias0, bias1, relu);
}

// @ts-ignore: decorator
@inline function storeRawRow(pc: usize, v0: v128, v1: v128, al: v128): void {
  v128.store(pc, f32x4.mul(v0, al));
  v128.store(pc, f32x4.mul(v1, al), 16);
}

// @ts-ignore: decorator
@inline function storeRow(
  pc: usize, v0: v128, v1: v128, al: v128, be: v128, readC: bool,
  bias0: v128, bias1: v128, relu: bool,
): void {
  v0 = f32x4.mul(v0, al); v1 = f32x4.mul(v1, al);
  if (readC) {
    v0 = f32x4.add(v0, f32x4.mul(v128.load(pc), be));
    v1 = f32x4.add(v1, f32x4.mul(v128.load(pc, 16), be));
  }
  v0 = f32x4.add(v0, bias0); v1 = f32x4.add(v1, bias1);
  if (relu) {
    const z = f32x4.splat(0);
    v0 = f32x4.max(v0, z); v1 = f32x4.max(v1, z);
  }
  v128.store(pc, v0);
  v128.store(pc, v1, 16);
}

// Finishes an edge tile from EDGE (already scaled by alpha) into the mr × nr corner of C.
function storeEdge(pc: usize, cRow: usize, mr: i32, nr: i32, beta: f32, bias: usize, act: i32): void {
  for (let r = 0; r < mr; r++) {
    const src = EDGE + (<usize>(r * NR) << 2);
    for (let j = 0; j < nr; j++) {
      const off = <usize>j << 2;
      let v = load<f32>(src + off);
      if (beta != 0) v += beta * load<f32>(pc + off);
      if (bias) v += load<f32>(bias + off);
      if (act == ACT_RELU) v = max(v, 0);
      store<f32>(pc + off, v);
    }
    pc += cRow;
  }
}
