// Datasets and preprocessing: CSV parsing, Dataset (raw columns + targets),
// Preprocessor (standardize, impute, one-hot; fitted state as JSON).
export { parseCSV } from './csv.js';
export type { CsvOptions, ParsedCsv } from './csv.js';
export { CsvError, DataError, UnknownCategoryError } from './errors.js';
export type { DataErrorLocation } from './errors.js';
