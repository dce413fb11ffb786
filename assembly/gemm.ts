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

// Aᵀ·op(B) with at most this many columns takes the narrow kernel (gemmNarrowT).
// @ts-ignore: decorator
@inline const NARROW_N: i32 = 6;

// Scratch: the packed B panels, the packed A strip and the edge tile. The
// inference module (infer.wasm, on a memory of its own) keeps them in static
// data. A module that imports its memory (manytask.wasm, which the worker
// threads share, and the relaxed GEMM, built with
// --use GEMM_SCRATCH_PER_INSTANCE=1) must not: every instance on a shared
// memory would pack into the same bytes, instantiating one writes the module's
// data segments over that memory again, and on an imported memory the zeros
// would be shipped as a data segment (0.5 MB). There each instance is given its
// own block from the JavaScript allocator (setGemmScratch, gemmScratchBytes()
// bytes, 64-byte aligned) before its first GEMM.
// @ts-ignore: decorator
@inline const SCRATCH_PER_INSTANCE: bool = isDefined(GEMM_SCRATCH_PER_INSTANCE);
// @ts-ignore: decorator
@inline const PACK_B_BYTES: usize = KC * NC * 4;
// @ts-ignore: decorator
@inline const PACK_A_BYTES: usize = KC * MR * 4;
// @ts-ignore: decorator
@inline const EDGE_BYTES: usize = MR * NR * 4;
const PACK_B_STATIC: usize = SCRATCH_PER_INSTANCE ? 0 : memory.data(<i32>PACK_B_BYTES, 64);
const PACK_A_STATIC: usize = SCRATCH_PER_INSTANCE ? 0 : memory.data(<i32>PACK_A_BYTES, 64);
const EDGE_STATIC: usize = SCRATCH_PER_INSTANCE ? 0 : memory.data(<i32>EDGE_BYTES, 16);
let scratchBase: usize = 0;

// @ts-ignore: decorator
@inline function packB(): usize { return SCRATCH_PER_INSTANCE ? scratchBase : PACK_B_STATIC; }
// @ts-ignore: decorator
@inline function packA(): usize { return SCRATCH_PER_INSTANCE ? scratchBase + PACK_B_BYTES : PACK_A_STATIC; }
// @ts-ignore: decorator
@inline function edgeTile(): usize { return SCRATCH_PER_INSTANCE ? scratchBase + PACK_B_BYTES + PACK_A_BYTES : EDGE_STATIC; }

// Bytes of the block setGemmScratch takes (per-instance builds).
export function gemmScratchBytes(): i32 {
  return <i32>(PACK_B_BYTES + PACK_A_BYTES + EDGE_BYTES);
}

// Gives this instance its GEMM scratch (per-instance builds): gemmScratchBytes() bytes at p, 64-byte aligned.
export function setGemmScratch(p: usize): void {
  scratchBase = p;
}

// acc + a·b, lane by lane: a multiply, then an add (two roundings), the
// deterministic default. The relaxed build (--enable relaxed-simd) fuses them
// into f32x4.relaxed_madd, which an engine may run as one FMA (one rounding) or
// as the same two steps: faster, but its results may differ between engines.
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

export function gemm(
  transA: i32, transB: i32, M: i32, N: i32, K: i32,
  alpha: f32, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f32, c: usize, ldc: i32, bias: usize, act: i32,
): void {
  gemmInline(transA, transB, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, true);
}

// The forward pass's GEMM, op(A) = A and op(B) = B, without the row kernel: what
// the inference module exports as gemm (assembly/infer.ts) and what its attention
// kernel calls (assembly/attention.ts attentionForwardLean): one copy of it there.
export function gemmForward(
  M: i32, N: i32, K: i32, alpha: f32, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f32, c: usize, ldc: i32, bias: usize, act: i32,
): void {
  gemmInline(0, 0, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc, bias, act, false);
}

