// Datasets and preprocessing: CSV parsing, Dataset (raw columns + targets),
// Preprocessor (standardize, impute, one-hot; fitted state as JSON).
export { parseCSV, detectDelimiter } from './csv.js';
export type { CsvOptions, CsvInput, ParsedCsv } from './csv.js';
export { inferSchema } from './schema.js';
export type { InferredSchema, InferredColumn, InferredCell, InferOptions } from './schema.js';
export { DEFAULT_NA_VALUES } from './spec.js';
export { Dataset } from './dataset.js';
export { windows, levelsOf } from './windows.js';
export type { WindowsOptions } from './windows.js';
export type { DatasetTarget, ColumnValues, SplitOptions } from './dataset.js';
export { Preprocessor } from './preprocessor.js';
export type {
  PreprocessorJSON, PreprocessorColumnState, NumericColumnState, CategoricalColumnState, TransformResult, RawRow, EmbeddingTable,
} from './preprocessor.js';
export { CsvError, DataError, UnknownCategoryError, UnknownClassError, OutOfRangeError } from './errors.js';
export type { DataErrorLocation } from './errors.js';
export type {
  FeatureType, TargetType, NumericImputation, UnknownCategory,
  FeatureSpec, NumericFeatureSpec, CategoricalFeatureSpec, EmbedSpec,
  TargetSpec, BinaryTargetSpec, MulticlassTargetSpec, MultilabelTargetSpec, RegressionTargetSpec,
  DatasetSpec, CsvDatasetSpec, ResolvedFeatureSpec, ResolvedTargetSpec, ResolvedDatasetSpec,
} from './spec.js';
