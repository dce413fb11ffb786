// Convex problems over the probability simplex Δ = { w ≥ 0, Σ w = 1 } posed on a
// Gram matrix G (G_ij = g_i·g_j), for MGDA and CAGrad; and (at the end) the
// Euclidean projection onto a simplex, for MoDo and SDMGrad.
//
// minNorm:  min_{w ∈ Δ} wᵀGw = ‖Σ w_i g_i‖², the min-norm point of the convex hull
//   of the g_i (MGDA). Solved by Frank–Wolfe in its fully-corrective form, Wolfe's
//   min-norm-point algorithm (P. Wolfe 1976, "Finding the nearest point in a
//   polytope"): each major cycle adds the Frank–Wolfe vertex (the g_j of least
//   x·g_j, x the current point) to an active set and re-minimizes ‖x‖ over the
//   affine hull of the set (a small bordered linear system), dropping vertices
//   whose weight would turn negative. It ends, exactly, in finitely many steps;
//   plain Frank–Wolfe (Sener & Koltun's MinNormSolver) converges sublinearly and
//   stalls for hundreds of iterations when G is (nearly) singular. Two tasks use
//   MGDA's closed form.
//
// cagrad:   min_{w ∈ Δ} g_w·g₀ + c·‖g_w‖,  g_w = Σ w_i g_i, g₀ = (1/n) Σ g_i (CAGrad's dual).
//   Its optimality conditions are those of the min-norm problem on the shifted
//   points g_i + t·g₀ with t = ‖g_w‖/c: for i in the support
//     g_i·g₀ + c·g_i·g_w/‖g_w‖  =  min_j (…)   ⇔   g_i·(g_w + t·g₀) = min_j (…)   (times t > 0).
//   So with w(t) the min-norm weights of the shifted points (Gram
//   G_ij + t(h_i + h_j) + t²‖g₀‖², h = G·1/n), the solution is w(t*) where
//   ψ(t) = ‖g_w(t)‖ − c·t crosses 0; ψ(0) ≥ 0 and ψ(max_i ‖g_i‖/c) ≤ 0, and ψ is
//   continuous, so bisection finds t*.
//
// G is copied (active tasks only) and divided by its largest diagonal entry, so
// the tolerances are relative. Only + − × ÷ and Math.sqrt/abs/min/max: the same
// bits in every engine. All arrays are allocated once, for the largest task count.

/** Stop when ‖x‖² − min_j x·g_j (the Frank–Wolfe gap) is below this (G scaled to a unit largest diagonal). */
const GAP_TOLERANCE = 1e-14;
/** A pivot below this (relative) means the active points are affinely dependent. */
const PIVOT_TOLERANCE = 1e-13;
const BISECTIONS = 60;

export class SimplexSolver {
  /** n×n, row-major, scaled. */
  readonly G: Float64Array;
  /** The solution (first n entries). */
  readonly w: Float64Array;
  readonly #cap: number;
  readonly #shifted: Float64Array; // the Gram matrix minNorm works on
  readonly #q: Float64Array;
  readonly #h: Float64Array;
  readonly #alpha: Float64Array;
  readonly #inSet: Uint8Array;
  readonly #set: Int32Array;
  readonly #system: Float64Array; // (n+1)×(n+1) bordered matrix
  readonly #rhs: Float64Array;
  n = 0;

  constructor(capacity: number) {
    this.#cap = capacity;
    this.G = new Float64Array(capacity * capacity);
    this.w = new Float64Array(capacity);
    this.#shifted = new Float64Array(capacity * capacity);
    this.#q = new Float64Array(capacity);
    this.#h = new Float64Array(capacity);
    this.#alpha = new Float64Array(capacity);
    this.#inSet = new Uint8Array(capacity);
    this.#set = new Int32Array(capacity);
    this.#system = new Float64Array((capacity + 1) * (capacity + 1));
    this.#rhs = new Float64Array(capacity + 1);
  }

