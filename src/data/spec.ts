// Column specs: which columns are features and targets, and how to read them.
//
// A spec names each column once, as a feature or as a target, by a type name or
// an object with the type and options. A name may not be empty (a model names
// every column it reads; pandas' to_csv writes its index as an unnamed column):
//
//   features:
//     'numeric'      { type: 'numeric', missing?: 'mean' | 'median' | 'zero' }
//                    numbers within float32 (±3.4e38; beyond, one value would
//                    squeeze the column's others to one standardized number, and
//                    the Dataset refuses it, as it does a regression target's);
//                    a missing value is imputed by the Preprocessor with
//                    the mean (default) or median of the fit data's observed
//                    values, or the raw value 0.
//     'categorical'  { type: 'categorical', unknown?: 'error' | 'other' }
//                    strings, one-hot encoded by the Preprocessor over the
//                    categories of its fit data; a category it has not seen is an
//                    error (default) or, with 'other', goes to an extra feature
//                    `<column>_other`.
//                    { type: 'categorical', embed: d | { dim: d, table?: string, minCount?: n, buckets?: k } }
//                    identifiers (users, items, teams): one feature holding the
//                    identifier's row in a learned table of d floats per identifier
//                    instead of one feature per category (docs/embeddings.md).
//                    Row 0 of the table is the out-of-vocabulary row: identifiers
//                    unseen in the fit data (unknown defaults to 'other' here),
//                    missing values, and identifiers seen fewer than minCount
//                    (default 1) times, which is what trains it; with buckets k > 1,
//                    rows 0…k−1, an unseen or rare identifier in row FNV-1a(its
//                    UTF-8 bytes) mod k (a missing value: row 0). Columns naming
//                    the same `table` (default: the column's name) share one
//                    table, its identifiers the union of theirs (home and away
//                    team); they must agree on dim and minCount. A column that
//                    does not say embed is embedded when the data it is read from
//                    holds more than EMBED_LEVELS (50) distinct values, with
//                    defaultEmbedDim(levels) floats, a table of its own and unknown
//                    'other' unless given; `embed: false` keeps it one-hot
//                    (docs/embeddings.md). The resolved spec writes the choice out.
//   targets (a missing value — an empty cell, null… — means the row has no label):
//     'binary'       { type: 'binary', positive?: string, negative?: string }
//                    two classes, as 0/1. The positive class is `positive` if
//                    given; else, when the two values are true/false, yes/no, y/n,
//                    t/f (any case) or 1/0, the first of each pair; else the second
//                    of the two values in sorted order (numeric when both are
//                    numbers, else by code units): female/male → male.
//                    `negative` (or `positive`) lets a column hold only one value.
//                    With both, any other value is an error.
//     'multiclass'   { type: 'multiclass', classes?: string[] }
//                    one class index per row; classes sorted (see sortLabels)
//                    from the whole data at creation, or exactly `classes`, in
//                    that order (any other value is an error).
//     'multilabel'   { type: 'multilabel', separator?: string, labels?: string[], none?: string }
//                    one column holding a row's labels separated by `separator`
//                    (default '|'), e.g. "a|c"; 0/1 per label. Labels sorted from
//                    the whole data, or exactly `labels`. An empty cell is a
//                    missing row; the text `none` (e.g. 'none') is a labeled row
//                    with no label set; `none: ''` makes the empty cell one (a
//                    tags column: then only the naValues texts are missing). From
//                    JS, a row may also be an array of labels ([] = labeled, no
//                    label set).
//     'regression'   { type: 'regression' }  one number per row.
//
// Every resolved spec (Dataset.spec) is itself a valid spec, with every choice
// written out, so a second file read with it gets the same classes in the same
// order.

import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { checkKeys, show } from '../runtime/validate.js';

export type FeatureType = 'numeric' | 'categorical';
export type TargetType = 'binary' | 'multiclass' | 'multilabel' | 'regression';
export type NumericImputation = 'mean' | 'median' | 'zero';
export type UnknownCategory = 'error' | 'other';

export interface NumericFeatureSpec { type: 'numeric'; missing?: NumericImputation }
export interface CategoricalFeatureSpec { type: 'categorical'; unknown?: UnknownCategory; embed?: number | EmbedSpec | false }
/** An embedded categorical column's table: `dim` floats per identifier; `table` names a table columns may share. */
export interface EmbedSpec { dim: number; table?: string; minCount?: number; buckets?: number }
export interface ResolvedEmbedSpec { readonly dim: number; readonly table: string; readonly minCount: number; readonly buckets: number }
export type FeatureSpec = FeatureType | NumericFeatureSpec | CategoricalFeatureSpec;

