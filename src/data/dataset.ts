// Dataset: named feature and target columns read from CSV text, an array of
// objects or a set of arrays, checked against a spec (src/data/spec.ts).
//
// A Dataset keeps the raw columns — numbers with NaN for missing, category
// strings with null for missing — and no statistics: scaling, imputation and
// one-hot encoding belong to a Preprocessor fitted on the training part, so a
// split never leaks the test rows' statistics into training.
//
// What *is* fixed at creation, from all rows, is each target's classes (binary,
// multiclass) or labels (multilabel), so every split of a Dataset encodes its
// targets the same way. `spec` holds them; passing `spec` to another fromCSV
// reads a second file with the same classes in the same order.
//
// Rows are addressed 0-based in the API (`select`, `rowIndex` of errors);
// messages say "row N" 1-based, with the CSV line when the row came from CSV
// text, or "rows[i]" / "index i" for data given as JS arrays.

import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { runtime } from '../runtime/module.js';
import { checkKeys, checkOptionsObject, show } from '../runtime/validate.js';
import { Rng, RngStream } from '../nn/rng.js';
import { checkSeed } from '../runtime/validate.js';
import { checkDelimiter, readCsv, type CsvInput } from './csv.js';
import { DataError, UnknownClassError, type DataErrorLocation } from './errors.js';
import {
  checkEmbedTables, defaultEncoding, resolveFeatureSpec, resolveNaValues, resolveTargetRequest,
  type CsvDatasetSpec, type DatasetSpec, type ResolvedDatasetSpec, type ResolvedFeatureSpec, type ResolvedTargetSpec,
  type TargetRequest, type TargetType,
} from './spec.js';
import { INVALID, listNames, sortLabels, toCategory, toNumber } from './values.js';

/**
 * A target as the model reads it: `values` holds rows × width floats, row-major.
 *  - binary:     width 1, 0 or 1; classes [negative, positive]
 *  - multiclass: width 1, the class index (as a float) into classes
 *  - multilabel: width = classes.length, 0/1 per label; classes are the labels
 *  - regression: width 1, the number; no classes
 * A missing label is NaN (a missing multilabel row is NaN in every column).
 */
export interface DatasetTarget {
  readonly name: string;
  readonly kind: TargetType;
  readonly width: number;
  readonly classes?: readonly string[];
  readonly values: Float32Array;
}

/**
 * Dataset.column(name): a copy of the raw column. Numeric features and regression
 * targets: a Float64Array (NaN = missing). Categorical features, binary and
 * multiclass targets: strings (null = missing). Multilabel targets: each row's
 * labels (null = missing).
 */
export type ColumnValues = Float64Array | (string | null)[] | (string[] | null)[];

export interface SplitOptions {
  /** Seeds the shuffle (an integer in [0, 2³²)). Default 0. */
  seed?: number;
  /** A binary or multiclass target: each class (and the unlabeled rows) is split in the same proportion. */
  stratify?: string;
}

type FeatureColumn =
  | { readonly spec: Extract<ResolvedFeatureSpec, { type: 'numeric' }>; readonly values: Float64Array }
  | { readonly spec: Extract<ResolvedFeatureSpec, { type: 'categorical' }>; readonly values: readonly (string | null)[] };

type TargetColumn =
  /** Class indices, -1 = missing. */
  | { readonly spec: Extract<ResolvedTargetSpec, { type: 'binary' | 'multiclass' }>; readonly codes: Int32Array }
  /** rows × labels.length, 0/1, NaN rows = missing. */
  | { readonly spec: Extract<ResolvedTargetSpec, { type: 'multilabel' }>; readonly values: Float32Array }
  | { readonly spec: Extract<ResolvedTargetSpec, { type: 'regression' }>; readonly values: Float64Array };

interface Parts {
  readonly rows: number;
  readonly features: ReadonlyMap<string, FeatureColumn>;
  readonly targets: ReadonlyMap<string, TargetColumn>;
  readonly naValues: readonly string[];
  /** For each row, its 0-based index in the data the first Dataset was made from. */
  readonly sourceRows: Int32Array;
  /** For each row, the CSV line it came from; null when not from CSV. */
  readonly lines: Int32Array | null;
}

/** Internal access for the Preprocessor (not public API). */
export interface DatasetInternals {
  readonly rows: number;
  readonly features: ReadonlyMap<string, FeatureColumn>;
  readonly naValues: readonly string[];
  readonly lines: Int32Array | null;
}

const ABSENT: unique symbol = Symbol('absent');

