// An ensemble of multi-task models with the same tasks: classification by the
// mean of the members' probabilities (default) or a majority vote of their
// predicted classes, regression by the mean of their values.

import { ArgumentError } from '../runtime/errors.js';
import { checkKeys, checkOptionsObject, show } from '../runtime/validate.js';
import { getOwn, setOwn } from '../runtime/records.js';
import type { MultiTaskModel, TaskPrediction } from './multitask-model.js';
import type { TaskSpec } from '../mtl/tasks.js';
import { listNames } from '../data/values.js';

export interface EnsembleOptions {
  /** 'mean' (average probabilities, default) or 'vote' (majority of predicted classes; ties go to the class first seen). */
  combine?: 'mean' | 'vote';
}

export class Ensemble {
  readonly models: readonly MultiTaskModel[];
  readonly combine: 'mean' | 'vote';

  constructor(models: readonly MultiTaskModel[], options?: EnsembleOptions) {
    const opts = checkOptionsObject('Ensemble', options);
    checkKeys('Ensemble', opts, ['combine']);
    if (!Array.isArray(models) || models.length === 0) throw new ArgumentError(`Ensemble: expected a non-empty array of models, got ${show(models)}`);
    models.forEach((m: unknown, i) => {
      const member = m as Partial<MultiTaskModel> | null | undefined;
      if (typeof member?.predict !== 'function' || !Array.isArray(member.taskNames) || !Array.isArray(member.tasks)) {
        throw new ArgumentError(`Ensemble: member ${i} is ${show(m)}, not a MultiTaskModel`);
      }
    });
    const names = models[0]!.taskNames.join('\u0000');
    models.forEach((m, i) => {
      if (m.taskNames.join('\u0000') !== names) {
        throw new ArgumentError(`Ensemble: member ${i} has tasks [${m.taskNames.join(', ')}], member 0 has [${models[0]!.taskNames.join(', ')}]`);
      }
    });
    for (const t of models[0]!.tasks) {
      // Cluster numbers are arbitrary per model, so they cannot be averaged or voted on.
      if (t.kind === 'clustering') throw new ArgumentError(`Ensemble: task "${t.name}" is a clustering task; each model numbers its clusters differently, so they cannot be combined`);
      // The members' distributions make a mixture, whose intervals are not the mean of theirs.
      if (t.kind === 'gaussian' || t.kind === 'poisson' || t.kind === 'quantile') throw new ArgumentError(`Ensemble: task "${t.name}" is a ${t.kind} task; combining predicted distributions is not supported`);
      // Probabilities are averaged output by output: the members must mean the same class by each.
      const classes = models[0]!.classNames(t.name);
      models.forEach((m, i) => {
        const kind = m.tasks.find((s: TaskSpec) => s.name === t.name)!.kind, own = m.classNames(t.name);
        if (kind !== t.kind) throw new ArgumentError(`Ensemble: task "${t.name}" is ${kind} in member ${i} but ${t.kind} in member 0`);
        if (JSON.stringify(own) !== JSON.stringify(classes)) {
          throw new ArgumentError(`Ensemble: task "${t.name}" has the classes ${showClasses(own)} in member ${i} but ${showClasses(classes)} in member 0; members must have the same classes in the same order`);
        }
      });
    }
    if (opts.combine !== undefined && opts.combine !== 'mean' && opts.combine !== 'vote') {
      throw new ArgumentError(`Ensemble: combine must be 'mean' or 'vote', got ${show(opts.combine)}`);
    }
    this.models = [...models];
    this.combine = (opts.combine as 'mean' | 'vote' | undefined) ?? 'mean';
  }

  predict(input: Parameters<MultiTaskModel['predict']>[0]): Record<string, TaskPrediction> {
    const all = this.models.map((m) => m.predict(input));
    const k = all.length;
    const mean = (rows: number[][][]) => rows[0]!.map((row, i) => row.map((_, c) => rows.reduce((s, m) => s + m[i]![c]!, 0) / k));
    const out: Record<string, TaskPrediction> = {};
    for (const name of this.models[0]!.taskNames) {
      const names = this.models[0]!.classNames(name);
      const label = (c: number): string | number => (names ? names[c]! : c);
      const preds = all.map((a) => getOwn(a, name)!);
      const p0 = preds[0]!;
      const vote = (i: number) => majority(preds.map((p) => (p as { classes: (string | number)[] }).classes[i]!));
      switch (p0.kind) {
        case 'regression': {
          const values = new Float32Array(p0.values.length);
          for (const p of preds) (p as typeof p0).values.forEach((v, i) => { values[i]! += v / k; });
          setOwn(out, name, { kind: 'regression', values });
          break;
        }
        case 'binary': {
          const probabilities = new Float32Array(p0.probabilities.length);
          for (const p of preds) (p as typeof p0).probabilities.forEach((v, i) => { probabilities[i]! += v / k; });
          const classes = Array.from(probabilities, (v, i) => (this.combine === 'vote' ? vote(i) : label(v > 0.5 ? 1 : 0)));
          setOwn(out, name, { kind: 'binary', probabilities, classes });
          break;
        }
        case 'multiclass': {
          const probabilities = mean(preds.map((p) => (p as typeof p0).probabilities));
          const classes = probabilities.map((row, i) => (this.combine === 'vote' ? vote(i) : label(argmax(row))));
          setOwn(out, name, { kind: 'multiclass', probabilities, classes });
          break;
        }
        case 'multilabel': {
          const probabilities = mean(preds.map((p) => (p as typeof p0).probabilities));
          setOwn(out, name, { kind: 'multilabel', probabilities, labels: probabilities.map((row) => row.flatMap((p, c) => (p > 0.5 ? [label(c)] : []))) });
          break;
        }
        case 'reconstruction': {
          const values = mean(preds.map((p) => (p as typeof p0).values));
          const errors = new Float32Array(p0.errors.length);
          for (const p of preds) (p as typeof p0).errors.forEach((v, i) => { errors[i]! += v / k; });
          setOwn(out, name, { kind: 'reconstruction', values, errors });
          break;
        }
        case 'clustering':
          break;
      }
    }
    return out;
  }
}

function argmax(row: readonly number[]): number {
  let best = 0;
  for (let c = 1; c < row.length; c++) if (row[c]! > row[best]!) best = c;
  return best;
}

/** The most frequent vote; ties go to the one that reached the count first. */
function majority<T>(votes: T[]): T {
  const counts = new Map<T, number>();
  let best = votes[0] as T, bestCount = 0;
  for (const v of votes) {
    const c = (counts.get(v) ?? 0) + 1;
    counts.set(v, c);
    if (c > bestCount) { best = v; bestCount = c; }
  }
  return best;
}

function showClasses(classes: readonly string[] | null): string {
  return classes === null ? 'unnamed' : `[${listNames(classes, 10)}]`;
}
