// What gives a model's weights their meaning besides their layout (layout.ts):
// the encoding of its input — the encoded features' names and, for a model built
// from a Dataset, its preprocessing (each numeric column's mean, std, fill value
// and missing indicator; each categorical column's categories in feature order or
// its embedding vocabulary; the texts read as missing) — and per task its kind,
// class names and target standardization. Two models of one layout but another
// preprocessing compute different things from the same weights: a client that
// built its model from its own rows (its own means, its own order of classes)
// trains in its own units, and the coordinator cannot tell: it would average the
// update with everyone else's. The federation's model file carries all of it, so
// a client joining with a model of its own must hold exactly the same: floats
// compared as the same double, never within a tolerance (every client of a
// federation holds the file's values; statistics fitted on other rows are other
// units, however close).
//
// Both sides are compared as a model file holds them: the federation's from the
// downloaded file's header, the local model's as save() would write it (its
// inputAndTargets() through JSON, as the file's header goes).

import type { MultiTaskModel } from '../model/multitask-model.js';
import { isRecord } from '../runtime/validate.js';

type Plain = Record<string, unknown>;

/** The local model's parts of a model file's header that give its weights their meaning. */
function headerOf(model: MultiTaskModel): Plain {
  return JSON.parse(JSON.stringify({ ...model.inputAndTargets(), tasks: model.tasks })) as Plain;
}

/**
 * The first difference between what the federation's model file (`federation`,
 * its header) and the local model say about their input encoding and their
 * tasks' outputs, as a phrase naming the column or task and what differs; null
 * when they agree. The layouts are the same already (join checks them first).
 */
export function meaningDifference(federation: Plain, model: MultiTaskModel): string | null {
  const local = headerOf(model);
  const fp = isRecord(federation.preprocessor) ? federation.preprocessor : null;
  const lp = isRecord(local.preprocessor) ? local.preprocessor : null;
  if (fp === null && lp !== null) return 'the federation\'s model reads feature arrays (it was built from arrays); the local model encodes raw columns with a preprocessing fitted on a Dataset';
  if (fp !== null && lp === null) return 'the federation\'s model encodes raw columns with a preprocessing fitted on a Dataset; the local model reads feature arrays (it was built from arrays)';
  if (fp !== null && lp !== null) {
    const d = preprocessingDifference(fp, lp);
    if (d !== null) return d;
  }
  const fs = isRecord(federation.schema) ? federation.schema : {}, ls = isRecord(local.schema) ? local.schema : {};
  const names = listDifference(fs.featureNames, ls.featureNames);
  if (names !== null) return `the encoded features differ: ${names('feature')}`;
  const ftasks = Array.isArray(federation.tasks) ? federation.tasks : [];
  const ltasks = local.tasks as Plain[];
  for (const [i, lt] of ltasks.entries()) {
    const name = lt.name as string, ft = isRecord(ftasks[i]) ? ftasks[i] : {};
    const at = `task ${JSON.stringify(name)}`;
    if (ft.kind !== lt.kind) return `${at} is a ${String(lt.kind)} task in the local model, a ${String(ft.kind)} task in the federation's`;
    if (lt.kind === 'quantile' && JSON.stringify(ft.quantiles) !== JSON.stringify(lt.quantiles)) {
      return `${at} predicts the quantiles ${JSON.stringify(lt.quantiles)} in the local model, ${JSON.stringify(ft.quantiles)} in the federation's`;
    }
    const classes = classesDifference(at, entry(fs.tasks, name)?.classes, entry(ls.tasks, name)?.classes);
    if (classes !== null) return classes;
    const stats = statsDifference(at, entry(federation.targetStats, name), entry(local.targetStats, name));
    if (stats !== null) return stats;
  }
  return null;
}

function entry(record: unknown, key: string): Plain | undefined {
  if (!isRecord(record) || !Object.hasOwn(record, key)) return undefined;
  const v = record[key];
  return isRecord(v) ? v : undefined;
}

function preprocessingDifference(f: Plain, l: Plain): string | null {
  const na = (v: unknown) => (Array.isArray(v) ? [...(v as string[])].sort() : []);
  if (JSON.stringify(na(f.naValues)) !== JSON.stringify(na(l.naValues))) {
    return `the texts read as missing (besides '') are ${texts(na(l.naValues))} in the local model, ${texts(na(f.naValues))} in the federation's`;
  }
  const fc = Array.isArray(f.columns) ? f.columns : [], lc = Array.isArray(l.columns) ? l.columns : [];
  for (let i = 0; i < Math.max(fc.length, lc.length); i++) {
    const a = fc[i] as Plain | undefined, b = lc[i] as Plain | undefined;
    if (a === undefined || b === undefined || a.name !== b.name) {
      return `input column ${i + 1} is ${b === undefined ? 'absent' : JSON.stringify(b.name)} in the local model, ${a === undefined ? 'absent' : JSON.stringify(a.name)} in the federation's`;
    }
    const d = columnDifference(a, b);
    if (d !== null) return d;
  }
  // What the checks above do not name (a format of the preprocessing this client does not know).
  if (JSON.stringify(f) !== JSON.stringify(l)) return 'the preprocessing of the input differs';
  return null;
}

