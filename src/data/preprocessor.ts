// Preprocessor: turns a Dataset's feature columns (or raw JS objects with those
// columns) into one row-major Float32Array for the model, with statistics taken
// only from the data it was fitted on.
//
// Per feature column, in the Dataset's feature order:
//
//  numeric  →  `<col>`: (x − mean) / std, where mean and std (population, ÷n)
//              are over the fit data's observed values; std = 1 when every
//              observed value is the same (as scikit-learn's StandardScaler), and
//              that value is kept as `constant`: with maxDeviation, transform and
//              predict refuse any other value of the column, since the model saw
//              no variation in it (its weights for it never trained). A missing x is first replaced by the
//              column's fill value (raw units): the observed mean (missing:
//              'mean', the default), median ('median') or 0 ('zero').
//              `<col>_missing`: 1 if x was missing, else 0 — only for columns that
//              had at least one missing value in the fit data.
//  categorical → `<col>=<category>` for each category of the fit data (sorted as
//              classes are, src/data/values.ts): one-hot.
//              `<col>_other`: only with { unknown: 'other' }: 1 for a category
//              not seen in fitting (always 0 on the fit data). Without it, an
//              unseen category is an UnknownCategoryError naming the column, the
//              row, the value and the known categories.
//              `<col>_missing`: as for numeric columns; a missing value is all
//              zeros in the one-hot.
//
// Missing values that appear only at transform time (in a column that had none
// in the fit data) are imputed — numeric: the fill value; categorical: all
// zeros — and get no indicator: the features a model sees never change shape
// after fitting.
//
// toJSON() is plain data (numbers as JSON numbers, which round-trip exactly);
// Preprocessor.fromJSON(json) checks it and rebuilds the same Preprocessor.

import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { checkKeys, checkOptionsObject, show } from '../runtime/validate.js';
import { Dataset, datasetInternals } from './dataset.js';
import { DataError, checkMaxDeviation } from './errors.js';
import { listNames, sortLabels } from './values.js';
import { windowStep } from './windows.js';
import { ColumnEncoder, PREPROCESSOR_FORMAT, readPreprocessorJSON, type EmbeddingTable, type PreprocessorColumnState, type PreprocessorJSON } from './encoding.js';
import type { ResolvedEmbedSpec, ResolvedFeatureSpec } from './spec.js';

export type { NumericColumnState, CategoricalColumnState, PreprocessorColumnState, PreprocessorJSON, EmbeddingTable } from './encoding.js';

export interface TransformResult {
  /** rows × featureCount floats, row-major, in featureNames order. */
  readonly features: Float32Array;
  readonly rows: number;
}

/** A row to transform: an object with (at least) the feature columns; other keys are ignored. */
export type RawRow = Readonly<Record<string, unknown>>;

export class Preprocessor {
  readonly #encoder: ColumnEncoder;

  private constructor(where: string, columns: readonly PreprocessorColumnState[], naValues: readonly string[]) {
    this.#encoder = new ColumnEncoder(columns, naValues, (what) => { throw new ArgumentError(`${where}: ${what}`); });
  }

