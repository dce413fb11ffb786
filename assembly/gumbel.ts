// LTB's Gumbel-softmax parent choice (src/mtl/arch/ltb.ts, src/graph/forward.ts and
// backward.ts) as kernels, so that a training or inference pass over an LTB network
// is a list of kernel calls a worker thread can run (src/threads/program.ts).
// Each is the f64 arithmetic the JavaScript loop it replaces did, in the same order,
// with the same logarithm (Math.log here is mathLog's NativeMath.log), and one
// rounding to f32 at the store: the same bits.

// out[j] = f32((α[j] + g_j) / τ), g_j = −log(−log(u[j] + 2⁻²⁵)): the noisy logits of
// one Gumbel-softmax sample from n uniform draws u in [0, 1) (multiples of 2⁻²⁴, so
// u + 2⁻²⁵ is in (0, 1)). u, α and out hold n f32; out may be u.
const TWO_TO_MINUS_25: f64 = 1.0 / 33554432.0;

export function gumbelLogits(n: i32, u: usize, alpha: usize, temperature: f64, out: usize): void {
  for (let j = 0; j < n; j++) {
    const at = <usize>j << 2;
    const g = -Math.log(-Math.log(<f64>load<f32>(u + at) + TWO_TO_MINUS_25));
    store<f32>(out + at, <f32>((<f64>load<f32>(alpha + at) + g) / temperature));
  }
}

// The settled tree: every one of `rows` rows of y (rows × n) is the one-hot vector of
// the largest of the n logits α (the first of equals).
export function gumbelSettled(rows: i32, n: i32, alpha: usize, y: usize): void {
  let best = 0;
  for (let j = 1; j < n; j++) if (load<f32>(alpha + (<usize>j << 2)) > load<f32>(alpha + (<usize>best << 2))) best = j;
  memory.fill(y, 0, <usize>rows * <usize>n << 2);
  for (let r = 0; r < rows; r++) store<f32>(y + ((<usize>r * <usize>n + <usize>best) << 2), 1);
}

// y[j] = f32(x[j] / divisor), the division in f64 (not a product by 1/divisor, which
// rounds differently): the gradient of the logits from that of (α + g)/τ. y may be x.
export function divideByScalar(n: i32, x: usize, divisor: f64, y: usize): void {
  for (let j = 0; j < n; j++) {
    const at = <usize>j << 2;
    store<f32>(y + at, <f32>(<f64>load<f32>(x + at) / divisor));
  }
}
