// Deterministic scalar math for the TypeScript side.
//
// JavaScript's Math.pow/exp/log/cos/sin are implemented by each engine
// (V8, JavaScriptCore, SpiderMonkey) and may differ in the last bit, which would
// make learning-rate schedules, and so the trained weights, differ between Node,
// Bun, Deno, workerd and browsers. AssemblyScript's Math is a software
// implementation (ported from musl) compiled into this module: the same
// instructions, so the same bits, in every engine. TypeScript code that needs
// these functions on a numeric path calls these kernels instead of Math.*.
// (+ − × ÷, Math.sqrt, Math.fround, Math.floor/min/max are exact in every engine.)
//
// Contract: any f64 in, the f64 AssemblyScript's NativeMath returns (≤ 1 ulp
// from the exact result; special values as in JavaScript's Math).

export function mathPow(x: f64, y: f64): f64 {
  return Math.pow(x, y);
}

export function mathExp(x: f64): f64 {
  return Math.exp(x);
}

export function mathLog(x: f64): f64 {
  return Math.log(x);
}

export function mathLog1p(x: f64): f64 {
  return Math.log1p(x);
}

export function mathCos(x: f64): f64 {
  return Math.cos(x);
}

export function mathSin(x: f64): f64 {
  return Math.sin(x);
}