export interface BinaryTargetSpec { type: 'binary'; positive?: string; negative?: string }
export interface MulticlassTargetSpec { type: 'multiclass'; classes?: readonly string[] }
export interface MultilabelTargetSpec {
  type: 'multilabel';
  separator?: string;
  labels?: readonly string[];
  /** The text of a labeled row with no label set ('none'); '' makes the empty cell such a row, and only naValues' texts missing. */
  none?: string;
}
export interface RegressionTargetSpec { type: 'regression' }
export type TargetSpec = TargetType | BinaryTargetSpec | MulticlassTargetSpec | MultilabelTargetSpec | RegressionTargetSpec;

/** What Dataset.fromRows and Dataset.fromColumns take. */
export interface DatasetSpec {
  /** At least one; their order is the order of Dataset.featureNames and of the encoded features. */
  features: Readonly<Record<string, FeatureSpec>>;
  /** Optional: a Dataset for prediction has none. */
  targets?: Readonly<Record<string, TargetSpec>>;
  /**
   * Texts that mean "missing" besides the empty cell, compared after trimming.
   * Default DEFAULT_NA_VALUES (NA, N/A, n/a, null, NULL, NaN, nan, ?); [] for
   * the empty cell only.
   */
  naValues?: readonly string[];
}

/** What Dataset.fromCSV takes: a DatasetSpec and the CSV options. */
export interface CsvDatasetSpec extends DatasetSpec {
  /** One character, not `"`, CR or LF. Default: detected (`,` tab `;` `|`; see src/data/csv.ts). */
  delimiter?: string;
}

export type ResolvedFeatureSpec =
  | { readonly type: 'numeric'; readonly missing: NumericImputation }
  | { readonly type: 'categorical'; readonly unknown: UnknownCategory; readonly embed: ResolvedEmbedSpec | false };

export type ResolvedTargetSpec =
  | { readonly type: 'binary'; readonly negative: string; readonly positive: string }
  | { readonly type: 'multiclass'; readonly classes: readonly string[] }
  | { readonly type: 'multilabel'; readonly separator: string; readonly labels: readonly string[]; readonly none?: string }
  | { readonly type: 'regression' };

/** Dataset.spec: every column with every choice made (classes included). */
export interface ResolvedDatasetSpec {
  readonly features: Readonly<Record<string, ResolvedFeatureSpec>>;
  readonly targets: Readonly<Record<string, ResolvedTargetSpec>>;
  readonly naValues: readonly string[];
}

export const FEATURE_TYPES: readonly FeatureType[] = ['numeric', 'categorical'];
export const TARGET_TYPES: readonly TargetType[] = ['binary', 'multiclass', 'multilabel', 'regression'];
const IMPUTATIONS: readonly NumericImputation[] = ['mean', 'median', 'zero'];
const UNKNOWN: readonly UnknownCategory[] = ['error', 'other'];

/** A target spec as given, checked, before the data fixes its classes. */
export type TargetRequest =
  | { type: 'binary'; positive?: string; negative?: string }
  | { type: 'multiclass'; classes?: readonly string[] }
  | { type: 'multilabel'; separator: string; labels?: readonly string[]; none?: string }
  | { type: 'regression' };

function columnSpecObject(where: string, role: string, name: string, raw: unknown, types: readonly string[]): Record<string, unknown> {
  if (typeof raw === 'string') {
    if (!types.includes(raw)) throw new ArgumentError(`${where}: ${role} "${name}": unknown type ${show(raw)} (known: ${types.join(', ')})`);
    return { type: raw };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ArgumentError(`${where}: ${role} "${name}" must be a type name (${types.join(', ')}) or an object { type, …options }, got ${show(raw)}`);
  }
  const o = raw as Record<string, unknown>;
  if (typeof o.type !== 'string' || !types.includes(o.type)) {
    throw new ArgumentError(`${where}: ${role} "${name}": unknown type ${show(o.type)} (known: ${types.join(', ')})`);
  }
  return o;
}

function checkOptions(where: string, role: string, name: string, o: Record<string, unknown>, known: readonly string[]): void {
  checkKeys(`${where}: ${role} "${name}" (${String(o.type)})`, o, ['type', ...known]);
}

function oneOf<T extends string>(where: string, what: string, value: unknown, known: readonly T[]): T {
  if (typeof value !== 'string' || !(known as readonly string[]).includes(value)) {
    throw new ArgumentError(`${where}: ${what} must be one of ${known.map((k) => JSON.stringify(k)).join(', ')}, got ${show(value)}`);
  }
  return value as T;
}