/** Where the values come from, cell by cell. */
interface Source {
  readonly where: string;
  readonly rows: number;
  /** The columns there are, for "unknown column" errors. */
  readonly available: readonly string[];
  has(column: string): boolean;
  /** ABSENT: this row has no such key (fromRows only). */
  cell(column: string, row: number): unknown;
  /** "row 5 (line 7)", "rows[4]", "index 4". */
  locate(row: number): string;
  readonly lines: Int32Array | null;
}

let internals: (d: Dataset) => Parts;
let makeDataset: (parts: Parts) => Dataset;

export class Dataset {
  readonly #p: Parts;

  static {
    internals = (d) => d.#p;
    makeDataset = (parts) => new Dataset(parts);
  }

  private constructor(parts: Parts) {
    this.#p = parts;
  }

  /**
   * Reads CSV text, or its UTF-8 bytes, with a header row (see src/data/csv.ts
   * for the CSV rules: the delimiter is detected unless given).
   * `spec`: { features, targets?, naValues?, delimiter? } (src/data/spec.ts).
   */
  static fromCSV(text: CsvInput, spec: CsvDatasetSpec): Dataset {
    const where = 'Dataset.fromCSV';
    const opts = checkSpecObject(where, spec, ['delimiter']);
    const { header, rows, lines } = readCsv(where, text, checkDelimiter(where, opts.delimiter));
    const index = new Map<string, number>();
    const duplicated = new Set<string>();
    header.forEach((name, i) => {
      if (index.has(name)) duplicated.add(name);
      else index.set(name, i);
    });
    const lineOf = Int32Array.from(lines);
    const source: Source = {
      where,
      rows: rows.length,
      available: header,
      has: (c) => {
        if (duplicated.has(c)) throw new ArgumentError(`${where}: the header names column ${JSON.stringify(c)} more than once`);
        return index.has(c);
      },
      cell: (c, r) => rows[r]![index.get(c)!],
      locate: (r) => `row ${r + 1} (line ${lineOf[r]})`,
      lines: lineOf,
    };
    return build(source, opts);
  }

  /** Reads an array of plain objects, one per row (keys: column names; extra keys are ignored). */
  static fromRows(rows: readonly Readonly<Record<string, unknown>>[], spec: DatasetSpec): Dataset {
    const where = 'Dataset.fromRows';
    const opts = checkSpecObject(where, spec, []);
    if (!Array.isArray(rows)) throw new ArgumentError(`${where}: rows must be an array of objects, got ${show(rows)}`);
    const available: string[] = [];
    const seen = new Set<string>();
    // An index loop, not forEach: forEach skips the holes of a sparse array ([a, , b]).
    for (let i = 0; i < rows.length; i++) {
      const row: unknown = rows[i];
      if (typeof row !== 'object' || row === null || Array.isArray(row)) {
        throw new ArgumentError(`${where}: rows[${i}] must be an object, got ${show(row)}`);
      }
      for (const key of Object.keys(row)) {
        if (!seen.has(key)) { seen.add(key); available.push(key); }
      }
    }
    const source: Source = {
      where,
      rows: rows.length,
      available,
      has: (c) => seen.has(c),
      cell: (c, r) => {
        const row = rows[r]!;
        return Object.hasOwn(row, c) ? row[c] : ABSENT;
      },
      locate: (r) => `rows[${r}]`,
      lines: null,
    };
    return build(source, opts);
  }

  /** Reads one array (or typed array) per column, all of the same length. */
  static fromColumns(columns: Readonly<Record<string, ArrayLike<unknown>>>, spec: DatasetSpec): Dataset {
    return datasetFromColumns('Dataset.fromColumns', columns, spec);
  }

