// Windows of a series: one row per window of `length` consecutive rows of a Dataset
// (rows in time order), its features laid out time-major — every chosen column at
// the window's first step, then at the next, … — the input the conv1d architecture
// reads (src/mtl/arch/conv1d.ts: steps × channels). With targets, each window's
// labels are the values `horizon` steps after its last step (tomorrow's weather
// from the last seven days). Numeric columns stay numbers (a missing value stays
// missing: the model imputes it); a categorical column becomes one 0/1 column per
// level (a missing value: all 0), so every step has the same channels in the same
// order and a window of another series lines up with the training windows.
//
// Feature names: `<column>[t-k]` (k steps before the last, `<column>[t]` the last),
// `<column>=<level>[t-k]` for a level of a categorical column.

import { ArgumentError, ShapeError } from '../runtime/errors.js';
import { checkKeys, show } from '../runtime/validate.js';
import { Dataset, datasetFromColumns } from './dataset.js';
import { UnknownCategoryError } from './errors.js';
import type { TargetSpec } from './spec.js';
import { sortLabels } from './values.js';

export interface WindowsOptions {
  /** Time steps per window (≥ 1): the conv1d architecture's `steps`. */
  length: number;
  /**
   * The columns read at every step (features or targets of the series), in channel
   * order. Default: every feature of the series.
   */
  features?: readonly string[];
  /**
   * The levels of categorical columns among `features`, one 0/1 column each, in this
   * order; a value outside them is an UnknownCategoryError. Default: the levels the
   * series holds, sorted. Give the training windows' levels (`levelsOf`) when you
   * window another series for a model trained on these.
   */
  levels?: Readonly<Record<string, readonly string[]>>;
  /**
   * What to predict: a column of the series → its target spec, read `horizon` steps
   * after each window's last step. Omit for windows to predict from (then every
   * window, up to one ending at the series' last row).
   */
  targets?: Readonly<Record<string, TargetSpec>>;
  /** Steps from a window's last step to its targets (≥ 1). Default 1: the next step. */
  horizon?: number;
}

/** The windowed Dataset of `series`: see the file's header and WindowsOptions. */
export function windows(series: Dataset, options: WindowsOptions): Dataset {
  const where = 'windows';
  if (!(series instanceof Dataset)) throw new ArgumentError(`${where}: the series must be a Dataset (rows in time order), got ${show(series)}`);
  if (typeof options !== 'object' || options === null) throw new ArgumentError(`${where}: options must be an object { length, features?, levels?, targets?, horizon? }, got ${show(options)}`);
  checkKeys(where, options as object, ['length', 'features', 'levels', 'targets', 'horizon']);
  const length = positive(where, 'length', options.length);
  const horizon = options.horizon === undefined ? 1 : positive(where, 'horizon', options.horizon);
  const targets = options.targets ?? {};
  if (typeof targets !== 'object' || targets === null || Array.isArray(targets)) throw new ArgumentError(`${where}: targets must be an object { column: spec }, got ${show(targets)}`);
  const features = options.features ?? series.featureNames;
  if (!Array.isArray(features) || features.length === 0) throw new ArgumentError(`${where}: features must be a non-empty array of column names, got ${show(features)}`);
  const levelsGiven = options.levels ?? {};
  for (const name of Object.keys(levelsGiven)) {
    if (!features.includes(name)) throw new ArgumentError(`${where}: levels are given for ${show(name)}, which is not among the features (${features.map((f) => show(f)).join(', ')})`);
  }
  const labeled = Object.keys(targets).length > 0;
  const n = series.rows, need = length + (labeled ? horizon : 0);
  if (n < need) {
    throw new ShapeError(`${where}: the series has ${n} rows; windows of length ${length}${labeled ? ` with targets ${horizon} step${horizon === 1 ? '' : 's'} ahead` : ''} need at least ${need}`);
  }
  const count = n - need + 1;

  // Each channel: a name and its value at a row of the series.
  const channels: { name: string; at: (r: number) => number }[] = [];
  for (const column of features) {
    if (typeof column !== 'string') throw new ArgumentError(`${where}: features must be column names, got ${show(column)}`);
    const values = series.column(column);
    if (values instanceof Float64Array) {
      if (Object.hasOwn(levelsGiven, column)) throw new ArgumentError(`${where}: levels are given for ${show(column)}, a numeric column`);
      channels.push({ name: column, at: (r) => values[r]! });
      continue;
    }
    if (values.some((v) => Array.isArray(v))) throw new ArgumentError(`${where}: ${show(column)} is a multilabel column; a window's channels are numbers or categories`);
    const cells = values as readonly (string | null)[];
    const levels = Object.hasOwn(levelsGiven, column) ? checkLevels(where, column, levelsGiven[column]) : sortLabels(new Set(cells.filter((v): v is string => v !== null)));
    const index = new Map(levels.map((l, i) => [l, i]));
    cells.forEach((v, r) => {
      if (v !== null && !index.has(v)) {
        throw new UnknownCategoryError(`${where}: column ${show(column)}, row ${r}: ${show(v)} is not one of its levels (${levels.map((l) => show(l)).join(', ')})`, { column, rowIndex: r, value: v }, levels);
      }
    });
    levels.forEach((level, i) => channels.push({ name: `${column}=${level}`, at: (r) => (cells[r] === null ? 0 : index.get(cells[r]!) === i ? 1 : 0) }));
  }

  const columns: Record<string, ArrayLike<unknown>> = {};
  const featureSpec: Record<string, 'numeric'> = {};
  for (let k = length - 1; k >= 0; k--) {
    for (const ch of channels) {
      const name = `${ch.name}[${k === 0 ? 't' : `t-${k}`}]`;
      if (Object.hasOwn(columns, name)) throw new ArgumentError(`${where}: two channels are named ${show(name)} (a column listed twice, or a level that spells another column)`);
      const out = new Float64Array(count);
      // Window w ends at row w + length − 1; its step k before the end is row w + length − 1 − k.
      for (let w = 0; w < count; w++) out[w] = ch.at(w + length - 1 - k);
      columns[name] = out;
      featureSpec[name] = 'numeric';
    }
  }
  for (const target of Object.keys(targets)) {
    if (Object.hasOwn(columns, target)) throw new ArgumentError(`${where}: the target ${show(target)} has the name of a window's feature`);
    if (!series.featureNames.includes(target) && !series.targetNames.includes(target)) {
      throw new ArgumentError(`${where}: the target ${show(target)} is not a column of the series (features: ${series.featureNames.join(', ') || 'none'}; targets: ${series.targetNames.join(', ') || 'none'})`);
    }
    const values = series.column(target);
    columns[target] = Array.from({ length: count }, (_, w) => values[w + length - 1 + horizon]);
  }
  return datasetFromColumns(where, columns, { features: featureSpec, targets });
}