/** A label given in a spec: a non-empty string without surrounding whitespace (cells are trimmed before comparing). */
function label(where: string, what: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.trim() !== value) {
    throw new ArgumentError(`${where}: ${what} must be a non-empty string without leading or trailing whitespace (cells are trimmed), got ${show(value)}`);
  }
  return value;
}

function labelList(where: string, what: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) throw new ArgumentError(`${where}: ${what} must be a non-empty array of strings, got ${show(value)}`);
  const out = value.map((v, i) => label(where, `${what}[${i}]`, v));
  const seen = new Set<string>();
  for (const v of out) {
    if (seen.has(v)) throw new ArgumentError(`${where}: ${what} lists ${JSON.stringify(v)} twice`);
    seen.add(v);
  }
  return out;
}

export function resolveFeatureSpec(where: string, name: string, raw: unknown): ResolvedFeatureSpec {
  const o = columnSpecObject(where, 'feature', name, raw, FEATURE_TYPES);
  const at = `${where}: feature "${name}"`;
  if (o.type === 'numeric' && o.embed !== undefined) {
    throw new ArgumentError(`${at}: embed applies to categorical columns (identifiers); this one is numeric`);
  }
  if (o.type === 'numeric') {
    checkOptions(where, 'feature', name, o, ['missing']);
    return { type: 'numeric', missing: o.missing === undefined ? 'mean' : oneOf(at, 'missing', o.missing, IMPUTATIONS) };
  }
  checkOptions(where, 'feature', name, o, ['unknown', 'embed']);
  // Without embed, the data decides (levels given: see defaultEncoding); a one-hot column refuses what it has not seen.
  if (o.embed === undefined || o.embed === false) return { type: 'categorical', unknown: o.unknown === undefined ? 'error' : oneOf(at, 'unknown', o.unknown, UNKNOWN), embed: false };
  // An embedded column sends what it has not seen to the out-of-vocabulary row unless told to refuse it.
  return { type: 'categorical', unknown: o.unknown === undefined ? 'other' : oneOf(at, 'unknown', o.unknown, UNKNOWN), embed: resolveEmbed(at, name, o.embed) };
}

/** Above this many distinct values in the data a Dataset reads, a categorical column that does not say `embed` is embedded. */
export const EMBED_LEVELS = 50;

/**
 * The level counts from which a column embedded by default gets one more float per
 * identifier: dim = min(50, ⌈1.6·levels^0.56⌉), fastai's rule of thumb, 15 at 51
 * levels; 50 from 451 on. A table of integers (tests/unit/embedding-default.test.js
 * checks it against the formula), so no runtime's pow decides a width.
 */
const DIM_STEPS = [55, 62, 69, 76, 83, 91, 100, 108, 117, 126, 136, 146, 156, 166, 177, 188, 199, 211, 223, 235, 248, 260, 273, 287, 300, 314, 328, 343, 357, 372, 387, 403, 419, 435, 451];

/** The width of the table of a column embedded by default, for `levels` > EMBED_LEVELS distinct values. */
export function defaultEmbedDim(levels: number): number {
  let dim = 15;
  for (const from of DIM_STEPS) if (levels >= from) dim++;
  return dim;
}

/**
 * A categorical column's encoding once its data is read: as resolved, unless its
 * spec did not say `embed` and it holds more than EMBED_LEVELS distinct values —
 * then embedded with defaultEmbedDim(levels) floats in a table named after it, and
 * unknown 'other' unless the spec gave one (as an embedded column's default).
 */
export function defaultEncoding(name: string, raw: unknown, resolved: ResolvedFeatureSpec, levels: number): ResolvedFeatureSpec {
  if (resolved.type !== 'categorical' || levels <= EMBED_LEVELS) return resolved;
  const o = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  if (o.embed !== undefined) return resolved;
  return { type: 'categorical', unknown: o.unknown === undefined ? 'other' : resolved.unknown, embed: { dim: defaultEmbedDim(levels), table: name, minCount: 1, buckets: 1 } };
}

function resolveEmbed(at: string, column: string, raw: unknown): ResolvedEmbedSpec {
  const o = typeof raw === 'number' ? { dim: raw } : raw;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new ArgumentError(`${at}: embed must be a dimension (a positive integer) or { dim, table?, minCount?, buckets? }, got ${show(raw)}`);
  }
  const e = o as Record<string, unknown>;
  checkKeys(`${at}: embed`, e, ['dim', 'table', 'minCount', 'buckets']);
  const count = (what: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 4096) {
      throw new ShapeError(`${at}: embed ${what} must be an integer from 1 to 4096, got ${show(v)}`);
    }
    return v;
  };
  const table = e.table === undefined ? column : e.table;
  if (typeof table !== 'string' || table === '' || table.includes('.')) {
    throw new ArgumentError(`${at}: embed table must be a non-empty name without "." (it names a parameter), got ${show(table)}`);
  }
  return {
    dim: count('dim', e.dim), table, minCount: e.minCount === undefined ? 1 : count('minCount', e.minCount),
    buckets: e.buckets === undefined ? 1 : count('buckets', e.buckets),
  };
}

