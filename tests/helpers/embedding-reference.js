// f64 references of the embedding kernels (assembly/embedding.ts): the index of row
// r is x[r·ldx + col]; the table holds `entries` rows of d floats.

/** y[r, j] = table[idx(r)·d + j], rows × d (a copy: the kernel must match exactly). */
export function embeddingGatherRef(rows, d, x, ldx, col, table) {
  const y = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    const i = x[r * ldx + col];
    for (let j = 0; j < d; j++) y[r * d + j] = table[i * d + j];
  }
  return y;
}

/** grad + Σ_r e_{idx(r)} ⊗ dy[r], in f64. */
export function embeddingScatterAddRef(rows, d, x, ldx, col, dy, grad) {
  const g = Float64Array.from(grad);
  for (let r = 0; r < rows; r++) {
    const i = x[r * ldx + col];
    for (let j = 0; j < d; j++) g[i * d + j] += dy[r * d + j];
  }
  return g;
}