/**
 * A window step's feature as windows() names it, `<channel>[t-k]` (`[t]`: k = 0),
 * with whatever the encoding appends (`temp[t-3]_missing`: channel `temp_missing`);
 * null for any other name.
 */
export function windowStep(name: string): { channel: string; lag: number } | null {
  const m = /^(.*)\[t(?:-(\d+))?\](.*)$/.exec(name);
  return m === null ? null : { channel: m[1]! + m[3]!, lag: m[2] === undefined ? 0 : Number(m[2]) };
}

/**
 * For an architecture over `steps` time steps (conv1d, transformer), where every
 * feature is named as a window step's: they must be `steps` steps of the same
 * channels, time-major, the earliest first — else the trunk would read one channel
 * as another. Features named otherwise are the user's own layout, not checked.
 */
export function checkStepLayout(where: string, names: readonly string[], steps: number): void {
  const parsed = names.map(windowStep);
  if (names.length % steps !== 0 || parsed.some((p) => p === null)) return;
  const channels = names.length / steps;
  parsed.forEach((p, i) => {
    const step = Math.floor(i / channels), channel = parsed[i % channels]!.channel, lag = steps - 1 - step;
    if (p!.lag !== lag || p!.channel !== channel) {
      throw new ShapeError(`${where}: feature ${i} is ${show(names[i])}, but as step ${step + 1} of ${steps} steps of ${channels} channels it should be ` +
        `channel ${show(channel)} at [t${lag === 0 ? '' : `-${lag}`}]: the features are not ${steps} steps of the same channels (windows of another length than steps?)`);
    }
  });
}

/** The levels windows() gave each categorical channel of a windowed Dataset (pass them as `levels` to window another series alike). */
export function levelsOf(windowed: Dataset): Record<string, string[]> {
  const levels: Record<string, string[]> = {};
  for (const name of windowed.featureNames) {
    const m = /^(.*?)=(.*)\[t\]$/.exec(name);
    if (m) (levels[m[1]!] ??= []).push(m[2]!);
  }
  return levels;
}

function positive(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new ShapeError(`${where}: ${name} must be an integer ≥ 1, got ${show(v)}`);
  return v;
}

function checkLevels(where: string, column: string, v: unknown): readonly string[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((l) => typeof l === 'string') || new Set(v).size !== v.length) {
    throw new ArgumentError(`${where}: levels of ${show(column)} must be a non-empty array of distinct strings, got ${show(v)}`);
  }
  return v as readonly string[];
}
