// A Dataset as data a worker thread can be sent (structured clone keeps no class):
// its raw columns and its resolved spec, the class lists fixed, so that the worker
// rebuilds the same rows with the same encodings. Used by the job workers (a
// sweep's runs, an ensemble's members).

import { Dataset } from './dataset.js';
import type { ColumnValues } from './dataset.js';
import type { ResolvedDatasetSpec } from './spec.js';

/** @internal */
export interface DatasetData {
  readonly columns: Record<string, ColumnValues>;
  readonly spec: ResolvedDatasetSpec;
}

/** @internal */
export function datasetData(d: Dataset): DatasetData {
  const columns: Record<string, ColumnValues> = {};
  for (const name of [...d.featureNames, ...d.targetNames]) columns[name] = d.column(name);
  return { columns, spec: d.spec };
}

/** @internal */
export function datasetFrom(data: DatasetData): Dataset {
  return Dataset.fromColumns(data.columns, data.spec as unknown as Parameters<typeof Dataset.fromColumns>[1]);
}