  /** Learns every feature column's statistics (see the top of this file) from `data`. */
  static fit(data: Dataset): Preprocessor {
    const where = 'Preprocessor.fit';
    if (!(data instanceof Dataset)) throw new ArgumentError(`${where}: expected a Dataset, got ${show(data)}`);
    const p = datasetInternals(data);
    const columns: PreprocessorColumnState[] = [];
    for (const [name, col] of p.features) {
      if (col.spec.type === 'numeric') {
        const values = col.values as Float64Array;
        const observed = values.filter((v) => !Number.isNaN(v));
        if (observed.length === 0) {
          throw new DataError(`${where}: numeric column ${JSON.stringify(name)} has no values in the fit data (all ${p.rows} rows are missing)`, { column: name });
        }
        let sum = 0;
        let min = Infinity, max = -Infinity;
        for (const v of observed) { sum += v; if (v < min) min = v; if (v > max) max = v; }
        // A Dataset's numbers are within float32 (±3.4e38): neither sum overflows float64.
        const mean = sum / observed.length;
        let squares = 0;
        for (const v of observed) squares += (v - mean) * (v - mean);
        const std = min === max ? 1 : Math.sqrt(squares / observed.length);
        const missing = col.spec.missing;
        const fill = missing === 'mean' ? mean : missing === 'zero' ? 0 : median(observed);
        const indicator = observed.length < values.length;
        columns.push(min === max ? { name, type: 'numeric', missing, mean, std, fill, indicator, constant: min } : { name, type: 'numeric', missing, mean, std, fill, indicator });
      } else {
        const values = col.values as readonly (string | null)[];
        const present = values.filter((v): v is string => v !== null);
        if (present.length === 0) {
          throw new DataError(`${where}: categorical column ${JSON.stringify(name)} has no values in the fit data (all ${p.rows} rows are missing)`, { column: name });
        }
        const embed = col.spec.embed;
        columns.push(embed
          ? { name, type: 'categorical', categories: embedVocabulary(where, embed, p.features), unknown: col.spec.unknown, indicator: false, embed: { dim: embed.dim, table: embed.table, ...(embed.buckets > 1 ? { buckets: embed.buckets } : {}) } }
          : { name, type: 'categorical', categories: sortLabels(new Set(present)), unknown: col.spec.unknown, indicator: present.length < values.length });
      }
    }
    // A window's steps keep the same channels (windows(): `<column>[t-k]`): a column with a gap
    // anywhere in the series gets its missing-value indicator at every step, not only at the
    // steps where a gap fell in some window.
    const channel = (c: PreprocessorColumnState) => windowStep(c.name)?.channel;
    const gappy = new Set(columns.filter((c) => c.indicator && channel(c) !== undefined).map(channel));
    const steady = columns.map((c) => (!c.indicator && c.type === 'numeric' && gappy.has(channel(c)) ? { ...c, indicator: true } : c));
    return new Preprocessor(where, steady, p.naValues);
  }

  /** Rebuilds a Preprocessor from toJSON() output (an object, or its JSON text). */
  static fromJSON(json: unknown): Preprocessor {
    const where = 'Preprocessor.fromJSON';
    const { columns, naValues } = readPreprocessorJSON(json, (what) => { throw new ArgumentError(`${where}: ${what}`); });
    return new Preprocessor(where, columns, naValues);
  }

