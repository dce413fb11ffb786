// Which columns of the shared representation Z a task's gradient can reach, read
// off the model's description: what the gradient strategies and the affinity
// meter compare when they work on dL_t/dZ. Task t's gradient with respect to Z is
// zero outside the columns its task part and head read (a `slice` of Z reads its
// columns, a `mix` of Z its blocks, any other use of Z all of it), plus those of
// the tasks whose predictions it reads and backpropagates into.
//
// On a cross-stitch network task t reads block t of Z alone: two tasks' gradients
// there never overlap, so a Gram matrix of them is diagonal (MGDA, IMTL, … see
// orthogonal tasks), GradDrop has no sign conflict to drop and the affinity is the
// identity, whatever the data. The other architectures give every task a column in
// common with every other (the trunk's output, the shared experts, LTB's and
// DSelect-k's mixes over every block), though a gate can still settle on weights
// that leave two tasks without one; the parameter gradients then have none either.

import { flatten, inputsOf } from '../graph/description.js';
import type { ModelDescription } from './describe.js';

/** Sorted, disjoint column ranges [from, to). */
type Ranges = [number, number][];

function merge(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last !== undefined && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

function meets(x: Ranges, y: Ranges): boolean {
  let i = 0, j = 0;
  while (i < x.length && j < y.length) {
    if (x[i]![1] <= y[j]![0]) i++;
    else if (y[j]![1] <= x[i]![0]) j++;
    else return true;
  }
  return false;
}

/**
 * Per task, the columns of Z its gradient can reach. `backprop[t]`: whether task
 * t's loss reaches the tasks it reads from (its spec's backpropToInputs).
 */
export function columnsOfZ(d: ModelDescription, backprop: readonly boolean[]): Ranges[] {
  const z = d.z, width = d.values[z]!;
  const direct = d.tasks.map((task): Ranges => {
    const read: Ranges = [];
    for (const op of flatten([...task.ops, ...task.head])) {
      if (!inputsOf(op).includes(z)) continue;
      if (op.kind === 'slice') read.push([op.from, op.from + d.values[op.y]!]);
      else if (op.kind === 'mix' && op.gate !== z) {
        const w = d.values[op.y]!;
        for (const b of op.blocks) read.push([b * w, (b + 1) * w]);
      } else read.push([0, width]);
    }
    return read;
  });
  const all: Ranges[] = new Array<Ranges>(d.tasks.length);
  // Sources come first in d.order: their columns are known when a reader needs them.
  for (const t of d.order) {
    all[t] = merge([...direct[t]!, ...(backprop[t] ? d.tasks[t]!.inputsFrom.flatMap((s) => all[s]!) : [])]);
  }
  return all;
}

/** The first pair of tasks whose gradients with respect to Z share no column, or null. */
export function disjointTasks(d: ModelDescription, backprop: readonly boolean[]): [number, number] | null {
  const cols = columnsOfZ(d, backprop), T = cols.length;
  for (let s = 0; s < T; s++) {
    for (let t = s + 1; t < T; t++) if (!meets(cols[s]!, cols[t]!)) return [s, t];
  }
  return null;
}
