// The GEMM's micro-kernel paths at their edges, inside WebAssembly
// (assembly/gemm.ts): the 4×8 tile with zero-padded edge strips and panels
// (storeEdge), B packed or read in place, K blocked by 256 and N by 512, the
// 1–3-row path, the narrow Aᵀ·B kernel (N ≤ 6) with its leftover rows, the
// fused bias and ReLU on edge tiles, beta = 0 ignoring NaN in C, and scratch
// (the packed panels, the edge tile) left over from a larger call not leaking
// into a smaller one. Each against an f64 reference written here.
import { gemm } from "../../assembly/gemm";
import { ACT_IDENTITY, ACT_RELU } from "../../assembly/act";

let seed: u32 = 1;
function value(): f32 {
  seed = seed * 1664525 + 1013904223;
  return <f32>((seed >>> 8) & 0xffff) / 32768 - 1;
}
function filled(n: i32): StaticArray<f32> {
  const a = new StaticArray<f32>(max(n, 1));
  for (let i = 0; i < n; i++) a[i] = value();
  return a;
}
const ptr = (a: StaticArray<f32>): usize => changetype<usize>(a);

/** Runs one case and returns the largest error in units of its tolerance (≤ 1 passes). */
function check(transA: i32, transB: i32, M: i32, N: i32, K: i32, withBias: bool, act: i32, beta: f32): f64 {
  const a = filled(M * K), b = filled(K * N), bias = filled(N), c0 = filled(M * N);
  const c = new StaticArray<f32>(max(M * N, 1));
  for (let i = 0; i < M * N; i++) c[i] = beta == 0 ? NaN : c0[i];
  const alpha: f32 = 0.75;
  // Row-major storage: A is M×K (K×M if transposed), B is K×N (N×K if transposed).
  const lda = transA ? M : K, ldb = transB ? K : N;
  gemm(transA, transB, M, N, K, alpha, ptr(a), lda, ptr(b), ldb, beta, ptr(c), N, withBias ? ptr(bias) : 0, act);
  let worst: f64 = 0;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum: f64 = 0, scale: f64 = 0;
      for (let k = 0; k < K; k++) {
        const x: f64 = transA ? a[k * lda + i] : a[i * lda + k];
        const y: f64 = transB ? b[j * ldb + k] : b[k * ldb + j];
        sum += x * y;
        scale += Math.abs(x * y);
      }
      let ref = <f64>alpha * sum + (beta == 0 ? 0 : <f64>beta * c0[i * N + j]);
      scale = <f64>alpha * scale + Math.abs(<f64>beta * c0[i * N + j]);
      if (withBias) { ref += bias[j]; scale += Math.abs(<f64>bias[j]); }
      if (act == ACT_RELU && ref < 0) ref = 0;
      const got: f64 = c[i * N + j];
      if (isNaN(got)) return Infinity;
      worst = Math.max(worst, Math.abs(got - ref) / (1e-6 + 2e-6 * scale));
    }
  }
  return worst;
}

describe("gemm at the micro-kernel's edges", () => {
  it("every transpose, M around the 4-row strip, N around the 8-wide panel, K around 1", () => {
    const Ms: i32[] = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17];
    const Ns: i32[] = [1, 2, 5, 6, 7, 8, 9, 15, 16, 17];
    for (let t = 0; t < 4; t++) {
      for (let m = 0; m < Ms.length; m++) {
        for (let n = 0; n < Ns.length; n++) {
          for (let k: i32 = 1; k <= 3; k++) {
            const e = check(t & 1, t >> 1, Ms[m], Ns[n], k * 3 - 2, false, ACT_IDENTITY, 0);
            expect(e).toBeLessThanOrEqual(1, `transA ${t & 1} transB ${t >> 1} M ${Ms[m]} N ${Ns[n]} K ${k * 3 - 2}`);
          }
        }
      }
    }
  });
  it("K across the 256 block (255, 256, 257, 513)", () => {
    const Ks: i32[] = [255, 256, 257, 513];
    for (let t = 0; t < 4; t++) {
      for (let k = 0; k < Ks.length; k++) {
        expect(check(t & 1, t >> 1, 5, 9, Ks[k], true, ACT_RELU, 0.5)).toBeLessThanOrEqual(1, `K ${Ks[k]} transA ${t & 1} transB ${t >> 1}`);
        expect(check(t & 1, t >> 1, 17, 3, Ks[k], false, ACT_IDENTITY, 0)).toBeLessThanOrEqual(1, `narrow, K ${Ks[k]}`);
      }
    }
  });
  it("N across the 512 block (511, 512, 513, 1031)", () => {
    const Ns: i32[] = [511, 512, 513, 1031];
    for (let n = 0; n < Ns.length; n++) {
      expect(check(0, 0, 6, Ns[n], 5, true, ACT_RELU, 0)).toBeLessThanOrEqual(1, `N ${Ns[n]}`);
      expect(check(0, 1, 18, Ns[n], 3, false, ACT_IDENTITY, 1)).toBeLessThanOrEqual(1, `N ${Ns[n]}, B transposed`);
    }
  });
  it("the fused bias and ReLU on edge tiles, with beta 0 (NaN in C ignored) and 1", () => {
    for (let t = 0; t < 4; t++) {
      for (let m: i32 = 1; m <= 9; m += 4) {
        expect(check(t & 1, t >> 1, m, 13, 11, true, ACT_RELU, 0)).toBeLessThanOrEqual(1, `M ${m}`);
        expect(check(t & 1, t >> 1, m, 13, 11, true, ACT_RELU, 1)).toBeLessThanOrEqual(1, `M ${m}, beta 1`);
      }
    }
  });
  it("the narrow Aᵀ·B kernel, N = 1…6, M with 0–3 leftover rows", () => {
    for (let n: i32 = 1; n <= 6; n++) {
      for (let m: i32 = 4; m <= 19; m += 5) {
        expect(check(1, 0, m, n, 37, true, ACT_IDENTITY, 0.25)).toBeLessThanOrEqual(1, `N ${n} M ${m}`);
        expect(check(1, 1, m, n, 37, false, ACT_RELU, 0)).toBeLessThanOrEqual(1, `N ${n} M ${m}, B transposed`);
      }
    }
  });
  it("scratch left by a larger call does not leak into a smaller edge call", () => {
    // Fill the packed panels and the edge tile with a large product, then take edge paths.
    expect(check(0, 1, 64, 40, 300, true, ACT_IDENTITY, 0)).toBeLessThanOrEqual(1);
    expect(check(0, 1, 3, 5, 2, false, ACT_IDENTITY, 0)).toBeLessThanOrEqual(1);
    expect(check(1, 0, 33, 21, 7, false, ACT_IDENTITY, 0)).toBeLessThanOrEqual(1);
    expect(check(0, 0, 17, 3, 1, false, ACT_IDENTITY, 0)).toBeLessThanOrEqual(1);
  });
});
