// Embedding tables: one row of `d` floats per identifier (src/graph/description.ts,
// the 'embedding' operation). The identifiers arrive as floats in a column of the
// encoded input (the row's index in the table, 0 the out-of-vocabulary row), so
// the kernels read them from a strided column and check them: a bad index is
// reported, never read past the table.
//
import { add } from "./vec";

// Contracts: pointers cover the rows they are told; strides (ldx, ldy) are in
// floats; the table and its gradient hold tableRows × d floats.

// y[r, 0..d) = table[idx(r), 0..d) for r < rows, idx(r) = x[r·ldx + col]. Returns
// −1, or the first row whose index is not an integer in [0, tableRows) (then rows
// from it on are not written).
export function embeddingGather(rows: i32, d: i32, x: usize, ldx: i32, col: i32, table: usize, tableRows: i32, y: usize, ldy: i32): i32 {
  for (let r = 0; r < rows; r++) {
    const v = load<f32>(x + (<usize>(r * ldx + col) << 2));
    // A NaN fails both comparisons; an integer-valued float in range converts exactly.
    if (!(v >= 0 && v < <f32>tableRows) || <f32>(<i32>v) != v) return r;
    // A row copy: bulk memory's memory.copy moves it as fast as a SIMD loop would, in less code.
    memory.copy(y + (<usize>(r * ldy) << 2), table + (<usize>(<i32>v * d) << 2), <usize>d << 2);
  }
  return -1;
}

// grad[idx(r), 0..d) += dy[r, 0..d) for r < rows, in row order (so a row used
// twice sums its contributions in a fixed order). Only the rows used are touched.
// The indices are the ones embeddingGather accepted.
export function embeddingScatterAdd(rows: i32, d: i32, x: usize, ldx: i32, col: i32, dy: usize, ldy: i32, grad: usize): void {
  for (let r = 0; r < rows; r++) {
    const i = <i32>load<f32>(x + (<usize>(r * ldx + col) << 2));
    const g = grad + (<usize>(i * d) << 2);
    add(d, g, dy + (<usize>(r * ldy) << 2), g); // f32x4 with a scalar remainder (assembly/vec.ts)
  }
}