  /**
   * G ← the rows and columns idx[0..n) of the T×T `gram`, each entry divided by
   * divisors[i]·divisors[j] when given, then all of it by the largest diagonal
   * entry (when that is > 0).
   */
  load(gram: Float64Array, T: number, idx: Int32Array, n: number, divisors: Float64Array | null): void {
    if (n > this.#cap) throw new RangeError('SimplexSolver: more tasks than its capacity');
    this.n = n;
    const G = this.G;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      const gi = idx[i]!;
      for (let j = 0; j < n; j++) {
        let v = gram[gi * T + idx[j]!]!;
        if (divisors !== null) v = v / (divisors[i]! * divisors[j]!);
        G[i * n + j] = v;
      }
      scale = Math.max(scale, G[i * n + i]!);
    }
    if (scale > 0 && Number.isFinite(scale)) {
      for (let i = 0; i < n * n; i++) G[i] = G[i]! / scale;
    }
  }

  /** w ← argmin over the simplex of wᵀGw (MGDA's min-norm point). */
  minNorm(): void {
    const G = this.G, S = this.#shifted;
    for (let i = 0; i < this.n * this.n; i++) S[i] = G[i]!;
    this.#minNormOf(S);
  }

  /** w ← argmin over the simplex of g_w·g₀ + c·‖g_w‖ in the scaled units of G (CAGrad); c > 0. */
  cagrad(c: number): void {
    const n = this.n, G = this.G, h = this.#h;
    let g0sq = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += G[i * n + j]!;
      h[i] = s / n;
      g0sq += h[i]! / n;
    }
    g0sq = Math.max(g0sq, 0);
    if (n === 1) {
      this.w[0] = 1;
      return;
    }
    // ψ(0) = ‖min-norm point‖ ≥ 0 and ‖g_w‖ ≤ max_i ‖g_i‖ = 1 (scaled), so ψ(1/c) ≤ 0. (When 0 is in
    // the hull, ψ(0) = 0 is a spurious root: ψ > 0 just above it for c < 1, and bisection passes it.)
    let lo = 0, hi = 1 / c;
    for (let k = 0; k < BISECTIONS && hi - lo > 1e-15 * hi; k++) {
      const mid = 0.5 * (lo + hi);
      if (this.#psi(mid, g0sq, c) > 0) lo = mid;
      else hi = mid;
    }
    this.#solveShifted(0.5 * (lo + hi), g0sq);
  }

  /** wᵀGw for the current solution (scaled units). */
  quadratic(): number {
    const n = this.n, G = this.G, w = this.w;
    let f = 0;
    for (let i = 0; i < n; i++) {
      let qi = 0;
      for (let j = 0; j < n; j++) qi += G[i * n + j]! * w[j]!;
      f += w[i]! * qi;
    }
    return Math.max(f, 0);
  }

  /** Σ_ij G_ij (scaled units). */
  total(): number {
    let s = 0;
    for (let i = 0; i < this.n * this.n; i++) s += this.G[i]!;
    return s;
  }