  /** Number of rows. */
  get rows(): number { return this.#p.rows; }

  /** Feature columns, in spec order. */
  get featureNames(): readonly string[] { return [...this.#p.features.keys()]; }

  /** Target columns, in spec order. */
  get targetNames(): readonly string[] { return [...this.#p.targets.keys()]; }

  /** The resolved spec: every option written out, every target's classes fixed. */
  get spec(): ResolvedDatasetSpec {
    // Object.fromEntries defines own keys: a column named "__proto__" stays a column.
    const features: Record<string, ResolvedFeatureSpec> = Object.fromEntries([...this.#p.features].map(([name, col]) => [name, col.spec]));
    const targets: Record<string, ResolvedTargetSpec> = Object.fromEntries([...this.#p.targets].map(([name, col]) => [name, col.spec]));
    return { features, targets, naValues: this.#p.naValues };
  }

  /** For each row, its 0-based index in the data the original Dataset was read from (follows select and split). */
  get sourceRows(): Int32Array { return this.#p.sourceRows.slice(); }

  /** A copy of a raw column, feature or target (see ColumnValues). */
  column(name: string): ColumnValues {
    const f = this.#p.features.get(name);
    if (f !== undefined) return f.spec.type === 'numeric' ? (f.values as Float64Array).slice() : [...(f.values as readonly (string | null)[])];
    const t = this.#p.targets.get(name);
    if (t === undefined) {
      throw new ArgumentError(`Dataset.column: no column ${show(name)} (features: ${listNames(this.featureNames)}; targets: ${listNames(this.targetNames)})`);
    }
    switch (t.spec.type) {
      case 'binary': {
        const classes = [t.spec.negative, t.spec.positive];
        return Array.from((t as { codes: Int32Array }).codes, (c) => (c < 0 ? null : classes[c]!));
      }
      case 'multiclass': {
        const classes = t.spec.classes;
        return Array.from((t as { codes: Int32Array }).codes, (c) => (c < 0 ? null : classes[c]!));
      }
      case 'multilabel': {
        const labels = t.spec.labels;
        const w = labels.length;
        const v = (t as { values: Float32Array }).values;
        const out: (string[] | null)[] = [];
        for (let r = 0; r < this.#p.rows; r++) {
          if (Number.isNaN(v[r * w])) out.push(null);
          else out.push(labels.filter((_, j) => v[r * w + j] === 1));
        }
        return out;
      }
      case 'regression':
        return (t as { values: Float64Array }).values.slice();
    }
  }

  /** The target `name` as the model reads it (see DatasetTarget); a new array each call. */
  target(name: string): DatasetTarget {
    const t = this.#p.targets.get(name);
    if (t === undefined) {
      throw new ArgumentError(`Dataset.target: no target ${show(name)} (targets: ${this.#p.targets.size ? listNames(this.targetNames) : 'none'})`);
    }
    const n = this.#p.rows;
    switch (t.spec.type) {
      case 'binary':
      case 'multiclass': {
        const codes = (t as { codes: Int32Array }).codes;
        const values = new Float32Array(n);
        for (let r = 0; r < n; r++) values[r] = codes[r]! < 0 ? NaN : codes[r]!;
        const classes = t.spec.type === 'binary' ? [t.spec.negative, t.spec.positive] : t.spec.classes;
        return { name, kind: t.spec.type, width: 1, classes, values };
      }
      case 'multilabel':
        return { name, kind: 'multilabel', width: t.spec.labels.length, classes: t.spec.labels, values: (t as { values: Float32Array }).values.slice() };
      case 'regression':
        return { name, kind: 'regression', width: 1, values: Float32Array.from((t as { values: Float64Array }).values) };
    }
  }

  /**
   * The rows at `indices` (0-based, in that order; repeats allowed), as a new
   * Dataset with the same spec and classes.
   */
  select(indices: ArrayLike<number>): Dataset {
    const where = 'Dataset.select';
    if (!Array.isArray(indices) && !(ArrayBuffer.isView(indices) && !(indices instanceof DataView))) {
      throw new ArgumentError(`${where}: indices must be an array of row indices, got ${show(indices)}`);
    }
    const n = this.#p.rows;
    const idx = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const v: unknown = indices[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= n) {
        throw new ArgumentError(`${where}: indices[${i}] must be an integer row index from 0 to ${n - 1}, got ${show(v)}`);
      }
      idx[i] = v;
    }
    if (idx.length === 0) throw new ShapeError(`${where}: no indices: a Dataset needs at least one row`);
    return this.#subset(idx);
  }

  /**
   * Shuffles the rows (seeded) and cuts them in two: the first part gets
   * round(fraction · rows) rows, the second the rest; both must be non-empty.
   * With `stratify`, each class of that target — and the unlabeled rows, as one
   * more group — goes to the first part in the same proportion (per-group counts
   * by largest remainder, adding up to the same total). Both parts keep the
   * shuffled order. Needs `await init()` (the shuffle is the library's RNG).
   */
  split(fraction: number, options?: SplitOptions): [Dataset, Dataset] {
    const where = 'Dataset.split';
    if (typeof fraction !== 'number' || !(fraction > 0 && fraction < 1)) {
      throw new ArgumentError(`${where}: fraction must be a number between 0 and 1 (exclusive), got ${show(fraction)}`);
    }
    const opts = checkOptionsObject(where, options);
    checkKeys(where, opts, ['seed', 'stratify']);
    const seed = opts.seed === undefined ? 0 : checkSeed(where, opts.seed);
    const n = this.#p.rows;
    const k = Math.round(fraction * n);
    if (k < 1 || k > n - 1) {
      throw new ShapeError(`${where}: a fraction of ${fraction} of ${n} rows leaves ${k === 0 ? 'the first' : 'the second'} part empty`);
    }

    let groupOf: Int32Array | null = null;
    let groups = 1;
    if (opts.stratify !== undefined) {
      const name = opts.stratify;
      const stratifiable = [...this.#p.targets].filter(([, t]) => t.spec.type === 'binary' || t.spec.type === 'multiclass').map(([nm]) => nm);
      const t = typeof name === 'string' ? this.#p.targets.get(name) : undefined;
      if (t === undefined || !(t.spec.type === 'binary' || t.spec.type === 'multiclass')) {
        throw new ArgumentError(`${where}: stratify must name a binary or multiclass target (${stratifiable.length ? listNames(stratifiable) : 'this Dataset has none'}), got ${show(name)}`);
      }
      const codes = (t as { codes: Int32Array }).codes;
      const classes = t.spec.type === 'binary' ? 2 : t.spec.classes.length;
      groups = classes + 1; // the last group: unlabeled rows
      groupOf = codes.map((c) => (c < 0 ? classes : c));
    }

    const perm = permutation(n, seed);
    const quota = new Int32Array(groups);
    if (groupOf === null) {
      quota[0] = k;
    } else {
      const sizes = new Int32Array(groups);
      for (const g of groupOf) sizes[g]!++;
      const remainders: { g: number; r: number }[] = [];
      let given = 0;
      for (let g = 0; g < groups; g++) {
        const exact = fraction * sizes[g]!;
        quota[g] = Math.floor(exact);
        given += quota[g]!;
        remainders.push({ g, r: exact - quota[g]! });
      }
      remainders.sort((a, b) => b.r - a.r || a.g - b.g);
      for (let j = 0; given < k && j < remainders.length; j++) {
        const g = remainders[j]!.g;
        if (quota[g]! < sizes[g]!) { quota[g]!++; given++; }
      }
    }
    const first = new Int32Array(k);
    const second = new Int32Array(n - k);
    const taken = new Int32Array(groups);
    let a = 0, b = 0;
    for (const r of perm) {
      const g = groupOf === null ? 0 : groupOf[r]!;
      if (taken[g]! < quota[g]! && a < k) { taken[g]!++; first[a++] = r; } else second[b++] = r;
    }
    return [this.#subset(first), this.#subset(second)];
  }

  #subset(idx: Int32Array): Dataset {
    const p = this.#p;
    const features = new Map<string, FeatureColumn>();
    for (const [name, col] of p.features) {
      if (col.spec.type === 'numeric') {
        features.set(name, { spec: col.spec, values: gather(col.values as Float64Array, idx) });
      } else {
        const values = col.values as readonly (string | null)[];
        features.set(name, { spec: col.spec, values: Array.from(idx, (r) => values[r]!) });
      }
    }
    const targets = new Map<string, TargetColumn>();
    for (const [name, col] of p.targets) {
      if (col.spec.type === 'multilabel') {
        const w = col.spec.labels.length;
        const src = (col as { values: Float32Array }).values;
        const values = new Float32Array(idx.length * w);
        idx.forEach((r, i) => values.set(src.subarray(r * w, r * w + w), i * w));
        targets.set(name, { spec: col.spec, values });
      } else if (col.spec.type === 'regression') {
        targets.set(name, { spec: col.spec, values: gather((col as { values: Float64Array }).values, idx) });
      } else {
        targets.set(name, { spec: col.spec, codes: gather((col as { codes: Int32Array }).codes, idx) });
      }
    }
    return makeDataset({
      rows: idx.length,
      features,
      targets,
      naValues: p.naValues,
      sourceRows: gather(p.sourceRows, idx),
      lines: p.lines === null ? null : gather(p.lines, idx),
    });
  }
}

/** Dataset.fromColumns, its errors named for `where` (windows() builds its Dataset with it). */
export function datasetFromColumns(where: string, columns: Readonly<Record<string, ArrayLike<unknown>>>, spec: DatasetSpec): Dataset {
  const opts = checkSpecObject(where, spec, []);
  if (typeof columns !== 'object' || columns === null || Array.isArray(columns)) {
    throw new ArgumentError(`${where}: columns must be an object { name: array }, got ${show(columns)}`);
  }
  const available = Object.keys(columns);
  let length = -1;
  let first = '';
  for (const name of available) {
    const col: unknown = columns[name];
    if (!Array.isArray(col) && !(ArrayBuffer.isView(col) && !(col instanceof DataView))) {
      throw new ArgumentError(`${where}: column ${JSON.stringify(name)} must be an array or a typed array, got ${show(col)}`);
    }
    const n = (col as ArrayLike<unknown>).length;
    if (length === -1) { length = n; first = name; } else if (n !== length) {
      throw new ShapeError(`${where}: column ${JSON.stringify(name)} has ${n} values but column ${JSON.stringify(first)} has ${length}: every column must have one value per row`);
    }
  }
  const source: Source = {
    where,
    rows: Math.max(length, 0),
    available,
    has: (c) => Object.hasOwn(columns, c),
    cell: (c, r) => columns[c]![r],
    locate: (r) => `index ${r}`,
    lines: null,
  };
  return build(source, opts);
}

/** Internal access to a Dataset's columns (for the Preprocessor). */
export function datasetInternals(d: Dataset): DatasetInternals {
  return internals(d);
}

/**
 * A binary, multiclass or multilabel target of `data` as indices into `classes`
 * — a trained model's class (or label) list for that task — matched by name,
 * never by position in the Dataset's own list. That list comes from the
 * Dataset's rows, so a file without one class, or read with another class
 * order, lists the same names at other places.
 *
 * Binary and multiclass: one index per row (NaN = no label); binary classes are
 * [negative, positive], so the index is the 0/1 label. Multilabel: rows ×
 * classes.length, 0/1 in the order of `classes` (NaN rows = no label); a label
 * the model has and the Dataset never saw is 0. A row whose label is not among
 * `classes` is an UnknownClassError naming the task, the class and the row; a
 * class the Dataset lists but no row holds is no error.
 */
export function labelsByName(data: Dataset, task: string, classes: readonly string[], where: string): Float32Array {
  const p = internals(data);
  const col = p.targets.get(task);
  if (col === undefined || col.spec.type === 'regression') {
    throw new ArgumentError(`${where}: the Dataset has no binary, multiclass or multilabel target ${show(task)}`);
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  if (index.size !== classes.length) {
    const twice = classes.find((c, i) => classes.indexOf(c) !== i)!;
    throw new ArgumentError(`${where}: task ${JSON.stringify(task)} has the class ${JSON.stringify(twice)} twice, so labels cannot be matched to its outputs by name`);
  }
  const own = col.spec.type === 'binary' ? [col.spec.negative, col.spec.positive] : col.spec.type === 'multiclass' ? col.spec.classes : col.spec.labels;
  const toModel = own.map((c) => index.get(c) ?? -1);
  const unknown = (r: number, c: string): UnknownClassError => {
    const line = p.lines?.[r];
    const loc: DataErrorLocation & { column: string } = { column: task, rowIndex: r, value: c };
    if (line !== undefined) loc.line = line;
    const what = col.spec.type === 'multilabel' ? 'label' : 'class';
    return new UnknownClassError(
      `${where}: task ${JSON.stringify(task)}, row ${r + 1}${line !== undefined ? ` (line ${line})` : ''}: ${what} ${show(c)} is not one of the model's ${what === 'label' ? 'labels' : 'classes'} (${listNames(classes)})`,
      loc, classes);
  };
  const n = p.rows;
  if (col.spec.type !== 'multilabel') {
    const codes = (col as { codes: Int32Array }).codes;
    const out = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      const c = codes[r]!;
      if (c < 0) { out[r] = NaN; continue; }
      const k = toModel[c]!;
      if (k < 0) throw unknown(r, own[c]!);
      out[r] = k;
    }
    return out;
  }
  const values = (col as { values: Float32Array }).values;
  const w = own.length, width = classes.length;
  const out = new Float32Array(n * width);
  for (let r = 0; r < n; r++) {
    if (Number.isNaN(values[r * w])) { out.fill(NaN, r * width, (r + 1) * width); continue; }
    for (let j = 0; j < w; j++) {
      if (values[r * w + j] !== 1) continue;
      const k = toModel[j]!;
      if (k < 0) throw unknown(r, own[j]!);
      out[r * width + k] = 1;
    }
  }
  return out;
}

function deepFreeze(o: object): void {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v);
  Object.freeze(o);
}

function gather<T extends Float64Array | Int32Array>(src: T, idx: Int32Array): T {
  const out = new (src.constructor as new (n: number) => T)(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = src[idx[i]!]!;
  return out;
}

/** A seeded permutation of 0..n-1: Fisher–Yates by the library's RNG, over an i32 buffer in WASM memory. */
export function permutation(n: number, seed: number): Int32Array {
  const rng = new Rng(seed, RngStream.split);
  const rt = runtime('Dataset.split');
  let ptr = 0;
  try {
    ptr = rt.allocator.alloc(n * 4);
    const view = new Int32Array(rt.memory.buffer, ptr, n);
    for (let i = 0; i < n; i++) view[i] = i;
    rng.shuffle(ptr, n);
    return new Int32Array(rt.memory.buffer, ptr, n).slice();
  } finally {
    rt.allocator.free(ptr);
    rng.dispose();
  }
}

function checkSpecObject(where: string, spec: unknown, extra: readonly string[]): Record<string, unknown> {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ArgumentError(`${where}: spec must be an object { features, targets? }, got ${show(spec)}`);
  }
  checkKeys(where, spec, ['features', 'targets', 'naValues', ...extra]);
  return spec as Record<string, unknown>;
}

function specEntries(where: string, what: 'features' | 'targets', raw: unknown): [string, unknown][] {
  if (raw === undefined && what === 'targets') return [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ArgumentError(`${where}: ${what} must be an object { column: type }, got ${show(raw)}`);
  }
  const entries = Object.entries(raw);
  if (what === 'features' && entries.length === 0) throw new ArgumentError(`${where}: features is empty: name at least one feature column`);
  return entries;
}

function build(src: Source, spec: Record<string, unknown>): Dataset {
  const { where } = src;
  const naValues = resolveNaValues(where, spec.naValues);
  const featureEntries = specEntries(where, 'features', spec.features);
  const featureSpecs = featureEntries.map(([name, raw]) => [name, resolveFeatureSpec(where, name, raw)] as const);
  checkEmbedTables(where, featureSpecs);
  const targetRequests = specEntries(where, 'targets', spec.targets).map(([name, raw]) => [name, resolveTargetRequest(where, name, raw)] as const);
  for (const [name] of targetRequests) {
    if (featureSpecs.some(([f]) => f === name)) {
      throw new ArgumentError(`${where}: column ${JSON.stringify(name)} is both a feature and a target: a column can only be one`);
    }
  }
  // A model names each column it reads (its file refuses an empty name): pandas' to_csv writes its index so.
  for (const [name, role] of [...featureSpecs.map(([f]) => [f, 'feature'] as const), ...targetRequests.map(([t]) => [t, 'target'] as const)]) {
    if (name !== '') continue;
    const at = src.lines !== null && src.available.includes('') ? ` (column ${src.available.indexOf('') + 1} of the header)` : '';
    throw new ArgumentError(`${where}: a ${role} named ""${at}: a model's columns need names; name it, or leave it out (pandas writes its index so)`);
  }
  const n = src.rows;
  if (n === 0) throw new ShapeError(`${where}: the data has no rows`);
  for (const [name] of [...featureSpecs, ...targetRequests]) {
    if (!src.has(name)) {
      throw new ArgumentError(`${where}: unknown column ${JSON.stringify(name)} in the spec (the data has: ${listNames(src.available, 100)})`);
    }
  }

  const features = new Map<string, FeatureColumn>();
  for (const [name, fspec] of featureSpecs) {
    const cellOf = (r: number): unknown => {
      const v = src.cell(name, r);
      if (v === ABSENT) {
        throw new DataError(`${where}: ${src.locate(r)} has no key ${JSON.stringify(name)}, a feature (give null for a missing value)`, { column: name, rowIndex: r });
      }
      return v;
    };
    if (fspec.type === 'numeric') {
      // Beyond float32, one cell of the training data would make the column's other values standardize to one number.
      features.set(name, { spec: fspec, values: readNumbers(src, name, cellOf, naValues, 'the model computes in') });
    } else {
      const values = readCategories(src, name, cellOf, naValues);
      const levels = new Set(values).size - (values.includes(null) ? 1 : 0);
      const encoded = defaultEncoding(name, featureEntries.find(([f]) => f === name)![1], fspec, levels) as typeof fspec;
      features.set(name, { spec: encoded, values });
    }
  }
  // Columns embedded by default have tables of their own, which may meet a table another column names.
  checkEmbedTables(where, [...features].map(([name, col]) => [name, col.spec] as const));

  const targets = new Map<string, TargetColumn>();
  for (const [name, req] of targetRequests) {
    const cellOf = (r: number): unknown => {
      const v = src.cell(name, r);
      return v === ABSENT ? null : v; // a row without the key has no label
    };
    targets.set(name, readTarget(src, name, req, cellOf, naValues));
  }

  // Specs (and their class lists) are shared by every split and handed out by
  // `spec` and `target()`: frozen, so no caller can change another's classes.
  for (const col of [...features.values(), ...targets.values()]) deepFreeze(col.spec);
  Object.freeze(naValues);

  const sourceRows = new Int32Array(n);
  for (let r = 0; r < n; r++) sourceRows[r] = r;
  return makeDataset({ rows: n, features, targets, naValues, sourceRows, lines: src.lines });
}

function location(src: Source, column: string, r: number, value?: unknown): { column: string; rowIndex: number; line?: number; value?: string } {
  const loc: { column: string; rowIndex: number; line?: number; value?: string } = { column, rowIndex: r };
  const line = src.lines?.[r];
  if (line !== undefined) loc.line = line;
  if (value !== undefined) loc.value = typeof value === 'string' ? value : show(value);
  return loc;
}

/** A numeric column; a number beyond float32 is a DataError ending "beyond the float32 range (±3.4e38) <float32>". */
function readNumbers(src: Source, name: string, cellOf: (r: number) => unknown, naValues: readonly string[], float32: string): Float64Array {
  const out = new Float64Array(src.rows);
  for (let r = 0; r < src.rows; r++) {
    const raw = cellOf(r);
    const v = toNumber(raw, naValues);
    if (v === INVALID) {
      throw new DataError(`${src.where}: column ${JSON.stringify(name)}, ${src.locate(r)}: expected a number, got ${show(raw)}`, location(src, name, r, raw));
    }
    if (!Number.isFinite(Math.fround(v)) && !Number.isNaN(v)) {
      throw new DataError(`${src.where}: column ${JSON.stringify(name)}, ${src.locate(r)}: ${v} is beyond the float32 range (±3.4e38) ${float32}`, location(src, name, r, v));
    }
    out[r] = v;
  }
  return out;
}

function readCategories(src: Source, name: string, cellOf: (r: number) => unknown, naValues: readonly string[]): (string | null)[] {
  const out: (string | null)[] = new Array(src.rows);
  for (let r = 0; r < src.rows; r++) {
    const raw = cellOf(r);
    const v = toCategory(raw, naValues);
    if (v === INVALID) {
      throw new DataError(`${src.where}: column ${JSON.stringify(name)}, ${src.locate(r)}: expected a string, number or boolean, got ${show(raw)}`, location(src, name, r, raw));
    }
    out[r] = v;
  }
  return out;
}

function noLabels(src: Source, name: string, type: string): DataError {
  return new DataError(`${src.where}: target ${JSON.stringify(name)} (${type}) has no labels: its value is missing in all ${src.rows} rows`, { column: name });
}

/** The first row whose label is not in `classes`, as an error. */
function labelOutside(src: Source, name: string, values: readonly (string | null)[], classes: readonly string[], what: string): DataError | null {
  const known = new Set(classes);
  for (let r = 0; r < values.length; r++) {
    const v = values[r];
    if (v != null && !known.has(v)) {
      return new DataError(
        `${src.where}: column ${JSON.stringify(name)}, ${src.locate(r)}: ${show(v)} is not one of the ${what} (${listNames(classes)})`,
        location(src, name, r, v));
    }
  }
  return null;
}

const WORD_PAIRS: readonly (readonly [string, string])[] = [['true', 'false'], ['yes', 'no'], ['y', 'n'], ['t', 'f'], ['1', '0']];

function readTarget(src: Source, name: string, req: TargetRequest, cellOf: (r: number) => unknown, naValues: readonly string[]): TargetColumn {
  const n = src.rows;
  switch (req.type) {
    case 'regression': {
      // Targets are float32 in the model (DatasetTarget.values): a larger value would become ±Infinity.
      const values = readNumbers(src, name, cellOf, naValues, 'a regression target is trained in');
      if (values.every(Number.isNaN)) throw noLabels(src, name, req.type);
      return { spec: { type: 'regression' }, values };
    }
    case 'binary':
    case 'multiclass': {
      const values = readCategories(src, name, cellOf, naValues);
      const distinct = sortLabels(new Set(values.filter((v): v is string => v !== null)));
      if (distinct.length === 0) throw noLabels(src, name, req.type);
      let classes: readonly string[];
      let spec: Extract<ResolvedTargetSpec, { type: 'binary' | 'multiclass' }>;
      if (req.type === 'multiclass') {
        classes = req.classes ?? distinct;
        const bad = labelOutside(src, name, values, classes, 'classes given in the spec');
        if (bad) throw bad;
        spec = { type: 'multiclass', classes };
      } else {
        const [negative, positive] = binaryClasses(src, name, req, distinct, values);
        classes = [negative, positive];
        spec = { type: 'binary', negative, positive };
      }
      const index = new Map(classes.map((c, i) => [c, i]));
      const codes = new Int32Array(n);
      for (let r = 0; r < n; r++) codes[r] = values[r] === null ? -1 : index.get(values[r]!)!;
      return { spec, codes };
    }
    case 'multilabel': {
      const rows: (string[] | null)[] = new Array(n);
      for (let r = 0; r < n; r++) {
        const raw = cellOf(r);
        if (Array.isArray(raw)) {
          const labels: string[] = [];
          raw.forEach((item: unknown, j) => {
            const v = toCategory(item, []);
            if (typeof v !== 'string') {
              throw new DataError(`${src.where}: column ${JSON.stringify(name)}, ${src.locate(r)}: label ${j} must be a non-empty string, number or boolean, got ${show(item)}`, location(src, name, r, item));
            }
            labels.push(v);
          });
          rows[r] = labels;
          continue;
        }
        if (req.none === '' && typeof raw === 'string' && raw.trim() === '') { rows[r] = []; continue; }
        const v = toCategory(raw, naValues);
        if (v === INVALID) {
          throw new DataError(`${src.where}: column ${JSON.stringify(name)}, ${src.locate(r)}: expected labels separated by ${JSON.stringify(req.separator)} or an array of labels, got ${show(raw)}`, location(src, name, r, raw));
        }
        rows[r] = v === null ? null : v === req.none ? [] : v.split(req.separator).map((s) => s.trim()).filter((s) => s !== '');
      }
      const seen = new Set<string>();
      let labeled = false;
      for (const labels of rows) {
        if (labels === null) continue;
        labeled = true;
        for (const l of labels) seen.add(l);
      }
      if (!labeled) throw noLabels(src, name, req.type);
      const labels = req.labels ?? sortLabels(seen);
      if (labels.length === 0) {
        throw new DataError(`${src.where}: target ${JSON.stringify(name)} (multilabel) has no labels in any row: give the label set with { type: 'multilabel', labels: [...] }`, { column: name });
      }
      const index = new Map(labels.map((c, i) => [c, i]));
      const w = labels.length;
      const values = new Float32Array(n * w);
      for (let r = 0; r < n; r++) {
        const row = rows[r]!;
        if (row === null) { values.fill(NaN, r * w, r * w + w); continue; }
        for (const l of row) {
          const j = index.get(l);
          if (j === undefined) {
            throw new DataError(`${src.where}: column ${JSON.stringify(name)}, ${src.locate(r)}: ${show(l)} is not one of the labels given in the spec (${listNames(labels)})`, location(src, name, r, l));
          }
          values[r * w + j] = 1;
        }
      }
      const spec: { type: 'multilabel'; separator: string; labels: readonly string[]; none?: string } = { type: 'multilabel', separator: req.separator, labels };
      if (req.none !== undefined) spec.none = req.none;
      return { spec, values };
    }
  }
}

/** [negative, positive] of a binary target; see src/data/spec.ts for the rule. */
function binaryClasses(
  src: Source, name: string, req: { positive?: string; negative?: string }, distinct: readonly string[], values: readonly (string | null)[],
): [string, string] {
  const at = `${src.where}: target ${JSON.stringify(name)} (binary)`;
  const { positive, negative } = req;
  if (positive !== undefined && negative !== undefined) {
    const bad = labelOutside(src, name, values, [negative, positive], 'two classes given in the spec (negative, positive)');
    if (bad) throw bad;
    return [negative, positive];
  }
  if (distinct.length > 2) {
    throw new DataError(`${at} has more than two distinct values: ${listNames(distinct)} (use 'multiclass', or name the two classes with positive and negative)`, { column: name });
  }
  if (positive !== undefined || negative !== undefined) {
    const given = (positive ?? negative)!;
    const others = distinct.filter((v) => v !== given);
    if (others.length > 1) {
      throw new DataError(`${at} has values ${listNames(others)} besides ${positive !== undefined ? 'positive' : 'negative'} ${JSON.stringify(given)}: at most one other value is allowed`, { column: name });
    }
    if (others.length === 0) {
      throw new DataError(`${at} has only the value ${JSON.stringify(given)}: name the other class with ${positive !== undefined ? 'negative' : 'positive'}`, { column: name });
    }
    return positive !== undefined ? [others[0]!, positive] : [negative!, others[0]!];
  }
  if (distinct.length < 2) {
    throw new DataError(`${at} has only one distinct value, ${JSON.stringify(distinct[0])}: name the other class with positive or negative`, { column: name });
  }
  const [a, b] = distinct as [string, string];
  for (const [yes, no] of WORD_PAIRS) {
    const la = a.toLowerCase(), lb = b.toLowerCase();
    if (la === yes && lb === no) return [b, a];
    if (la === no && lb === yes) return [a, b];
  }
  return [a, b];
}
