// Labels of one task for a whole dataset, as the model holds them in WASM memory.

import { heapF32, runtime } from '../runtime/module.js';
import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { show } from '../runtime/validate.js';
import type { TaskKind } from './tasks.js';

/** The largest count a poisson label may be: above 2²⁴, counts round in float32, the loss's precision. */
export const MAX_COUNT = 16777216;

/** A poisson task's label: a whole number from 0 to MAX_COUNT. */
export function isCount(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= MAX_COUNT;
}

/**
 * A label for a message, as it was likely written: a float32 (a Dataset's targets are) in the
 * fewest digits that read back as it (13.9, not 13.899999618530273), another number as JavaScript writes it.
 */
function labelText(v: number): string {
  if (Math.fround(v) === v) {
    for (let digits = 1; digits <= 9; digits++) {
      const text = v.toPrecision(digits);
      if (Math.fround(Number(text)) === v) return String(Number(text));
    }
  }
  return String(v);
}

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
 *
 * `soft` (a task with a softCrossEntropy loss): binary and multilabel labels may be
 * any probability in [0, 1]; a multiclass task's labels are f32 probabilities,
 * rows × classes, each row summing to 1 (within 1e-3) — given so, or as one class
 * index per row (stored one-hot).
 */
export function encodeLabels(task: string, kind: TaskKind, classes: number, rows: number, raw: ArrayLike<unknown>, soft = false): {
  targets: number; mask: number; labeled: number; counts: Float64Array; soft: boolean;
} {
  if (soft && kind === 'multiclass') return encodeSoftClasses(task, classes, rows, raw);
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
          throw new ArgumentError(`task "${task}", row ${r}: label ${show(v)} is not a ${typeof v === 'number' ? 'finite ' : ''}number (use NaN, null or undefined for "no label")`);
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
            if (soft ? !(v >= 0 && v <= 1) : v !== 0 && v !== 1) throw new ArgumentError(`task "${task}", row ${r}: label ${v} must be ${soft ? 'a probability from 0 to 1' : '0 or 1'}`);
            floats[r * width + j] = v;
            if (kind === 'binary') { counts[1]! += v; counts[0]! += 1 - v; } else counts[j]! += v;
            break;
          case 'poisson':
            if (!isCount(v)) {
              throw new ArgumentError(`task "${task}", row ${r}: label ${labelText(v)} is not a count; a poisson task needs whole numbers from 0 to ${MAX_COUNT}`);
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
  return { targets, mask, labeled, counts, soft };
}

/** A multiclass task's soft labels: rows × classes probabilities (or class indices, one-hot), f32. */
function encodeSoftClasses(task: string, classes: number, rows: number, raw: ArrayLike<unknown>) {
  const indices = raw.length === rows && classes > 1;
  if (!indices && raw.length !== rows * classes) {
    throw new ShapeError(`task "${task}": expected ${rows} class indices or ${rows} × ${classes} class probabilities, got ${raw.length} values`);
  }
  const { allocator } = runtime('labels');
  const targets = allocator.alloc(Math.max(rows * classes, 1) * 4);
  const mask = allocator.alloc(Math.max(rows, 1));
  const floats = new Float32Array(heapF32().buffer, targets, rows * classes).fill(0);
  const bytes = new Uint8Array(heapF32().buffer, mask, rows);
  const counts = new Float64Array(classes);
  let labeled = 0;
  const missing = (v: unknown) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
  try {
    for (let r = 0; r < rows; r++) {
      bytes[r] = 0;
      if (indices) {
        const v = raw[r];
        if (missing(v)) continue;
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= classes) {
          throw new ArgumentError(`task "${task}", row ${r}: class ${String(v)} is out of range; expected an integer from 0 to ${classes - 1}`);
        }
        floats[r * classes + v] = 1;
        counts[v]!++;
      } else {
        const row = Array.from({ length: classes }, (_, c) => raw[r * classes + c]);
        if (row.every(missing)) continue;
        let sum = 0;
        row.forEach((v, c) => {
          if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new ArgumentError(`task "${task}", row ${r}: probability ${String(v)} of class ${c} is not a number from 0 to 1`);
          sum += v;
        });
        if (Math.abs(sum - 1) > 1e-3) throw new ArgumentError(`task "${task}", row ${r}: its class probabilities sum to ${sum}, not 1`);
        row.forEach((v, c) => { floats[r * classes + c] = v as number; counts[c]! += v as number; });
      }
      bytes[r] = 1;
      labeled++;
    }
  } catch (err) {
    allocator.free(targets);
    allocator.free(mask);
    throw err;
  }
  return { targets, mask, labeled, counts, soft: true };
}