  #psi(t: number, g0sq: number, c: number): number {
    this.#solveShifted(t, g0sq);
    return Math.sqrt(this.quadratic()) - c * t;
  }

  /** w ← the min-norm weights of the points g_i + t·g₀. */
  #solveShifted(t: number, g0sq: number): void {
    const n = this.n, G = this.G, h = this.#h, S = this.#shifted;
    const tt = t * t * g0sq;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) S[i * n + j] = G[i * n + j]! + t * (h[i]! + h[j]!) + tt;
    }
    this.#minNormOf(S);
  }

  /** Wolfe's algorithm on the n×n Gram matrix M; the result in this.w. */
  #minNormOf(M: Float64Array): void {
    const n = this.n, w = this.w, q = this.#q, alpha = this.#alpha, inSet = this.#inSet, set = this.#set;
    if (n === 1) {
      w[0] = 1;
      return;
    }
    if (n === 2) {
      const a = pairWeight(M[0]!, M[1]!, M[3]!);
      w[0] = a;
      w[1] = 1 - a;
      return;
    }
    // Relative tolerances: M may be a shifted Gram matrix, larger than 1.
    let scale = 0;
    for (let i = 0; i < n; i++) scale = Math.max(scale, M[i * n + i]!);
    if (!(scale > 0)) { // every point is 0
      for (let i = 0; i < n; i++) w[i] = 1 / n;
      return;
    }
    // Start at the point of least norm.
    let first = 0;
    for (let i = 1; i < n; i++) if (M[i * n + i]! < M[first * n + first]!) first = i;
    w.fill(0, 0, n);
    inSet.fill(0, 0, n);
    w[first] = 1;
    inSet[first] = 1;
    let m = 1;
    set[0] = first;

    for (let major = 0; major < 50 * n; major++) {
      // q = Mw (x·p_i), f = ‖x‖²; the Frank–Wolfe vertex j = argmin q_j.
      let f = 0;
      for (let i = 0; i < n; i++) {
        let qi = 0;
        for (let a = 0; a < m; a++) qi += M[i * n + set[a]!]! * w[set[a]!]!;
        q[i] = qi;
      }
      for (let a = 0; a < m; a++) f += w[set[a]!]! * q[set[a]!]!;
      let j = 0;
      for (let i = 1; i < n; i++) if (q[i]! < q[j]!) j = i;
      if (!(f - q[j]! > GAP_TOLERANCE * scale) || inSet[j] !== 0) break;
      set[m++] = j;
      inSet[j] = 1;

      // Minor cycles: the affine minimizer of the set; while it leaves the hull, step to the
      // hull's boundary and drop the vertices that reach weight 0.
      for (;;) {
        if (!this.#affineMinimizer(M, set, m, scale)) {
          // Affinely dependent (only through rounding): undo the addition and stop.
          if (w[j] === 0) { m--; inSet[j] = 0; }
          return this.#normalize();
        }
        let theta = 1, drop = -1;
        for (let a = 0; a < m; a++) {
          const i = set[a]!, al = alpha[a]!;
          if (al <= 0) {
            const wi = w[i]!;
            const th = wi / (wi - al);
            if (th < theta || drop < 0) { theta = th; drop = a; }
          }
        }
        if (drop < 0) {
          for (let a = 0; a < m; a++) w[set[a]!] = alpha[a]!;
          break;
        }
        for (let a = 0; a < m; a++) {
          const i = set[a]!;
          w[i] = (1 - theta) * w[i]! + theta * alpha[a]!;
        }
        w[set[drop]!] = 0;
        // Compact the set, removing every vertex at weight 0.
        let k = 0;
        for (let a = 0; a < m; a++) {
          const i = set[a]!;
          if (w[i]! > 0) set[k++] = i;
          else { w[i] = 0; inSet[i] = 0; }
        }
        m = k;
        if (m === 1) break;
      }
    }
    this.#normalize();
  }

  /**
   * alpha[0..m) ← argmin ‖Σ α_a p_set[a]‖² subject to Σ α = 1, from the bordered system
   * [M_S 1; 1ᵀ 0]·[α; ν] = [0; 1] (Gaussian elimination, partial pivoting). False if singular.
   */
  #affineMinimizer(M: Float64Array, set: Int32Array, m: number, scale: number): boolean {
    const n = this.n, A = this.#system, b = this.#rhs, alpha = this.#alpha;
    const k = m + 1;
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < m; c++) A[r * k + c] = M[set[r]! * n + set[c]!]! / scale;
      A[r * k + m] = 1;
      b[r] = 0;
    }
    for (let c = 0; c < m; c++) A[m * k + c] = 1;
    A[m * k + m] = 0;
    b[m] = 1;
    for (let col = 0; col < k; col++) {
      let p = col;
      for (let r = col + 1; r < k; r++) if (Math.abs(A[r * k + col]!) > Math.abs(A[p * k + col]!)) p = r;
      const pivot = A[p * k + col]!;
      if (!(Math.abs(pivot) > PIVOT_TOLERANCE)) return false;
      if (p !== col) {
        for (let c = 0; c < k; c++) {
          const t = A[p * k + c]!;
          A[p * k + c] = A[col * k + c]!;
          A[col * k + c] = t;
        }
        const t = b[p]!;
        b[p] = b[col]!;
        b[col] = t;
      }
      for (let r = col + 1; r < k; r++) {
        const factor = A[r * k + col]! / pivot;
        if (factor === 0) continue;
        for (let c = col; c < k; c++) A[r * k + c] = A[r * k + c]! - factor * A[col * k + c]!;
        b[r] = b[r]! - factor * b[col]!;
      }
    }
    for (let r = k - 1; r >= 0; r--) {
      let s = b[r]!;
      for (let c = r + 1; c < k; c++) s -= A[r * k + c]! * b[c]!;
      b[r] = s / A[r * k + r]!;
    }
    for (let a = 0; a < m; a++) alpha[a] = b[a]!;
    return true;
  }

  #normalize(): void {
    const n = this.n, w = this.w;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += w[i]!;
    for (let i = 0; i < n; i++) w[i] = w[i]! / sum;
  }
}