function columnDifference(f: Plain, l: Plain): string | null {
  const at = `${isRecord(l.embed) ? 'embedded' : String(l.type)} column ${JSON.stringify(l.name)}`;
  if (f.type !== l.type) return `column ${JSON.stringify(l.name)} is ${String(l.type)} in the local model, ${String(f.type)} in the federation's`;
  if (l.type === 'numeric') {
    if (f.mean !== l.mean || f.std !== l.std) return `${at} is standardized with mean ${String(l.mean)} and std ${String(l.std)} in the local model, mean ${String(f.mean)} and std ${String(f.std)} in the federation's`;
    if (f.missing !== l.missing) return `${at} fills a missing value with the ${String(l.missing)} in the local model, the ${String(f.missing)} in the federation's`;
    if (f.fill !== l.fill) return `${at} fills a missing value with ${String(l.fill)} in the local model, ${String(f.fill)} in the federation's`;
  } else {
    const what = isRecord(l.embed) ? 'identifier' : 'category';
    if (JSON.stringify(f.embed) !== JSON.stringify(l.embed)) {
      return `column ${JSON.stringify(l.name)} is ${embedding(l.embed)} in the local model, ${embedding(f.embed)} in the federation's`;
    }
    const categories = listDifference(f.categories, l.categories);
    if (categories !== null) return `${at}: ${categories(what)}${isRecord(l.embed) ? ' (its embedding vocabulary, in table order)' : ' (its one-hot features, in order)'}`;
    if (f.unknown !== l.unknown) return `${at} takes an unseen category as ${l.unknown === 'other' ? 'its _other feature' : 'an error'} in the local model, as ${f.unknown === 'other' ? 'its _other feature' : 'an error'} in the federation's`;
  }
  if (f.indicator !== l.indicator) return `${at} has ${l.indicator === true ? 'a' : 'no'} missing-value indicator in the local model, ${f.indicator === true ? 'one' : 'none'} in the federation's`;
  if (JSON.stringify(f) !== JSON.stringify(l)) return `${at} is encoded otherwise (${JSON.stringify(l)} in the local model, ${JSON.stringify(f)} in the federation's)`;
  return null;
}

function embedding(e: unknown): string {
  if (!isRecord(e)) return 'one-hot encoded';
  return `embedded (table ${JSON.stringify(e.table)}, ${String(e.dim)} floats a row${e.buckets !== undefined ? `, ${String(e.buckets)} hashing buckets` : ''})`;
}

function classesDifference(at: string, f: unknown, l: unknown): string | null {
  if (f === undefined && l === undefined) return null;
  if (f === undefined) return `${at} names its classes ${texts(l as string[])} in the local model; the federation's has only their count`;
  if (l === undefined) return `${at} has only a count of classes in the local model; the federation's names them ${texts(f as string[])}`;
  const d = listDifference(f, l);
  if (d === null) return null;
  const sameSet = Array.isArray(f) && Array.isArray(l) && f.length === l.length && [...f].sort().join('\n') === [...l].sort().join('\n');
  return sameSet
    ? `${at} orders its classes ${texts(l as string[])} in the local model, ${texts(f as string[])} in the federation's (an output stands for another class)`
    : `${at}: ${d('class')}`;
}

function statsDifference(at: string, f: Plain | undefined, l: Plain | undefined): string | null {
  const show = (s: Plain) => `mean ${String(s.mean)} and std ${String(s.std)}`;
  if (f === undefined && l === undefined) return null;
  if (f === undefined) return `${at} standardizes its targets with ${show(l!)} in the local model; the federation's model has none (a model built from arrays fits it at its first fit or evaluate)`;
  if (l === undefined) return `${at} has no target standardization in the local model; the federation's standardizes its targets with ${show(f)}`;
  if (f.mean !== l.mean || f.std !== l.std) return `${at} standardizes its targets with ${show(l)} in the local model, ${show(f)} in the federation's`;
  return null;
}

const PLURAL: Record<string, string> = { class: 'classes', category: 'categories' };

/** The first difference of two lists of names, as a phrase of `what` it lists ('feature', 'class'…); null when equal. */
function listDifference(f: unknown, l: unknown): ((what: string) => string) | null {
  const a = Array.isArray(f) ? (f as unknown[]) : [], b = Array.isArray(l) ? (l as unknown[]) : [];
  const i = b.findIndex((v, k) => v !== a[k]);
  if (i < 0 && a.length === b.length) return null;
  if (i < 0 || i >= a.length) {
    return (what) => `${b.length} ${PLURAL[what] ?? `${what}s`} in the local model, ${a.length} in the federation's (${i < 0 ? `its ${what} ${b.length + 1} is ${JSON.stringify(a[b.length])}` : `the local ${what} ${i + 1} is ${JSON.stringify(b[i])}`})`;
  }
  return (what) => `${what} ${i + 1} is ${JSON.stringify(b[i])} in the local model, ${JSON.stringify(a[i])} in the federation's`;
}

/** Names as a short list: the first ten, and how many more. */
function texts(names: readonly string[]): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, 10).map((n) => JSON.stringify(n)).join(', ');
  return names.length > 10 ? `${shown} and ${names.length - 10} more` : shown;
}
