// How an ensemble's members' predictions become one: per task, a weighted mean of
// the members' probabilities (or values), each task with its own weights
// (non-negative, summing to one; 'mean' is equal weights), or a majority vote of
// the predicted classes. Shared by Ensemble (src/model/ensemble.ts) and
// manytask/infer's InferenceEnsemble, so that both give the same answer for the
// same file: plain functions over TaskPrediction, nothing else.

import { setOwn } from '../runtime/records.js';
import { listNames } from '../data/values.js';
import type { TaskKind, TaskPrediction } from './kinds.js';

/** A task as the combination needs it: its name, kind and class (or label) names in output order. */
export interface CombinedTask {
  readonly name: string;
  readonly kind: TaskKind;
  readonly classes: readonly string[] | null;
}

/**
 * Why members with these tasks cannot be combined (a sentence), or null when
 * they can: the same task names in the same order, each of the same kind with
 * the same classes in the same order (probabilities are averaged output by
 * output), and no clustering task (each model numbers its clusters its own way).
 */
export function membersDisagree(members: readonly (readonly CombinedTask[])[]): string | null {
  const first = members[0]!;
  const names = (m: readonly CombinedTask[]) => m.map((t) => t.name).join(', ');
  for (let i = 1; i < members.length; i++) {
    if (names(members[i]!) !== names(first)) return `member ${i} has tasks [${names(members[i]!)}], member 0 has [${names(first)}]`;
  }
  for (const [j, t] of first.entries()) {
    if (t.kind === 'clustering') return `task "${t.name}" is a clustering task; each model numbers its clusters differently, so they cannot be combined`;
    for (let i = 1; i < members.length; i++) {
      const o = members[i]![j]!;
      if (o.kind !== t.kind) return `task "${t.name}" is ${o.kind} in member ${i} but ${t.kind} in member 0`;
      if (JSON.stringify(o.classes) !== JSON.stringify(t.classes)) {
        return `task "${t.name}" has the classes ${showClasses(o.classes)} in member ${i} but ${showClasses(t.classes)} in member 0; members must have the same classes in the same order`;
      }
    }
  }
  return null;
}

function showClasses(classes: readonly string[] | null): string {
  return classes === null ? 'unnamed' : `[${listNames(classes, 10)}]`;
}

/**
 * The members' predictions combined per task: `weights(task)` gives one weight
 * per member (non-negative, summing to one). With `vote`, binary and multiclass
 * classes are the majority of the members' predicted classes (ties go to the
 * class that reached the count first, i.e. to the earlier member), and the
 * probabilities stay the weighted mean.
 */
export function combinePredictions(
  tasks: readonly CombinedTask[], members: readonly Record<string, TaskPrediction>[],
  weights: (task: string) => ArrayLike<number>, vote: boolean,
): Record<string, TaskPrediction> {
  const out: Record<string, TaskPrediction> = {};
  for (const t of tasks) {
    const w = weights(t.name);
    const preds = members.map((m) => m[t.name]!);
    const label = (c: number): string | number => (t.classes ? t.classes[c]! : c);
    const votes = (i: number) => majority(preds.map((p) => (p as { classes: (string | number)[] }).classes[i]!));
    let p: TaskPrediction;
    switch (t.kind) {
      case 'regression':
        p = { kind: t.kind, values: mixFlat(preds.map((q) => (q as { values: Float32Array }).values), w) };
        break;
      case 'binary': {
        const probabilities = mixFlat(preds.map((q) => (q as { probabilities: Float32Array }).probabilities), w);
        p = { kind: t.kind, probabilities, classes: Array.from(probabilities, (v, i) => (vote ? votes(i) : label(v > 0.5 ? 1 : 0))) };
        break;
      }
      case 'multiclass': {
        const probabilities = mixRows(preds.map((q) => (q as { probabilities: number[][] }).probabilities), w);
        p = { kind: t.kind, probabilities, classes: probabilities.map((row, i) => (vote ? votes(i) : label(argmax(row)))) };
        break;
      }
      case 'multilabel': {
        const probabilities = mixRows(preds.map((q) => (q as { probabilities: number[][] }).probabilities), w);
        p = { kind: t.kind, probabilities, labels: probabilities.map((row) => row.flatMap((v, c) => (v > 0.5 ? [label(c)] : []))) };
        break;
      }
      case 'reconstruction': {
        const r = preds as Extract<TaskPrediction, { kind: 'reconstruction' }>[];
        p = { kind: t.kind, values: mixRows(r.map((q) => q.values), w), errors: mixFlat(r.map((q) => q.errors), w) };
        break;
      }
      case 'clustering':
        continue; // refused by membersDisagree
    }
    setOwn(out, t.name, p);
  }
  return out;
}

/** Σ_m w_m · v_m, element by element (accumulated in f64). */
export function mixFlat(values: readonly Float32Array[], w: ArrayLike<number>): Float32Array {
  const out = new Float32Array(values[0]!.length);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let m = 0; m < values.length; m++) s += w[m]! * values[m]![i]!;
    out[i] = s;
  }
  return out;
}

function mixRows(rows: readonly number[][][], w: ArrayLike<number>): number[][] {
  return rows[0]!.map((row, i) => row.map((_, c) => {
    let s = 0;
    for (let m = 0; m < rows.length; m++) s += w[m]! * rows[m]![i]![c]!;
    return s;
  }));
}

function argmax(row: readonly number[]): number {
  let best = 0;
  for (let c = 1; c < row.length; c++) if (row[c]! > row[best]!) best = c;
  return best;
}

/** The most frequent vote; ties go to the one that reached the count first. */
function majority<T>(votes: readonly T[]): T {
  const counts = new Map<T, number>();
  let best = votes[0] as T, bestCount = 0;
  for (const v of votes) {
    const c = (counts.get(v) ?? 0) + 1;
    counts.set(v, c);
    if (c > bestCount) { best = v; bestCount = c; }
  }
  return best;
}