/** Columns sharing an embedding table must agree on its width and vocabulary rule. */
export function checkEmbedTables(where: string, features: readonly (readonly [string, ResolvedFeatureSpec])[]): void {
  const first = new Map<string, readonly [string, ResolvedEmbedSpec]>();
  for (const [name, f] of features) {
    if (f.type !== 'categorical' || !f.embed) continue;
    const seen = first.get(f.embed.table);
    if (!seen) { first.set(f.embed.table, [name, f.embed]); continue; }
    const [other, e] = seen;
    for (const key of ['dim', 'minCount', 'buckets'] as const) {
      if (e[key] !== f.embed[key]) {
        throw new ArgumentError(`${where}: features ${JSON.stringify(other)} and ${JSON.stringify(name)} share the embedding table ${JSON.stringify(e.table)} but ask for ${key} ${e[key]} and ${f.embed[key]}`);
      }
    }
  }
}

export function resolveTargetRequest(where: string, name: string, raw: unknown): TargetRequest {
  const o = columnSpecObject(where, 'target', name, raw, TARGET_TYPES);
  const at = `${where}: target "${name}"`;
  switch (o.type as TargetType) {
    case 'binary': {
      checkOptions(where, 'target', name, o, ['positive', 'negative']);
      const r: { type: 'binary'; positive?: string; negative?: string } = { type: 'binary' };
      if (o.positive !== undefined) r.positive = label(at, 'positive', o.positive);
      if (o.negative !== undefined) r.negative = label(at, 'negative', o.negative);
      if (r.positive !== undefined && r.positive === r.negative) {
        throw new ArgumentError(`${at}: positive and negative are both ${JSON.stringify(r.positive)}`);
      }
      return r;
    }
    case 'multiclass': {
      checkOptions(where, 'target', name, o, ['classes']);
      return o.classes === undefined ? { type: 'multiclass' } : { type: 'multiclass', classes: labelList(at, 'classes', o.classes) };
    }
    case 'multilabel': {
      checkOptions(where, 'target', name, o, ['separator', 'labels', 'none']);
      let separator = '|';
      if (o.separator !== undefined) {
        if (typeof o.separator !== 'string' || o.separator === '' || o.separator.trim() === '') {
          throw new ArgumentError(`${at}: separator must be a non-empty string that is not only whitespace, got ${show(o.separator)}`);
        }
        separator = o.separator;
      }
      const r: { type: 'multilabel'; separator: string; labels?: readonly string[]; none?: string } = { type: 'multilabel', separator };
      if (o.labels !== undefined) {
        r.labels = labelList(at, 'labels', o.labels);
        for (const l of r.labels) {
          if (l.includes(separator)) throw new ArgumentError(`${at}: label ${JSON.stringify(l)} contains the separator ${JSON.stringify(separator)}`);
        }
      }
      if (o.none !== undefined) {
        // '' names the empty cell: a row with no label set (then only naValues' texts are missing).
        r.none = o.none === '' ? '' : label(at, 'none', o.none);
        if (r.labels?.includes(r.none)) throw new ArgumentError(`${at}: none ${JSON.stringify(r.none)} is also one of the labels`);
      }
      return r;
    }
    case 'regression':
      checkOptions(where, 'target', name, o, []);
      return { type: 'regression' };
  }
}

/**
 * The texts read as missing when a spec names none, besides the empty cell:
 * what R, pandas, spreadsheets and UCI files write for a missing value.
 */
export const DEFAULT_NA_VALUES: readonly string[] = Object.freeze(['NA', 'N/A', 'n/a', 'null', 'NULL', 'NaN', 'nan', '?']);

/** Checks naValues: an array of strings, trimmed (as the cells they are compared with); DEFAULT_NA_VALUES when absent. */
export function resolveNaValues(where: string, raw: unknown): string[] {
  if (raw === undefined) return [...DEFAULT_NA_VALUES];
  if (!Array.isArray(raw) || !raw.every((v) => typeof v === 'string')) {
    throw new ArgumentError(`${where}: naValues must be an array of strings, got ${show(raw)}`);
  }
  return [...new Set((raw as string[]).map((v) => v.trim()).filter((v) => v !== ''))];
}