  /** Names of the encoded features, in order (e.g. `bill_length_mm`, `bill_length_mm_missing`, `island=Biscoe`). */
  get featureNames(): readonly string[] { return this.#encoder.featureNames; }

  /** @internal predict's maxDeviation for rows given already encoded (ColumnEncoder.checkEncoded). */
  checkEncoded(where: string, features: Float32Array, rows: number, maxDeviation: number): void {
    this.#encoder.checkEncoded(where, features, rows, maxDeviation);
  }

  /** Floats per transformed row. */
  get featureCount(): number { return this.#encoder.featureNames.length; }

  /** The raw feature columns transform() reads, in order. */
  get inputColumns(): readonly string[] { return this.#encoder.columns.map((c) => c.name); }

  /**
   * The embedding tables the encoded rows index (src/mtl/describe.ts): per table,
   * its rows (the identifiers + the out-of-vocabulary row 0), its width, and the
   * encoded features that hold its indices, in column order.
   */
  get embeddings(): EmbeddingTable[] {
    const tables = new Map<string, EmbeddingTable & { columns: number[] }>();
    const names = this.#encoder.featureNames;
    for (const c of this.#encoder.columns) {
      if (c.type !== 'categorical' || !c.embed) continue;
      const t = tables.get(c.embed.table) ?? { table: c.embed.table, entries: c.categories.length + (c.embed.buckets ?? 1), dim: c.embed.dim, columns: [] };
      t.columns.push(names.indexOf(c.name));
      tables.set(t.table, t);
    }
    return [...tables.values()];
  }

  /** The fitted state of each column (a copy, as in toJSON().columns). */
  get columns(): readonly PreprocessorColumnState[] { return this.toJSON().columns; }

  /**
   * Encodes a Dataset with the fitted feature columns, or an array of plain
   * objects holding them (as `model.predict(rows)` gets: other keys are ignored;
   * a missing key is an error, null/undefined/'' a missing value). With
   * `maxDeviation`, a numeric value more than that many standard deviations from
   * its column's fitted mean is an OutOfRangeError naming the column and row, and
   * so is any value but the one a column held when it was constant in the fit data.
   */
  transform(data: Dataset | readonly RawRow[], options?: { maxDeviation?: number }): TransformResult {
    const where = 'Preprocessor.transform';
    const opts = checkOptionsObject(where, options);
    checkKeys(where, opts, ['maxDeviation']);
    const maxDeviation = checkMaxDeviation(where, opts.maxDeviation);
    const width = this.#encoder.featureNames.length;
    if (data instanceof Dataset) {
      const p = datasetInternals(data);
      const out = new Float32Array(p.rows * width);
      const locate = (r: number): string => (p.lines === null ? `row ${r + 1}` : `row ${r + 1} (line ${p.lines[r]})`);
      this.#encoder.columns.forEach((c, k) => {
        const col = p.features.get(c.name);
        if (col === undefined) {
          throw new ArgumentError(`${where}: the Dataset has no feature ${JSON.stringify(c.name)} (its features: ${listNames(data.featureNames)})`);
        }
        if (col.spec.type !== c.type) {
          throw new ArgumentError(`${where}: feature ${JSON.stringify(c.name)} is ${col.spec.type} in the Dataset but was fitted as ${c.type}`);
        }
        for (let r = 0; r < p.rows; r++) {
          this.#encoder.encode(where, k, col.values[r]!, out, r * width, maxDeviation, () => ({ place: locate(r), rowIndex: r, line: p.lines?.[r] }));
        }
      });
      return { features: out, rows: p.rows };
    }
    if (!Array.isArray(data)) throw new ArgumentError(`${where}: expected a Dataset or an array of row objects, got ${show(data)}`);
    const rows = data as readonly unknown[];
    if (rows.length === 0) throw new ShapeError(`${where}: no rows`);
    return { features: this.#encoder.encodeObjects(where, rows, maxDeviation), rows: rows.length };
  }

  /** Plain data for a model file; Preprocessor.fromJSON(p.toJSON()) is the same Preprocessor. */
  toJSON(): PreprocessorJSON {
    return {
      format: PREPROCESSOR_FORMAT,
      version: 1,
      naValues: [...this.#encoder.naValues],
      columns: this.#encoder.columns.map((c) => (c.type === 'numeric' ? { ...c } : { ...c, categories: [...c.categories] })),
    };
  }
}

/**
 * The identifiers of an embedding table: every value of the columns that share it
 * seen at least minCount times in the fit data (counted over those columns),
 * sorted; rarer ones take the out-of-vocabulary row, and so train it.
 */
function embedVocabulary(where: string, embed: ResolvedEmbedSpec, features: ReadonlyMap<string, { spec: ResolvedFeatureSpec; values: unknown }>): string[] {
  const counts = new Map<string, number>();
  const columns: string[] = [];
  for (const [name, col] of features) {
    if (col.spec.type !== 'categorical' || !col.spec.embed || col.spec.embed.table !== embed.table) continue;
    columns.push(name);
    for (const v of col.values as readonly (string | null)[]) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const kept = [...counts].filter(([, n]) => n >= embed.minCount).map(([v]) => v);
  if (kept.length === 0) {
    throw new DataError(`${where}: no identifier of the embedding table ${JSON.stringify(embed.table)} (columns ${listNames(columns)}) appears minCount = ${embed.minCount} times in the fit data`, { column: columns[0]! });
  }
  return sortLabels(new Set(kept));
}

function median(values: Float64Array): number {
  const s = values.slice().sort(); // typed arrays sort numerically
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
