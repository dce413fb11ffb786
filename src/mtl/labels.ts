// Labels of one task for a whole dataset, as the model holds them in WASM memory.

import { heapF32, runtime } from '../runtime/module.js';
import { ArgumentError, ShapeError } from '../runtime/errors.js';
import type { TaskKind } from './tasks.js';

/** Labels per task name: one value per row (NaN/null/undefined = no label), or rows × labels for multilabel. */
export type LabelColumns = Record<string, ArrayLike<number | null | undefined>>;

/** One task's labels as the user or a Dataset gives them: rows × width, NaN = no label. */
export interface TaskLabels {
  readonly values: ArrayLike<number>;
  readonly width: number;
}

/**
 * Converts `values` (rows × width, NaN/null/undefined = missing) to the kernels'
 * layout: f32 targets (or i32 class indices for multiclass) and one mask byte per row.
 * Validates class ranges and values, naming the task and row.
 */
export function encodeLabels(task: string, kind: TaskKind, classes: number, rows: number, raw: ArrayLike<unknown>): {
  targets: number; mask: number; labeled: number; counts: Float64Array;
} {
  const width = kind === 'multilabel' || kind === 'reconstruction' ? classes : 1;
  if (raw.length !== rows * width) {
    throw new ShapeError(`task "${task}": expected ${rows * width} label values (${rows} rows${width > 1 ? ` × ${width} labels` : ''}), got ${raw.length}`);
  }
  const { allocator } = runtime('labels');
  const targets = allocator.alloc(Math.max(rows * width, 1) * 4);
  const mask = allocator.alloc(Math.max(rows, 1));
  const heap = heapF32();
  const bytes = new Uint8Array(heap.buffer, mask, rows);
  const ints = new Int32Array(heap.buffer, targets, rows * width);
  const floats = new Float32Array(heap.buffer, targets, rows * width);
  const counts = new Float64Array(kind === 'binary' ? 2 : kind === 'multiclass' || kind === 'multilabel' || kind === 'clustering' ? classes : 1);
  let labeled = 0;
  try {
    for (let r = 0; r < rows; r++) {
      let present = 0, missing = 0;
      for (let j = 0; j < width; j++) {
        const v = raw[r * width + j];
        if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) { missing++; continue; }
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          throw new ArgumentError(`task "${task}", row ${r}: label ${String(v)} is not a finite number (use NaN, null or undefined for "no label")`);
        }
        present++;
      }
      if (present === 0) { bytes[r] = 0; for (let j = 0; j < width; j++) floats[r * width + j] = 0; continue; }
      if (missing > 0) throw new ArgumentError(`task "${task}", row ${r}: some of its ${width} labels are missing; a multilabel row is labeled whole or not at all`);
      bytes[r] = 1;
      labeled++;
      for (let j = 0; j < width; j++) {
        const v = raw[r * width + j] as number;
        switch (kind) {
          case 'multiclass':
          case 'clustering':
            if (!Number.isInteger(v) || v < 0 || v >= classes) {
              throw new ArgumentError(`task "${task}", row ${r}: class ${v} is out of range; expected an integer from 0 to ${classes - 1}`);
            }
            ints[r] = v;
            counts[v]!++;
            break;
          case 'binary':
          case 'multilabel':
            if (v !== 0 && v !== 1) throw new ArgumentError(`task "${task}", row ${r}: label ${v} must be 0 or 1`);
            floats[r * width + j] = v;
            if (kind === 'binary') counts[v]!++; else if (v === 1) counts[j]!++;
            break;
          case 'poisson':
            // Counts above 2²⁴ would round in float32, the loss's precision.
            if (!Number.isInteger(v) || v < 0 || v > 16777216) {
              throw new ArgumentError(`task "${task}", row ${r}: label ${v} is not a count; a poisson task needs whole numbers from 0 to 16777216`);
            }
            floats[r] = v;
            counts[0]!++;
            break;
          case 'regression':
          case 'gaussian':
          case 'quantile':
            floats[r] = v;
            counts[0]!++;
            break;
          case 'reconstruction':
            floats[r * width + j] = v;
        }
      }
    }
  } catch (err) {
    allocator.free(targets);
    allocator.free(mask);
    throw err;
  }
  return { targets, mask, labeled, counts };
}