/**
 * MGDA's two-task closed form: the weight α on g_i of the min-norm point
 * α·g_i + (1 − α)·g_j, α = clamp(((g_j − g_i)·g_j) / ‖g_i − g_j‖², 0, 1);
 * ½ when g_i = g_j (every α gives the same point).
 */
export function pairWeight(gii: number, gij: number, gjj: number): number {
  const den = gii + gjj - 2 * gij;
  if (!(den > 0)) return 0.5;
  return Math.min(1, Math.max(0, (gjj - gij) / den));
}

/**
 * out[0..n) ← the Euclidean projection of v[0..n) onto { x ≥ 0, Σ x = mass }
 * (mass > 0): x = max(v − θ, 0) with θ from the sorted values (Held, Wolfe &
 * Crowder 1974; the sort-based form of MoDo's and SDMGrad's projection).
 * `sorted` is scratch of at least n entries. out may be v.
 *
 * Values so large that the mass is below their rounding (MoDo's λ − γ·(…) at γ
 * 1e30) lose it: x summed to 0 (every λ 0, for good) or to 1e28. Then θ is found
 * again for v − max(v), which has the same projection and keeps the mass (the
 * largest value is exactly 0 there); values whose x sum to the mass (to 1e-6) are
 * projected as they always were.
 */
export function projectOntoSimplex(v: Float64Array, n: number, mass: number, out: Float64Array, sorted: Float64Array): void {
  for (let i = 0; i < n; i++) {
    // Insertion sort, descending (n is a task count).
    const x = v[i]!;
    let j = i;
    for (; j > 0 && sorted[j - 1]! < x; j--) sorted[j] = sorted[j - 1]!;
    sorted[j] = x;
  }
  let shift = 0;
  let theta = simplexThreshold(sorted, n, mass, shift);
  let kept = 0;
  for (let i = 0; i < n; i++) kept += Math.max(v[i]! - theta, 0);
  if (!(Math.abs(kept - mass) <= 1e-6 * mass) && n > 0) {
    shift = sorted[0]!;
    theta = simplexThreshold(sorted, n, mass, shift);
  }
  for (let i = 0; i < n; i++) out[i] = Math.max(v[i]! - shift - theta, 0);
}

/** θ for the sorted values minus `shift` (0: the values themselves, bit for bit). */
function simplexThreshold(sorted: Float64Array, n: number, mass: number, shift: number): number {
  let cumulative = 0, theta = 0;
  for (let j = 0; j < n; j++) {
    const x = sorted[j]! - shift;
    cumulative += x;
    const t = (cumulative - mass) / (j + 1);
    if (x - t > 0) theta = t;
  }
  return theta;
}
