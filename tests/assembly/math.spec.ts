// The software exp/log/pow (assembly/math.ts, AssemblyScript's NativeMath compiled
// into the module, so every engine computes the same bits) and the stable sigmoid
// the activations use: values within 2 ulps of V8's Math (fdlibm; both are within
// 1 ulp of the exact value), the special values JavaScript's Math gives, and
// identities over a grid.
import { mathExp, mathLog, mathPow } from "../../assembly/math";
import { actForward, ACT_SIGMOID, ACT_SOFTPLUS } from "../../assembly/act";

function ulps(a: f64, b: f64): i64 {
  if (a == b) return 0;
  const ia = reinterpret<i64>(a), ib = reinterpret<i64>(b);
  // Same sign only (every reference below is positive or exact).
  return ia > ib ? ia - ib : ib - ia;
}

describe("mathExp, mathLog, mathPow: within 2 ulps of V8's Math.exp, Math.log, Math.pow", () => {
  it("exp", () => {
    expect(ulps(mathExp(1), 2.718281828459045)).toBeLessThanOrEqual(2);
    expect(ulps(mathExp(-1), 0.36787944117144233)).toBeLessThanOrEqual(2);
    expect(ulps(mathExp(10), 22026.465794806718)).toBeLessThanOrEqual(2);
    expect(ulps(mathExp(-20.5), 1.2501528663867426e-9)).toBeLessThanOrEqual(2);
    expect(ulps(mathExp(709.5), 1.3549863193146328e+308)).toBeLessThanOrEqual(2);
    expect(mathExp(0)).toBe(1);
  });
  it("log", () => {
    expect(ulps(mathLog(2), 0.6931471805599453)).toBeLessThanOrEqual(2);
    expect(ulps(mathLog(10), 2.302585092994046)).toBeLessThanOrEqual(2);
    expect(ulps(-mathLog(1e-300), 690.7755278982137)).toBeLessThanOrEqual(2);
    expect(ulps(mathLog(1.0000001), 9.999999505838704e-8)).toBeLessThanOrEqual(2);
    expect(mathLog(1)).toBe(0);
  });
  it("pow", () => {
    expect(mathPow(2, 10)).toBe(1024);
    expect(ulps(mathPow(2, 0.5), 1.4142135623730951)).toBeLessThanOrEqual(2);
    expect(ulps(mathPow(10, -3), 0.001)).toBeLessThanOrEqual(2);
    expect(ulps(mathPow(0.9, 100), 2.6561398887587544e-5)).toBeLessThanOrEqual(2);
    expect(ulps(mathPow(1.5, 3.25), 3.735051478988585)).toBeLessThanOrEqual(2);
  });
});

describe("special values, as JavaScript's Math gives them", () => {
  it("exp", () => {
    expect(mathExp(710)).toBe(Infinity);
    expect(mathExp(-746)).toBe(0);
    expect(mathExp(-Infinity)).toBe(0);
    expect(isNaN(mathExp(NaN))).toBe(true);
    expect(mathExp(-745) > 0).toBe(true, "exp(-745) is the smallest subnormal, not 0");
  });
  it("log", () => {
    expect(mathLog(0)).toBe(-Infinity);
    expect(isNaN(mathLog(-1))).toBe(true);
    expect(mathLog(Infinity)).toBe(Infinity);
  });
  it("pow", () => {
    expect(mathPow(0, 0)).toBe(1);
    expect(mathPow(NaN, 0)).toBe(1);
    expect(isNaN(mathPow(-8, 1.0 / 3))).toBe(true);
    expect(mathPow(-2, 3)).toBe(-8);
    expect(mathPow(0, -1)).toBe(Infinity);
  });
});

describe("identities over a grid", () => {
  it("log(exp(x)) = x and exp(a + b) = exp(a)·exp(b) to a few ulps (plus |x| ulps for rounding b = x − a)", () => {
    for (let i = -700; i <= 700; i += 7) {
      const x = <f64>i + 0.3125;
      expect(Math.abs(mathLog(mathExp(x)) - x)).toBeLessThanOrEqual(4 * 2.220446049250313e-16 * Math.max(1, Math.abs(x)));
      const a = x / 3, b = x - a;
      const e = mathExp(x);
      if (e > 1e-300 && e < 1e300) expect(Math.abs(mathExp(a) * mathExp(b) - e) / e).toBeLessThanOrEqual((8 + Math.abs(x)) * 2.220446049250313e-16);
    }
  });
  it("pow(x, y) = exp(y·log(x)) to a relative 1e-13 for moderate arguments", () => {
    for (let i = 1; i < 60; i++) {
      const x = <f64>i * 0.37, y = <f64>(i % 11) - 5.5;
      const p = mathPow(x, y), q = mathExp(y * mathLog(x));
      expect(Math.abs(p - q) / p).toBeLessThanOrEqual(1e-13);
    }
  });
});

describe("the activations' sigmoid and softplus do not overflow", () => {
  it("saturate to 0 and 1, and softplus(x) → x, for any finite x", () => {
    const x = new StaticArray<f32>(6), y = new StaticArray<f32>(6);
    const values: f32[] = [-1e30, -100, -20, 20, 100, 1e30];
    for (let i = 0; i < 6; i++) x[i] = values[i];
    actForward(ACT_SIGMOID, 6, changetype<usize>(x), changetype<usize>(y), 0);
    expect(y[0]).toBe(0);
    expect(y[1] >= 0 && y[1] < 1e-40).toBe(true, "sigmoid(-100) is a subnormal f32, not NaN");
    expect(y[2] > 0 && y[2] < 3e-9).toBe(true);
    expect(y[3]).toBe(1);
    expect(y[5]).toBe(1);
    actForward(ACT_SOFTPLUS, 6, changetype<usize>(x), changetype<usize>(y), 0);
    expect(y[0]).toBe(0);
    expect(y[4]).toBe(100);
    expect(y[5]).toBe(<f32>1e30);
  });
});