// The body of gemm, inlined into its callers: assembly/infer.ts calls it with
// constant transposes and rowPath false, so the optimizer drops the paths only
// training takes (transposed operands, the narrow Aᵀ·B kernel) and the row
// kernel from the inference module. The row kernel is a speed path only: it
// sums over K in the same KC blocks, in the same order, as the tiles, so both
// give the same bits.
// @ts-ignore: decorator
@inline export function gemmInline(
  transA: i32, transB: i32, M: i32, N: i32, K: i32,
  alpha: f32, a: usize, lda: i32, b: usize, ldb: i32,
  beta: f32, c: usize, ldc: i32, bias: usize, act: i32, rowPath: bool,
): void {
  // Byte strides of op(A) (row i, column k) and op(B) (row k, column j).
  const aRow: usize = transA ? 4 : <usize>lda << 2;
  const aK: usize = transA ? <usize>lda << 2 : 4;
  const bK: usize = transB ? 4 : <usize>ldb << 2;
  const bCol: usize = transB ? <usize>ldb << 2 : 4;
  const cRow: usize = <usize>ldc << 2;
  if (rowPath && M < MR && !transA && !transB) {
    // One to three rows (inference on a single example): stream B in place,
    // K in blocks of KC as below (beta on the first block, bias and activation
    // on the last).
    for (let i = 0; i < M; i++) {
      for (let pc = 0; pc < K; pc += KC) {
        const last = pc + KC >= K;
        gemmRow(N, min(KC, K - pc), alpha, a + <usize>i * aRow + (<usize>pc << 2), b + <usize>pc * bK, bK,
          pc == 0 ? beta : 1, c + <usize>i * cRow, last ? bias : 0, last ? act : ACT_IDENTITY);
      }
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
          packPanelB(bBlock + <usize>(p * NR) * bCol, bK, bCol, kc, min(NR, nc - p * NR), packB() + (<usize>(p * kc * NR) << 2));
        }
      } else if (fullPanels < panels) {
        packPanelB(bBlock + <usize>(fullPanels * NR) * bCol, bK, bCol, kc, nc - fullPanels * NR, packB() + (<usize>(fullPanels * kc * NR) << 2));
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
          pa = packA(); par = 4; pak = MR << 2;
        }
        const cStrip = c + <usize>i * cRow + (<usize>jc << 2);
        for (let p = 0; p < panels; p++) {
          const nr = min(NR, nc - p * NR);
          let pb: usize, pbk: usize;
          if (packAllB || p == fullPanels) {
            pb = packB() + (<usize>(p * kc * NR) << 2); pbk = NR << 2;
          } else {
            pb = bBlock + (<usize>(p * NR) << 2); pbk = bK;
          }
          const pbias: usize = biasHere ? biasHere + (<usize>(jc + p * NR) << 2) : 0;
          const pcTile = cStrip + (<usize>(p * NR) << 2);
          if (mr == MR && nr == NR) {
            tile4x8(pa, par, pak, pb, pbk, kc, pcTile, cRow, alpha, betaHere, pbias, actHere, 0);
          } else {
            tile4x8(pa, par, pak, pb, pbk, kc, edgeTile(), NR << 2, alpha, 0, 0, ACT_IDENTITY, 1);
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
      s0 = madd(av, v128.load(pb), s0);
      s1 = madd(av, v128.load(pb, 16), s1);
      s2 = madd(av, v128.load(pb, 32), s2);
      s3 = madd(av, v128.load(pb, 48), s3);
      s4 = madd(av, v128.load(pb, 64), s4);
      s5 = madd(av, v128.load(pb, 80), s5);
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
      s0 = madd(av, v128.load(pb), s0);
      s1 = madd(av, v128.load(pb, 16), s1);
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
// vector load, times a broadcast of B(k, j) for each column. M is a multiple
// of 4 here.
//
// Measured on dW = Xᵀ·dY, X 1024×128, dY 1024×5 (AMD EPYC Zen 5, V8 11.3):
// - One 4-row × N tile (N accumulators) ran 39 GFLOP/s. Each accumulator is a
//   chain of f32x4.add, one add per k, and 5 chains cannot hide the add latency
//   behind the 2 add pipes: 4-row tiles ran in proportion to N (N = 2, 3, 4:
//   20, 30, 42 GFLOP/s), about 3.2 cycles per k whatever N. Hence more rows.
// - An 8×5 tile needs 10 accumulators + 2 A + 5 broadcasts (V8 hoists every
//   load of an iteration to its top) + 1 product = 18 of the 15 xmm registers:
//   3 accumulators spill, 26 GFLOP/s (24 with a pre-splatted B pack instead of
//   broadcasts: the same register count). Pre-splatting B for the 4-row tile
//   did not help either (41–42 vs 45–46): it trades 5 broadcasts for 5 loads.
// - So the columns go in groups whose tiles fit: 16 rows × 2 columns (8 + 4 +
//   2 + 1 = 15 registers; 62–65 GFLOP/s alone, ahead of 8 × 4 at 55–59) and
//   8 rows × 3 columns (6 + 2 + 3 + 1 = 12; 56–58; 12 × 3 needs 16 and ran 25).
//   N = 5 is 3 + 2 (two passes over A, which stays in L2), N = 4 is 2 + 2, N = 6
//   is 2 + 2 + 2 (58–59 GFLOP/s, 3 + 3 ran 52–56), N = 1 takes 16-row × 1 tiles
//   (4 chains, 37). Rows left over take the 8-row, then the 4-row tile.
// - B is read in place when its rows are contiguous (not transposed): the
//   broadcasts need no pack, so K is not blocked and each tile has one
//   epilogue, not one per 256 k (4-row tile: 39 → 45 GFLOP/s). A transposed B
//   is packed per KC block into PACK_B.
// - storeColumn is inlined: called, it cost 4–8% (the accumulators still live
//   are spilled around every call).
// All together 39 → 59–61 GFLOP/s on that shape (16–18× TF.js-wasm).
function gemmNarrowT(
  N: i32, M: i32, K: i32, alpha: f32, a: usize, lda: i32, b: usize, bK: usize, bCol: usize,
  beta: f32, c: usize, ldc: i32, bias: usize, act: i32,
): void {
  const aK = <usize>lda << 2;
  const cRow = <usize>ldc << 2;
  const inPlace = bCol == 4;
  const kb = inPlace ? K : KC;
  for (let pc = 0; pc < K; pc += kb) {
    const kc = min(kb, K - pc);
    const last = pc + kc >= K;
    let pb = b + <usize>pc * bK, pbK = bK;
    if (!inPlace) {
      packPanelB(pb, bK, bCol, kc, N, packB());
      pb = packB(); pbK = NR << 2;
    }
    const betaHere: f32 = pc == 0 ? beta : 1;
    const actHere: i32 = last ? act : ACT_IDENTITY;
    const pa = a + <usize>pc * aK;
    // Columns j.. in groups of 1 (N = 1), 2 (an even number left) or 3.
    for (let j = 0; j < N;) {
      const left = N - j;
      const pbj = pb + (<usize>j << 2);
      const pcj = c + (<usize>j << 2);
      const biasHere: usize = last && bias ? bias + (<usize>j << 2) : 0;
      if (left == 1) {
        narrowPass(1, M, pa, aK, pbj, pbK, kc, pcj, cRow, alpha, betaHere, biasHere, actHere);
        j += 1;
      } else if ((left & 1) == 0) {
        narrowPass(2, M, pa, aK, pbj, pbK, kc, pcj, cRow, alpha, betaHere, biasHere, actHere);
        j += 2;
      } else {
        narrowPass(3, M, pa, aK, pbj, pbK, kc, pcj, cRow, alpha, betaHere, biasHere, actHere);
        j += 3;
      }
    }
  }
}

// All M rows × w columns (w literal): 16-row tiles for w ≤ 2, then 8, then 4 rows.
// @ts-ignore: decorator
@inline function narrowPass(
  w: i32, M: i32, pa: usize, aK: usize, pb: usize, bK: usize, kc: i32, pc: usize, cRow: usize,
  alpha: f32, beta: f32, bias: usize, act: i32,
): void {
  let i = 0;
  if (w < 3) {
    for (; i + 16 <= M; i += 16) {
      narrowTile(4, w, pa + (<usize>i << 2), aK, pb, bK, kc, pc + <usize>i * cRow, cRow, alpha, beta, bias, act);
    }
  }
  for (; i + 8 <= M; i += 8) {
    narrowTile(2, w, pa + (<usize>i << 2), aK, pb, bK, kc, pc + <usize>i * cRow, cRow, alpha, beta, bias, act);
  }
  if (i < M) narrowTile(1, w, pa + (<usize>i << 2), aK, pb, bK, kc, pc + <usize>i * cRow, cRow, alpha, beta, bias, act);
}

// One (4·v)-row × w-column tile of gemmNarrowT (v = 1, 2 or 4; w ≤ 3, and
// w ≤ 2 when v = 4): accumulator crj holds rows 4r..4r+3 of column j. v and w
// are literals at every call site, so the optimizer drops the unused
// accumulators and branches.
// @ts-ignore: decorator
@inline function narrowTile(
  v: i32, w: i32, pa: usize, aK: usize, pb: usize, bK: usize, kc: i32, pc: usize, cRow: usize,
  alpha: f32, beta: f32, bias: usize, act: i32,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const a0 = v128.load(pa);
    const a1 = v > 1 ? v128.load(pa, 16) : a0;
    const a2 = v > 2 ? v128.load(pa, 32) : a0;
    const a3 = v > 2 ? v128.load(pa, 48) : a0;
    let s = v128.load32_splat(pb);
    c00 = madd(a0, s, c00);
    if (v > 1) c10 = madd(a1, s, c10);
    if (v > 2) { c20 = madd(a2, s, c20); c30 = madd(a3, s, c30); }
    if (w > 1) {
      s = v128.load32_splat(pb, 4);
      c01 = madd(a0, s, c01);
      if (v > 1) c11 = madd(a1, s, c11);
      if (v > 2) { c21 = madd(a2, s, c21); c31 = madd(a3, s, c31); }
    }
    if (w > 2) {
      s = v128.load32_splat(pb, 8);
      c02 = madd(a0, s, c02);
      if (v > 1) c12 = madd(a1, s, c12);
    }
    pa += aK; pb += bK;
  }
  const b1: usize = bias ? bias + 4 : 0, b2: usize = bias ? bias + 8 : 0;
  const r4 = cRow << 2;
  storeColumn(pc, cRow, c00, alpha, beta, bias, act);
  if (w > 1) storeColumn(pc + 4, cRow, c01, alpha, beta, b1, act);
  if (w > 2) storeColumn(pc + 8, cRow, c02, alpha, beta, b2, act);
  if (v > 1) {
    pc += r4;
    storeColumn(pc, cRow, c10, alpha, beta, bias, act);
    if (w > 1) storeColumn(pc + 4, cRow, c11, alpha, beta, b1, act);
    if (w > 2) storeColumn(pc + 8, cRow, c12, alpha, beta, b2, act);
  }
  if (v > 2) {
    pc += r4;
    storeColumn(pc, cRow, c20, alpha, beta, bias, act);
    if (w > 1) storeColumn(pc + 4, cRow, c21, alpha, beta, b1, act);
    pc += r4;
    storeColumn(pc, cRow, c30, alpha, beta, bias, act);
    if (w > 1) storeColumn(pc + 4, cRow, c31, alpha, beta, b1, act);
  }
}

// Writes the 4 rows of one C column held in v (same epilogue as storeRow).
// @ts-ignore: decorator
@inline function storeColumn(pc: usize, cRow: usize, v: v128, alpha: f32, beta: f32, bias: usize, act: i32): void {
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
  let dst = packA();
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
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(pa + aRow);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(pa + a2);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(pa + a3);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
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
    const src = edgeTile() + (<usize>(r * NR) << 2);
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
