// npx manytask train|eval|predict — CSV in, model file out.
//
// Everything the user gives is checked here, and every message speaks of what
// they typed (flags, columns, files), not of the library options the CLI
// builds from them.

import { open, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { constants as bufferConstants } from 'node:buffer';
import { init } from './entries/node.js';
import {
  Dataset, parseCSV, inferSchema, DataError, OutOfRangeError, UnknownCategoryError, UnknownClassError,
  type DataErrorLocation, type ParsedCsv, type InferredColumn, type TargetSpec,
} from './data/index.js';
import { DEFAULT_NA_VALUES, type ResolvedDatasetSpec, type TargetType } from './data/spec.js';
import { NUMBER_FORM, cellPlace, listCells, numbersButFew } from './data/schema.js';
import { INVALID, listNames, parseNumberText, toCategory } from './data/values.js';
import { MAX_COUNT, isCount } from './mtl/labels.js';
import { MultiTaskModel, loadModel, type TaskPrediction } from './model/multitask-model.js';
import { tasks as taskMakers, UNSUPERVISED, type TaskSpec, type TaskKind } from './mtl/tasks.js';
import { ArgumentError, ManytaskError } from './runtime/errors.js';
import { checkSeed } from './runtime/validate.js';
import type { EpochLogs } from './mtl/fit.js';
import { formatEvaluation, formatAffinity } from './model/report.js';
import type { ArchitectureSpec } from './mtl/arch/index.js';
import { WEIGHTING_TYPES, type WeightingSpec } from './mtl/weighting/index.js';
import { decodeModel } from './io/format.js';

type SupervisedKind = 'binary' | 'multiclass' | 'multilabel' | 'regression' | 'gaussian' | 'poisson' | 'quantile';
/** The kinds that predict a distribution of a numeric column (read from the CSV as regression targets). */
const DISTRIBUTION_KINDS: readonly SupervisedKind[] = ['gaussian', 'poisson', 'quantile'];
/**
 * How a task's column is read from the CSV. A multilabel cell left empty is a row with none of the
 * labels (a tags column), as predict writes one; an NA text is a row whose labels are unknown.
 */
const targetType = (kind: SupervisedKind): TargetSpec =>
  kind === 'multilabel' ? { type: 'multilabel', none: '' } : DISTRIBUTION_KINDS.includes(kind) ? 'regression' : kind as TargetType;
type FeatureKind = 'numeric' | 'categorical';

const USAGE = `manytask — multi-task learning from CSV files

Usage:
  manytask train <data.csv> --task <column>:<kind> [--task …] [options]
  manytask eval <model.mtsk> <data.csv> [--na …] [--delimiter …]
  manytask predict <model.mtsk> <data.csv> [--out predictions.csv|.json] [--id <column>] [--max-deviation 10]
  manytask --help | --version

Kinds: binary, multiclass, multilabel, regression; gaussian, poisson (counts) and
quantile (0.05, 0.5, 0.95) predict a distribution of a numeric column, with an
interval. A missing cell means "no label"; for multilabel, an empty cell is a
row with none of the labels and an NA text (--na) a row without a label.

Reading the CSV (train, eval, predict):
  --delimiter ,|;|tab|'|'   the field delimiter (default: detected from the file)
  --na <text>               a text meaning "missing" (repeat for more); replaces
                            the default ${DEFAULT_NA_VALUES.join(', ')}
                            (--na '' for none). Empty cells are always missing.
                            eval and predict use the model's training choice.

train: the columns
  Every column that is not a task is a feature, of the type inferred from its
  values (numeric, or categorical: one-hot, or a learned table of floats per
  level above 50 levels); text that differs on most rows (ids, names), row
  numbers (integers one more on each row), dates, unnamed and empty columns
  are left out. The schema is printed before training and stored in the
  model. Change it with:
  --feature <column>[:numeric|categorical]   use this column (as this type)
  --ignore <column>                          leave this column out
  --embed <column>:<dim>[:<table>]           use this column as identifiers: a
                                             table of <dim> floats per level;
                                             columns naming one table share it
  --one-hot <column>                         keep this column one-hot

train: the model
  --arch sharedBottom|mmoe|omoe|cgc|ple|crossStitch   (default mmoe)
  --units 64,32          trunk / expert / column layer widths (default 32)
  --tower 16             tower layer widths per task (default 16)
  --experts 4            experts (mmoe, omoe), or shared experts (cgc, ple)
  --weighting <type>     joint-loss weighting (default fixed), one of:
                         ${WEIGHTING_TYPES.map((t, i) => (i === 0 ? '' : i % 9 === 0 ? '\n                         ' : ' ') + t).join('')}
  --epochs 100  --batch-size 32  --lr 0.001  --seed 0
  --validation-split 0.2 --patience 20       early stopping on val_loss, best weights kept
                                             (--validation-split 0: no validation, all rows train)
  --out model.mtsk       where to save the model (default model.mtsk)
  --weights f32|f16|int8 how the file stores the weights (default f32)
  --quiet                no progress display

predict: the rows
  --max-deviation <k>    refuse (exit 1) a row with a numeric value more than k
                         standard deviations from its column's training mean, or
                         other than the one value a column held in training
                         (default 10; none: no check)

predict: the output (CSV, or JSON with --out *.json), one row per input row
  row (or the --id column), then per task: <task> the prediction; for binary and
  multiclass tasks <task>_confidence, the probability of the predicted class;
  multilabel labels joined by | (empty: none of them).
`;

class UsageError extends Error {}

const BOOLEAN_FLAGS = new Map([['quiet', 'quiet'], ['help', 'help'], ['h', 'help'], ['version', 'version'], ['V', 'version']]);
const CSV_FLAGS = ['na', 'delimiter'];
const COMMAND_FLAGS: ReadonlyMap<string, readonly string[]> = new Map([
  ['train', [...CSV_FLAGS, 'task', 'feature', 'ignore', 'embed', 'one-hot', 'arch', 'units', 'tower', 'experts', 'weighting', 'epochs', 'batch-size', 'lr', 'seed', 'validation-split', 'patience', 'out', 'weights', 'quiet']],
  ['eval', CSV_FLAGS],
  ['predict', [...CSV_FLAGS, 'out', 'id', 'max-deviation']],
]);

const ALL_FLAGS = new Set([...COMMAND_FLAGS.values()].flat());

interface Args { positional: string[]; flags: Map<string, string[]> }

/** `takesValue`: the options whose next argument is their value (the command's, when it comes first). */
function parseArgs(argv: readonly string[], takesValue: ReadonlySet<string> = ALL_FLAGS): Args {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const short = /^-([hV])$/.exec(a);
    if (short || a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = short ? short[1]! : eq > 0 ? a.slice(2, eq) : a.slice(2);
      const boolean = BOOLEAN_FLAGS.get(name);
      if (boolean !== undefined) {
        if (eq > 0) throw new UsageError(`--${name} takes no value`);
        flags.set(boolean, ['true']);
        continue;
      }
      // An option the command does not know takes no value: checkFlags names it (a value after it stays an argument).
      if (!takesValue.has(name)) { flags.set(name, []); continue; }
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, [...(flags.get(name) ?? []), value]);
    } else {
      positional.push(a);
    }
  }
  return { positional, flags };
}

/** Without a command: the options no command knows. */
function checkFlags(args: Args, command?: string): void {
  const known = command === undefined ? [...ALL_FLAGS, 'help', 'version'] : COMMAND_FLAGS.get(command)!;
  for (const f of args.flags.keys()) {
    if (!known.includes(f)) {
      const near = known.filter((k) => editDistance(k, f) <= 2);
      throw new UsageError(`unknown option --${f}${command === undefined ? '' : ` for ${command}`}${near.length ? ` (did you mean --${near.join(', --')}?)` : ''}`);
    }
  }
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

function one(args: Args, name: string, fallback?: string): string | undefined {
  const v = args.flags.get(name);
  if (v && v.length > 1) throw new UsageError(`--${name} is given ${v.length} times`);
  return v?.[0] ?? fallback;
}

function num(args: Args, name: string, fallback: number, integer = false): number {
  const text = one(args, name);
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got "${text}"`);
  return v;
}

/** Runs a library check of an option: its ArgumentError is a mistake in the command (exit code 2). */
function asUsage<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof ArgumentError) throw new UsageError(err.message);
    throw err;
  }
}

function widths(args: Args, name: string, fallback: number[]): number[] {
  const text = one(args, name);
  if (text === undefined) return fallback;
  if (text === '' || text === 'none') return [];
  const w = text.split(',').map((s) => Number(s.trim()));
  if (w.some((v) => !Number.isInteger(v) || v < 1)) throw new UsageError(`--${name} must be comma-separated layer widths like 64,32, got "${text}"`);
  return w;
}

/** `<column>:<suffix>`, split at the last colon (column names may hold colons). */
function columnAnd(entry: string): [string, string | undefined] {
  const at = entry.lastIndexOf(':');
  return at < 0 ? [entry, undefined] : [entry.slice(0, at), entry.slice(at + 1)];
}

// ---------------------------------------------------------------- reading files

/**
 * Node's longest string (V8: 2²⁹ − 24 UTF-16 units). UTF-8 never takes fewer
 * bytes than UTF-16 units, so a file at most this long always fits.
 */
const MAX_CSV_BYTES = bufferConstants.MAX_STRING_LENGTH;

/** `what` names the argument: "train: the CSV file", "--out". */
function checkPath(path: string | undefined, what: string): string {
  if (path === undefined) throw new UsageError(`${what} is missing`);
  if (path.trim() === '') throw new UsageError(`${what} is an empty file name`);
  return path;
}

/**
 * Refuses an --out that is one of the command's input files (the same file once links are
 * followed): writing it would replace the input, and the command would succeed.
 */
async function notAnInput(out: string, input: string, what: string, written: string): Promise<void> {
  const real = (path: string) => realpath(path).catch(() => null);
  const target = await real(out);
  if (target !== null && target === await real(input)) {
    throw new UsageError(`--out ${out} is ${what} (${input}): ${written} would replace it; choose another --out`);
  }
}

/** A failure that is not a usage mistake: exit code 1, the message as it is. */
class CliError extends Error {}

/** A file-system call whose failure names the path as the user gave it. */
async function fileOp<T>(verb: 'read' | 'write', path: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string') throw err;
    const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : code === 'EISDIR' ? 'it is a directory' : code === 'ENOTDIR' ? 'a part of the path is not a directory' : code;
    throw new CliError(`cannot ${verb} ${path}: ${why}`);
  }
}

/**
 * Writes `data` to `path` whole or not at all: into a temporary file beside it, flushed to disk,
 * then renamed over `path`. A save that is interrupted (a crash, Ctrl-C, a full disk) leaves the
 * previous file as it was, never a truncated one. A symbolic link is followed (its target is
 * replaced), and the new file keeps the old one's permission bits.
 */
async function writeWhole(path: string, data: string | Uint8Array): Promise<void> {
  await fileOp('write', path, async () => {
    const target = await realpath(path).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return path; throw err; });
    const previous = await stat(target).catch(() => null);
    const temp = join(dirname(target), `${basename(target)}.${process.pid}.tmp`);
    try {
      const handle = await open(temp, 'w');
      try {
        if (previous?.isFile()) await handle.chmod(previous.mode & 0o777);
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw err;
    }
  });
}

async function readBytes(path: string, maxBytes = Infinity): Promise<Uint8Array> {
  return fileOp('read', path, async () => {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    if (info.size > maxBytes) {
      throw new CliError(`${path} is ${(info.size / 2 ** 20).toFixed(0)} MB; the CLI reads CSV files of up to ${(maxBytes / 2 ** 20).toFixed(0)} MB ` +
        "(Node's longest string): split the file, or sample its rows");
    }
    return readFile(path);
  });
}

/**
 * A hint for a name in the file that differs from one the model (or the command, `whose`) wants
 * only in another Unicode normal form ("é" as one code point, NFC, or as "e" and a combining
 * accent, NFD: the two print alike), in the whitespace around it, or in case. '' when none.
 */
function otherForm(inFile: string, wanted: readonly string[], whose = "the model's"): string {
  const forms: [(t: string) => string, string][] = [
    [(t) => t.normalize('NFC'), 'are the same letters written with other Unicode code points (normal forms NFC and NFD): ' +
      (whose === "the model's" ? 'save the file in the form of the training file (NFC, as most programs write)' : 'copy the name from the file')],
    [(t) => t.normalize('NFC').trim(), 'differ only in the spaces around them'],
    [(t) => t.normalize('NFC').trim().toLowerCase(), 'differ only in case'],
  ];
  for (const [form, how] of forms) {
    const twin = wanted.find((k) => k !== inFile && form(k) === form(inFile));
    if (twin !== undefined) return `; the file's ${JSON.stringify(inFile)} and ${whose} ${JSON.stringify(twin)} ${how}`;
  }
  return '';
}

/** The hint of otherForm for a column name typed on the command line that the file has in another form. */
function nearColumn(typed: string, header: readonly string[]): string {
  return header.map((h) => otherForm(h, [typed], "the command's")).find((hint) => hint !== '') ?? '';
}

/**
 * Runs `read` and names the file in data errors: the library says where it was
 * called ("Dataset.fromCSV: …"), the user only knows the file.
 */
function inFile<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof UnknownCategoryError) {
      // Its message ends with the API option that accepts new categories, which a CLI user cannot set.
      const row = err.rowIndex === undefined ? '' : `, row ${err.rowIndex + 1}${err.line !== undefined ? ` (line ${err.line})` : ''}`;
      throw new CliError(`${path}: column "${err.column}"${row}: ${JSON.stringify(err.value)} is a category the model did not see in training ` +
        `(it knows ${err.known.map((k) => JSON.stringify(k)).join(', ')})${otherForm(err.value ?? '', err.known)}`);
    }
    if (err instanceof ManytaskError) err.message = err.message.replace(/^(?:Dataset\.fromCSV|parseCSV|predict|evaluate|Preprocessor\.transform): /, `${path}: `);
    if (err instanceof UnknownClassError) err.message += otherForm(err.value ?? '', err.known);
    throw err;
  }
}

interface CsvChoices { delimiter?: string; naValues?: string[] }

function csvChoices(args: Args): CsvChoices {
  const choices: CsvChoices = {};
  const d = one(args, 'delimiter');
  if (d !== undefined) {
    const delimiter = d === 'tab' || d === '\\t' ? '\t' : d;
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new UsageError(`--delimiter must be one character (or "tab"), not a quote or a line break, got "${d}"`);
    }
    choices.delimiter = delimiter;
  }
  const na = args.flags.get('na');
  if (na !== undefined) choices.naValues = na.filter((v) => v.trim() !== '').map((v) => v.trim());
  return choices;
}

async function readCsv(path: string, choices: CsvChoices): Promise<{ bytes: Uint8Array; csv: ParsedCsv }> {
  const bytes = await readBytes(path, MAX_CSV_BYTES);
  const csv = inFile(path, () => parseCSV(bytes, choices.delimiter !== undefined ? { delimiter: choices.delimiter } : {}));
  const seen = new Set<string>();
  for (const name of csv.header) {
    // Unnamed columns (pandas' index and its levels) are never read: there may be several.
    if (seen.has(name) && name !== '') throw new CliError(`${path}: the header names column ${JSON.stringify(name)} twice`);
    seen.add(name);
  }
  return { bytes, csv };
}

function describeCsv(path: string, csv: ParsedCsv, naValues: readonly string[]): string {
  const delimiter = csv.delimiter === '\t' ? 'tab' : `"${csv.delimiter}"`;
  return `${path}: ${csv.rows.length} rows, ${csv.header.length} columns, delimiter ${delimiter}, missing: empty${naValues.length ? `, ${naValues.join(', ')}` : ''}`;
}

// ---------------------------------------------------------------- train

const KINDS: readonly SupervisedKind[] = ['binary', 'multiclass', 'multilabel', 'regression', ...DISTRIBUTION_KINDS];

/** One line of the printed (and stored) schema. */
interface SchemaEntry {
  name: string;
  role: 'task' | 'feature' | 'ignored';
  /** task: its kind; feature: numeric or categorical. */
  kind?: string;
  /** Categorical features: distinct values in the file; classification tasks: classes. */
  levels?: number;
  /** Categorical features: --embed's table, or false for --one-hot (otherwise the Dataset's default). */
  embed?: { dim: number; table: string } | false;
  missing: number;
  /** Multilabel tasks: rows with none of the labels (an empty cell), not counted in `missing`. */
  empty?: number;
  /** Why an ignored column is left out. */
  note?: string;
}

/**
 * `use` (a flag and its value) needs numbers, and column `col` of `file` holds cells that are not.
 * A column of numbers but for a few cells is a data error naming them (exit code 1; fixing
 * the cells fixes it); a column of text is a usage error (exit code 2) ending with `advice`.
 */
function notNumeric(file: string, use: string, col: InferredColumn, advice = ''): Error {
  const [first, ...others] = col.notNumberCells;
  if (!first) throw new Error(`notNumeric: column ${JSON.stringify(col.name)} is numeric`);
  if (!numbersButFew(col)) return new UsageError(`${use}: column "${col.name}" is not numeric (e.g. "${first.value}")${advice}`);
  const nor = col.notNumbers === 1 ? '' : `, nor ${col.notNumbers === 2 ? 'is' : 'are'} ${listCells(others, col.notNumbers - 1)}`;
  const fix = col.notNumbers === 1 ? 'every other value of the column is one: correct the cell or empty it (a missing value)'
    : `the column's other ${col.numbers} values are: correct these cells or empty them (missing values)`;
  return new CliError(`${file}: column ${JSON.stringify(col.name)}, ${cellPlace(first)}: ${JSON.stringify(first.value)} is not a number${nor}, ` +
    `and ${use} needs numbers; ${fix}; ${NUMBER_FORM}`);
}

function checkTaskColumn(file: string, flag: string, kind: SupervisedKind, col: InferredColumn): void {
  if (col.distinct === 0) {
    throw new UsageError(kind === 'multilabel'
      ? `${flag}: column "${col.name}" has no labels: every cell is empty (none of the labels) or missing, and a multilabel task needs at least one label`
      : `${flag}: column "${col.name}" has no values (every cell is missing)`);
  }
  if ((kind === 'regression' || DISTRIBUTION_KINDS.includes(kind)) && !col.numeric) {
    throw notNumeric(file, flag, col, `: a ${kind} task needs numbers; use ${col.name}:multiclass for classes`);
  }
  if (kind === 'binary' && col.distinct !== 2) {
    const values = col.levels ? ` (${listNames(col.levels, 6)})` : '';
    throw new UsageError(col.distinct < 2
      ? `${flag}: column "${col.name}" has only the value "${col.example}": a binary task needs two classes`
      : `${flag}: column "${col.name}" has ${col.distinct} values${values}: a binary task takes two; use ${col.name}:multiclass`);
  }
}

/**
 * A poisson task's labels are counts, checked on the cells as written: the library checks the
 * float32 labels of the training part, where a row is not the file's and 3.0000001 is 3.
 */
function checkCounts(file: string, csv: ParsedCsv, name: string, naValues: readonly string[]): void {
  const at = csv.header.indexOf(name);
  for (let r = 0; r < csv.rows.length; r++) {
    const text = (csv.rows[r]![at] ?? '').trim();
    const v = parseNumberText(text, naValues);
    if (v !== INVALID && !Number.isNaN(v) && !isCount(v)) {
      throw new CliError(`${file}: column ${JSON.stringify(name)}, row ${r + 1} (line ${csv.lines[r]!}): ${JSON.stringify(text)} is not a count: ` +
        `a poisson task needs whole numbers from 0 to ${MAX_COUNT}; for other numbers use ${name}:gaussian`);
    }
  }
}

function planColumns(args: Args, file: string, columns: readonly InferredColumn[], taskKinds: ReadonlyMap<string, SupervisedKind>): SchemaEntry[] {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const has = (flag: string, entry: string, name: string): InferredColumn => {
    const col = byName.get(name);
    const names = columns.map((c) => c.name);
    if (!col) throw new UsageError(`${flag} ${entry}: ${file} has no column ${JSON.stringify(name)} (columns: ${listNames(names, 30)})${nearColumn(name, names)}`);
    if (name === '' && flag !== '--ignore') throw new UsageError(`${flag} ${entry}: column ${names.indexOf('') + 1} of ${file} has no name: name it in the header to use it`);
    return col;
  };
  const forced = new Map<string, FeatureKind | undefined>();
  for (const entry of args.flags.get('feature') ?? []) {
    const [name, kind] = columnAnd(entry);
    const col = has('--feature', entry, name);
    if (kind !== undefined && kind !== 'numeric' && kind !== 'categorical') throw new UsageError(`--feature ${entry}: the type must be numeric or categorical, got "${kind}"`);
    if (taskKinds.has(name)) throw new UsageError(`--feature ${entry}: "${name}" is a task (--task); a column is a task or a feature`);
    if (kind === 'numeric' && !col.numeric) throw notNumeric(file, `--feature ${entry}`, col);
    // Numbers with a few mistakes are no categories: the type they suggest is numeric, once the cells are fixed.
    if (kind === undefined && col.type === 'ignored' && numbersButFew(col)) throw notNumeric(file, `--feature ${entry}`, col);
    if (forced.has(name)) throw new UsageError(`--feature ${name} is given twice`);
    forced.set(name, kind);
  }
  const encodings = new Map<string, { dim: number; table: string } | false>();
  const encode = (flag: string, entry: string, name: string, how: { dim: number; table: string } | false): void => {
    const col = has(flag, entry, name);
    if (taskKinds.has(name)) throw new UsageError(`${flag} ${entry}: "${name}" is a task (--task); a column is a task or a feature`);
    if (forced.get(name) === 'numeric') throw new UsageError(`${flag} ${entry}: "${name}" is given as --feature ${name}:numeric`);
    if (col.distinct === 0) throw new UsageError(`${flag} ${entry}: column "${name}" has no values (every cell is missing)`);
    if (encodings.has(name)) throw new UsageError(`${flag} ${entry}: "${name}" is given --embed or --one-hot twice`);
    encodings.set(name, how);
  };
  for (const entry of args.flags.get('embed') ?? []) {
    // <column>:<dim> or <column>:<dim>:<table> (a column name may hold ':' itself).
    const parts = entry.split(':');
    const withTable = parts.length >= 3 && /^\d+$/.test(parts[parts.length - 2]!);
    const table = withTable ? parts.pop()! : undefined;
    const dimText = parts.length >= 2 ? parts.pop()! : '';
    const name = parts.join(':');
    const dim = Number(dimText);
    if (!/^\d+$/.test(dimText) || dim < 1 || dim > 4096) throw new UsageError(`--embed ${entry}: expected <column>:<dim>[:<table>] with dim an integer from 1 to 4096`);
    if (table !== undefined && (table === '' || table.includes('.'))) throw new UsageError(`--embed ${entry}: the table name must be non-empty, without "."`);
    encode('--embed', entry, name, { dim, table: table ?? name });
  }
  for (const name of args.flags.get('one-hot') ?? []) encode('--one-hot', name, name, false);
  const ignored = new Set<string>();
  for (const name of args.flags.get('ignore') ?? []) {
    has('--ignore', name, name);
    if (taskKinds.has(name)) throw new UsageError(`--ignore ${name}: "${name}" is a task (--task)`);
    if (forced.has(name) || encodings.has(name)) throw new UsageError(`--ignore ${name}: "${name}" is also given with --feature, --embed or --one-hot`);
    ignored.add(name);
  }
  return columns.map((col): SchemaEntry => {
    const task = taskKinds.get(col.name);
    const levels = col.distinct;
    if (task !== undefined) {
      return { name: col.name, role: 'task', kind: task, missing: col.missing, ...(task === 'multiclass' || task === 'binary' ? { levels } : {}) };
    }
    if (ignored.has(col.name)) return { name: col.name, role: 'ignored', missing: col.missing, note: '--ignore' };
    const encoding = encodings.get(col.name);
    // --embed and --one-hot make a column a categorical feature (ids the inference left out included).
    if (encoding !== undefined) return { name: col.name, role: 'feature', kind: 'categorical', missing: col.missing, levels, embed: encoding };
    if (forced.has(col.name)) {
      const kind = forced.get(col.name) ?? (col.type !== 'ignored' ? col.type : col.numeric ? 'numeric' : 'categorical');
      return { name: col.name, role: 'feature', kind, missing: col.missing, ...(kind === 'categorical' ? { levels } : {}) };
    }
    if (col.type === 'ignored') {
      // The note of numbers with a few mistakes says which cells to fix; as categories they would be one-hot numbers.
      const use = col.name === '' ? null : col.numeric ? 'numeric' : numbersButFew(col) ? null : 'categorical';
      return { name: col.name, role: 'ignored', missing: col.missing, note: use ? `${col.note!}. To use it: --feature ${col.name}:${use}` : col.note! };
    }
    return { name: col.name, role: 'feature', kind: col.type, missing: col.missing, ...(col.type === 'categorical' ? { levels } : {}) };
  });
}

function formatSchema(entries: readonly SchemaEntry[], spec: ResolvedDatasetSpec): string {
  const targets = new Map(Object.entries(spec.targets));
  const features = new Map(Object.entries(spec.features));
  // An unnamed column (pandas' index) is shown as "".
  const shown = (name: string) => (name === '' ? '""' : name);
  const width = Math.max(...entries.map((e) => shown(e.name).length));
  return entries.map((e) => {
    let what: string;
    if (e.role === 'task') {
      const t = targets.get(e.name);
      what = t?.type === 'binary' ? `binary (${t.negative} / ${t.positive}; positive: ${t.positive})`
        : t?.type === 'multiclass' ? `multiclass, ${t.classes.length} classes`
          : t?.type === 'multilabel' ? `multilabel, ${t.labels.length} labels`
            : e.kind === 'regression' ? 'regression' : `${e.kind!} (a distribution of the numbers)`;
      if (e.empty) what += `, ${e.empty} rows with none of them`;
      if (e.missing) what += `, ${e.missing} rows without a label`;
    } else if (e.role === 'feature') {
      const f = features.get(e.name);
      const embed = f?.type === 'categorical' ? f.embed : false;
      what = e.kind !== 'categorical' ? 'numeric'
        : `categorical, ${e.levels} levels${embed ? `, embedded: ${embed.dim} floats per level${embed.table === e.name ? '' : ` (table ${embed.table})`}` : ''}`;
      if (e.missing) what += `, ${e.missing} missing`;
    } else {
      what = e.note ?? '';
    }
    return `  ${shown(e.name).padEnd(width)}  ${e.role.padEnd(7)}  ${what}`;
  }).join('\n');
}

async function train(args: Args): Promise<void> {
  checkFlags(args, 'train');
  const [fileArg, ...extra] = args.positional;
  if (extra.length > 0) throw new UsageError(`train takes one CSV file, got ${args.positional.length}: ${args.positional.join(' ')}`);
  const file = checkPath(fileArg, 'train: the CSV file');
  const weights = one(args, 'weights', 'f32')!;
  if (weights !== 'f32' && weights !== 'f16' && weights !== 'int8') throw new UsageError(`--weights must be f32, f16 or int8, got "${weights}"`);
  const taskArgs = args.flags.get('task') ?? [];
  if (taskArgs.length === 0) throw new UsageError('train needs at least one --task <column>:<kind>');
  const taskKinds = new Map<string, SupervisedKind>();
  for (const t of taskArgs) {
    const [name, kind] = columnAnd(t);
    if (!name || !KINDS.includes(kind as SupervisedKind)) throw new UsageError(`--task ${t}: expected <column>:<kind> with kind one of ${KINDS.join(', ')}`);
    if (taskKinds.has(name)) throw new UsageError(`--task ${name} is given twice`);
    taskKinds.set(name, kind as SupervisedKind);
  }
  const specs: TaskSpec[] = [...taskKinds].map(([name, kind]) => taskMakers[kind](name));
  // predict writes a table: the columns of two tasks must differ (y:gaussian writes y_lower; a task y_lower would too).
  const outputs = specs.map((t) => ({ name: t.name, columns: predictionColumnNames(t.name, t.kind, t.quantiles ?? []) }));
  const shared = sharedColumn(outputs);
  if (shared) {
    const task = (name: string) => `--task ${name}:${taskKinds.get(name)!}`;
    const writes = (name: string) => outputs.find((t) => t.name === name)!.columns.join(', ');
    throw new UsageError(`${task(shared.first)} and ${task(shared.second)}: predict would write two columns named "${shared.column}" ` +
      `(${shared.first} writes ${writes(shared.first)}; ${shared.second} writes ${writes(shared.second)}); rename one of the two columns in the file`);
  }
  const arch = one(args, 'arch', 'mmoe')!;
  const units = widths(args, 'units', [32]);
  const tower = widths(args, 'tower', [16]);
  const experts = num(args, 'experts', 4, true);
  const architecture: ArchitectureSpec =
    arch === 'sharedBottom' ? { type: 'sharedBottom', units, towerUnits: tower }
      : arch === 'mmoe' ? { type: 'mmoe', experts, expertUnits: units, towerUnits: tower }
        : arch === 'omoe' ? { type: 'omoe', experts, expertUnits: units, towerUnits: tower }
          : arch === 'cgc' ? { type: 'cgc', sharedExperts: experts, taskExperts: 1, expertUnits: units, towerUnits: tower }
            : arch === 'ple' ? { type: 'ple', levels: 2, sharedExperts: experts, taskExperts: 1, expertUnits: units, towerUnits: tower }
              : arch === 'crossStitch' ? { type: 'crossStitch', units, towerUnits: tower }
                : (() => { throw new UsageError(`--arch must be sharedBottom, mmoe, omoe, cgc, ple or crossStitch, got "${arch}"`); })();
  const weightingType = one(args, 'weighting', 'fixed')!;
  if (!(WEIGHTING_TYPES as readonly string[]).includes(weightingType)) throw new UsageError(`--weighting must be one of ${WEIGHTING_TYPES.join(', ')}, got "${weightingType}"`);
  // The library's rule for a seed (the split, the model and fit take it), as a usage error naming --seed.
  const seed = asUsage(() => checkSeed('--seed', num(args, 'seed', 0, true)));
  const epochs = num(args, 'epochs', 100, true);
  if (epochs < 1) throw new UsageError(`--epochs must be at least 1, got ${epochs}`);
  const batchSize = num(args, 'batch-size', 32, true);
  if (batchSize < 1) throw new UsageError(`--batch-size must be at least 1, got ${batchSize}`);
  const patience = num(args, 'patience', 20, true);
  if (patience < 0) throw new UsageError(`--patience must be 0 or more, got ${patience}`);
  const learningRate = num(args, 'lr', 1e-3);
  if (!(learningRate > 0)) throw new UsageError(`--lr must be a positive number, got ${learningRate}`);
  const valFraction = num(args, 'validation-split', 0.2);
  if (!(valFraction >= 0 && valFraction < 1)) throw new UsageError(`--validation-split must be from 0 (no validation) to less than 1, got ${valFraction}`);
  // Early stopping watches the validation loss: without validation there is nothing to watch.
  if (valFraction === 0 && args.flags.has('patience')) throw new UsageError('--patience stops on the validation loss, and --validation-split 0 leaves no validation rows');
  const out = checkPath(one(args, 'out', 'model.mtsk'), '--out');
  await notAnInput(out, file, 'the training file', 'the model');

  const choices = csvChoices(args);
  const { bytes, csv } = await readCsv(file, choices);
  const schema = inferSchema(csv, choices.naValues ? { naValues: choices.naValues } : {});
  const byName = new Map(schema.columns.map((c) => [c.name, c]));
  for (const [name, kind] of taskKinds) {
    const col = byName.get(name);
    if (!col) throw new UsageError(`--task ${name}:${kind}: ${file} has no column ${JSON.stringify(name)} (columns: ${listNames(csv.header, 30)})${nearColumn(name, csv.header)}`);
    checkTaskColumn(file, `--task ${name}:${kind}`, kind, col);
  }
  const plan = planColumns(args, file, schema.columns, taskKinds);
  const features = plan.filter((e) => e.role === 'feature');
  if (features.length === 0) throw new UsageError(`no feature columns are left in ${file}: name some with --feature <column>[:numeric|categorical]`);

  const data = inFile(file, () => Dataset.fromCSV(bytes, {
    features: Object.fromEntries(features.map((e) => [e.name, e.embed === undefined ? e.kind as FeatureKind : { type: 'categorical' as const, embed: e.embed }])),
    targets: Object.fromEntries([...taskKinds].map(([name, kind]) => [name, targetType(kind)])),
    naValues: schema.naValues,
    delimiter: csv.delimiter,
  }));
  for (const [name, kind] of taskKinds) if (kind === 'poisson') checkCounts(file, csv, name, schema.naValues);
  // A random (seeded) validation split: CSV files are often sorted, so the last rows are no sample.
  const trainRows = Math.round((1 - valFraction) * data.rows);
  if (valFraction > 0 && (trainRows < 1 || trainRows > data.rows - 1)) {
    throw new UsageError(`--validation-split ${valFraction} of ${data.rows} rows leaves no ${trainRows < 1 ? 'training' : 'validation'} rows`);
  }
  for (const e of plan) {
    if (e.role !== 'task' || e.kind !== 'multilabel') continue;
    const at = csv.header.indexOf(e.name);
    e.empty = csv.rows.filter((row) => (row[at] ?? '').trim() === '').length;
    e.missing -= e.empty;
  }
  console.log(`${describeCsv(file, csv, schema.naValues)}\n${formatSchema(plan, data.spec)}\n`);
  const [trainPart, valPart] = valFraction > 0 ? data.split(1 - valFraction, { seed }) : [data, null];
  const model = new MultiTaskModel({
    input: trainPart, architecture, tasks: specs, seed,
    weighting: { type: weightingType } as WeightingSpec,
    optimizer: { type: 'adam', learningRate },
  });
  try {
    const progress = args.flags.has('quiet') ? null : new Progress(epochs);
    const history = await model.fit(trainPart, {
      epochs, batchSize, seed,
      ...(valPart ? { validationData: valPart, earlyStopping: { patience } } : {}),
      callbacks: { onEpochEnd: (epoch, logs) => { progress?.update(epoch, logs); } },
    });
    progress?.done();
    const best = history.epochs[history.bestEpoch]!;
    console.log(valPart ? `trained ${history.epochs.length} epochs (${history.reason === 'earlyStopping' ? 'stopped early; ' : ''}weights of epoch ${history.bestEpoch + 1} kept)`
      : `trained ${history.epochs.length} epochs on all ${data.rows} rows (no validation)`);
    if (best.val && valPart) console.log(`\nvalidation (${valPart.rows} random rows, seed ${seed}):\n${formatEvaluation(best.val)}`);
    const affinity = model.taskAffinity();
    if (affinity) console.log(`\n${formatAffinity(affinity)}`);
    // The schema, not the file's path: the model may be served (a Worker's GET /model shows its metadata).
    const stored: StoredSchema = { naValues: [...schema.naValues], columns: plan };
    const saved = model.save({ weights, metadata: { schema: stored as unknown as Record<string, unknown> } });
    await writeWhole(out, saved);
    console.log(`\nsaved ${out} (${(saved.length / 1024).toFixed(1)} KB)`);
  } finally {
    model.dispose();
  }
}

/** What `train` stores as metadata.schema in the model file. */
interface StoredSchema { naValues: string[]; columns: SchemaEntry[] }

// ---------------------------------------------------------------- eval, predict

interface LoadedModel { model: MultiTaskModel; naValues: readonly string[] | undefined }

async function readModel(path: string): Promise<LoadedModel> {
  const bytes = await readBytes(path);
  let model: MultiTaskModel;
  try {
    model = loadModel(bytes);
  } catch (err) {
    // The library speaks of "a model file": the user may have given several files.
    if (err instanceof ManytaskError) err.message = `${path}: ${err.message}`;
    throw err;
  }
  // Files from `train` carry the missing-value texts they were read with.
  const schema = decodeModel(bytes).header.metadata as { schema?: { naValues?: unknown } } | undefined;
  const na = schema?.schema?.naValues;
  return { model, naValues: Array.isArray(na) && na.every((v) => typeof v === 'string') ? na : undefined };
}

async function datasetFor(loaded: LoadedModel, file: string, args: Args, withTargets: boolean): Promise<{ data: Dataset; csv: ParsedCsv }> {
  const { model } = loaded;
  const choices = csvChoices(args);
  const { bytes, csv } = await readCsv(file, choices);
  const spec = model.inputSpec();
  const header = new Set(csv.header);
  const lacking = Object.keys(spec).filter((c) => !header.has(c));
  if (lacking.length > 0) {
    throw new CliError(`${file} lacks the model's input column${lacking.length > 1 ? 's' : ''} ${listNames(lacking, 12)} ` +
      `(the model reads ${listNames(Object.keys(spec), 12)}; the file has ${listNames(csv.header, 12)})` +
      (csv.header.map((h) => otherForm(h, lacking)).find((hint) => hint !== '') ?? ''));
  }
  const naValues = choices.naValues ?? loaded.naValues;
  let supervised = model.tasks.filter((t) => !UNSUPERVISED.includes(t.kind) && header.has(t.name));
  if (withTargets && supervised.length === 0) {
    throw new CliError(`${file} has none of the model's task columns (${listNames(model.tasks.filter((t) => !UNSUPERVISED.includes(t.kind)).map((t) => t.name), 12)}): nothing to evaluate`);
  }
  if (withTargets) {
    // A task column without a label in any row is left out, as the file without it would be, and named.
    const unlabeled = supervised.filter((t) => !hasLabel(csv, t, naValues ?? DEFAULT_NA_VALUES));
    if (unlabeled.length === supervised.length) {
      throw new CliError(`${file}: the task column${unlabeled.length > 1 ? 's' : ''} ${listNames(unlabeled.map((t) => t.name), 12)} ` +
        `${unlabeled.length > 1 ? 'have' : 'has'} no labels (every cell is missing): nothing to evaluate`);
    }
    if (unlabeled.length > 0) {
      process.stderr.write(`manytask: ${file}: not evaluated: task${unlabeled.length > 1 ? 's' : ''} ${listNames(unlabeled.map((t) => t.name), 12)}, ` +
        `whose column${unlabeled.length > 1 ? 's have' : ' has'} no labels (every cell is missing)\n`);
      supervised = supervised.filter((t) => !unlabeled.includes(t));
    }
  }
  // Labels are matched to the model's classes by name; a binary column is read with the
  // model's two classes, so a file holding only one of them (all "female") still reads.
  const target = (t: TaskSpec): TargetSpec => {
    const classes = t.kind === 'binary' || t.kind === 'multilabel' ? loaded.model.classNames(t.name) : null;
    if (classes && t.kind === 'multilabel') return { type: 'multilabel', none: '', labels: classes };
    return classes ? { type: 'binary', negative: classes[0]!, positive: classes[1]! } : targetType(t.kind as SupervisedKind);
  };
  const targets = withTargets ? Object.fromEntries(supervised.map((t) => [t.name, target(t)])) : {};
  const data = inFile(file, () => {
    try {
      return Dataset.fromCSV(bytes, { features: spec, targets, delimiter: csv.delimiter, ...(naValues !== undefined ? { naValues } : {}) });
    } catch (err) {
      throw unknownBinaryClass(file, model, err) ?? err;
    }
  });
  return { data, csv };
}

/** Whether task `t`'s column holds a label in some row, by the rule the Dataset reads it with (targetType). */
function hasLabel(csv: ParsedCsv, t: TaskSpec, naValues: readonly string[]): boolean {
  const at = csv.header.indexOf(t.name);
  return csv.rows.some((row) => {
    const cell = row[at] ?? '';
    if (t.kind === 'multilabel') return cell.trim() === '' || toCategory(cell, naValues) !== null; // '': none of the labels
    if (t.kind === 'binary' || t.kind === 'multiclass') return toCategory(cell, naValues) !== null;
    return !Number.isNaN(parseNumberText(cell, naValues)); // text that is no number is the Dataset's error to report
  });
}

/**
 * A label of a binary task that is neither of the model's classes, as evaluate reports one of a
 * multiclass task: the Dataset, given the two classes as a target spec, speaks of that spec, which a
 * CLI user never wrote. Null for any other error.
 */
function unknownBinaryClass(file: string, model: MultiTaskModel, err: unknown): UnknownClassError | null {
  if (!(err instanceof DataError) || err instanceof UnknownClassError || err.column === undefined || err.value === undefined) return null;
  const task = model.tasks.find((t) => t.name === err.column);
  const classes = task?.kind === 'binary' ? model.classNames(task.name) : null;
  if (!classes || classes.includes(err.value)) return null;
  const row = err.rowIndex === undefined ? '' : `, row ${err.rowIndex + 1}${err.line !== undefined ? ` (line ${err.line})` : ''}`;
  const location: DataErrorLocation & { column: string } = { column: err.column, value: err.value };
  if (err.rowIndex !== undefined) location.rowIndex = err.rowIndex;
  if (err.line !== undefined) location.line = err.line;
  return new UnknownClassError(`${file}: task ${JSON.stringify(err.column)}${row}: class ${JSON.stringify(err.value)} is not one of the model's classes ` +
    `(${listNames(classes)})`, location, classes);
}

async function evaluate(args: Args): Promise<void> {
  checkFlags(args, 'eval');
  const [modelArg, fileArg, ...extra] = args.positional;
  if (extra.length > 0 || fileArg === undefined) throw new UsageError(`eval takes a model file and a CSV file, got ${args.positional.length} argument(s)`);
  const loaded = await readModel(checkPath(modelArg, 'eval: the model file'));
  try {
    const file = checkPath(fileArg, 'eval: the CSV file');
    const { data } = await datasetFor(loaded, file, args, true);
    console.log(formatEvaluation(inFile(file, () => loaded.model.evaluate(data))));
  } finally {
    loaded.model.dispose();
  }
}

type Cell = string | number;
type Column = [name: string, value: (i: number) => Cell];

/**
 * The names of predict's columns for one task, in order: <task>, the predicted value, class or
 * labels; for binary and multiclass tasks <task>_confidence, the probability the model gives the
 * class it predicts (for every row, whichever class that is); the central interval at the default
 * level (90%) of a gaussian or poisson task; one column per quantile. `train` refuses task names
 * whose columns would collide, from these names.
 */
function predictionColumnNames(name: string, kind: TaskKind, quantiles: readonly number[]): string[] {
  switch (kind) {
    case 'regression':
    case 'multilabel':
    case 'clustering': return [name];
    case 'binary':
    case 'multiclass': return [name, `${name}_confidence`];
    case 'reconstruction': return [`${name}_error`];
    case 'gaussian':
    case 'poisson': return [name, `${name}_lower`, `${name}_upper`];
    case 'quantile': return quantiles.map((q) => `${name}_q${q}`);
  }
}

/** The values of predict's columns for one task, in the order of predictionColumnNames. */
function predictionValues(model: MultiTaskModel, name: string, p: TaskPrediction): ((i: number) => Cell)[] {
  switch (p.kind) {
    case 'regression': return [(i) => p.values[i]!];
    case 'binary': {
      // probabilities[i] is p(positive class); the confidence is that of the class predicted.
      const positive = model.classNames(name)?.[1] ?? 1;
      return [(i) => p.classes[i]!, (i) => {
        const q = p.probabilities[i]!;
        return String(p.classes[i]) === String(positive) ? q : 1 - q;
      }];
    }
    case 'multiclass': return [(i) => p.classes[i]!, (i) => Math.max(...p.probabilities[i]!)];
    case 'multilabel': return [(i) => p.labels[i]!.join('|')];
    case 'reconstruction': return [(i) => p.errors[i]!];
    case 'clustering': return [(i) => p.clusters[i]!];
    case 'gaussian':
    case 'poisson': return [(i) => p.mean[i]!, (i) => p.lower[i]!, (i) => p.upper[i]!];
    case 'quantile': return p.levels.map((_, j) => (i: number) => p.quantiles[i]![j]!);
  }
}

function predictionColumns(model: MultiTaskModel, name: string, p: TaskPrediction): Column[] {
  const names = predictionColumnNames(name, p.kind, p.kind === 'quantile' ? p.levels : []);
  const values = predictionValues(model, name, p);
  if (values.length !== names.length) throw new Error(`predictionColumns: ${names.length} names and ${values.length} values for a ${p.kind} task`);
  return names.map((n, j) => [n, values[j]!]);
}

/** The first column name that two tasks' columns share, and those tasks; null when none is shared. */
function sharedColumn(tasks: readonly { name: string; columns: readonly string[] }[]): { column: string; first: string; second: string } | null {
  const owner = new Map<string, string>();
  for (const t of tasks) {
    for (const column of t.columns) {
      const first = owner.get(column);
      if (first !== undefined) return { column, first, second: t.name };
      owner.set(column, t.name);
    }
  }
  return null;
}

async function predict(args: Args): Promise<void> {
  checkFlags(args, 'predict');
  const [modelArg, fileArg, ...extra] = args.positional;
  if (extra.length > 0 || fileArg === undefined) throw new UsageError(`predict takes a model file and a CSV file, got ${args.positional.length} argument(s)`);
  const out = one(args, 'out');
  if (out !== undefined) checkPath(out, '--out');
  const maxDeviation = maxDeviationOf(args);
  const modelFile = checkPath(modelArg, 'predict: the model file');
  const file = checkPath(fileArg, 'predict: the CSV file');
  if (out !== undefined) {
    await notAnInput(out, modelFile, 'the model file', 'the predictions');
    await notAnInput(out, file, 'the CSV file', 'the predictions');
  }
  const loaded = await readModel(modelFile);
  try {
    const { data, csv } = await datasetFor(loaded, file, args, false);
    const idColumn = one(args, 'id');
    let id: Column;
    if (idColumn !== undefined) {
      const at = csv.header.indexOf(idColumn);
      if (at < 0) throw new UsageError(`--id ${idColumn}: ${file} has no column ${JSON.stringify(idColumn)} (columns: ${listNames(csv.header, 30)})${nearColumn(idColumn, csv.header)}`);
      id = [idColumn, (i) => csv.rows[i]![at]!];
    } else {
      id = ['row', (i) => i + 1];
    }
    const predictions = Object.entries(inFile(file, () => {
      try {
        return loaded.model.predict(data, maxDeviation === Infinity ? {} : { maxDeviation });
      } catch (err) {
        // Named as the flag the user typed (or did not: the default), with how to change it.
        if (err instanceof OutOfRangeError) {
          err.message = `${err.message.replace('maxDeviation', '--max-deviation')}; ` + (Number.isFinite(err.deviations)
            ? `--max-deviation <k> sets the limit (default ${MAX_DEVIATION}), --max-deviation none removes it`
            : '--max-deviation none removes the check');
        }
        throw err;
      }
    })).map(([name, p]) => ({ name, columns: predictionColumns(loaded.model, name, p) }));
    // Two tasks' columns can share a name only in a model train did not make (it refuses such names).
    const shared = sharedColumn(predictions.map((t) => ({ name: t.name, columns: t.columns.map(([n]) => n) })));
    if (shared) {
      throw new CliError(`${modelArg}: the predictions of tasks "${shared.first}" and "${shared.second}" would both be written as a column named "${shared.column}", ` +
        'so predict cannot write them as one table; train the model again with one of those columns renamed (train refuses such task names)');
    }
    const clash = predictions.find((t) => t.columns.some(([n]) => n === id[0]));
    if (clash) {
      throw new UsageError(idColumn !== undefined
        ? `--id ${idColumn}: the output would have two columns named "${id[0]}" (the id column and a prediction of task "${clash.name}"): choose another --id column`
        : `the output would have two columns named "row" (the row numbers and a prediction of task "${clash.name}"): name an id column with --id <column>`);
    }
    const columns: Column[] = [id, ...predictions.flatMap((t) => t.columns)];
    const text = out?.endsWith('.json') ? toJSON(columns, data.rows) : toCSV(columns, data.rows);
    if (out) await writeWhole(out, text); else process.stdout.write(text);
  } finally {
    loaded.model.dispose();
  }
}

/**
 * predict's limit on how far a numeric value may lie from the training data, in standard deviations
 * of its column (the library's maxDeviation). The penguins span about ±3; the Worker example uses 10.
 */
const MAX_DEVIATION = 10;

/** --max-deviation: a number > 0, or none (Infinity); MAX_DEVIATION when not given. */
function maxDeviationOf(args: Args): number {
  const text = one(args, 'max-deviation');
  if (text === undefined) return MAX_DEVIATION;
  if (text.trim() === 'none') return Infinity;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || !(v > 0)) throw new UsageError(`--max-deviation must be a number of standard deviations > 0, or none, got "${text}"`);
  return v;
}

function toCSV(columns: readonly Column[], rows: number): string {
  const cell = (v: Cell) => {
    const s = typeof v === 'number' ? String(Math.round(v * 1e6) / 1e6) : v;
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const lines = [columns.map(([n]) => cell(n)).join(',')];
  for (let i = 0; i < rows; i++) lines.push(columns.map(([, v]) => cell(v(i))).join(','));
  return lines.join('\n') + '\n';
}

function toJSON(columns: readonly Column[], rows: number): string {
  // fromEntries defines own properties, so a column named "__proto__" is data like any other.
  const objects = Array.from({ length: rows }, (_, i) => Object.fromEntries(columns.map(([n, v]) => [n, v(i)])));
  return JSON.stringify(objects, null, 1);
}

// ---------------------------------------------------------------- progress

/**
 * One line that redraws itself on a terminal, cut to the terminal's width (a
 * line that wraps cannot be redrawn: each update would leave a new line); a
 * line per tenth of the run otherwise.
 */
class Progress {
  readonly #tty = Boolean(process.stderr.isTTY);
  readonly #epochs: number;
  constructor(epochs: number) { this.#epochs = epochs; }
  update(epoch: number, logs: EpochLogs): void {
    const done = epoch + 1;
    if (this.#tty) {
      process.stderr.write(`\r${progressLine(done, this.#epochs, logs, process.stderr.columns || 80)}\x1b[K`);
    } else if (done === 1 || done % Math.max(1, Math.round(this.#epochs / 10)) === 0) {
      process.stderr.write(`${progressLine(done, this.#epochs, logs, Infinity)}\n`);
    }
  }
  done(): void { if (this.#tty) process.stderr.write('\n'); }
}

/** The progress text in at most columns − 1 characters (the last column would wrap on some terminals). */
function progressLine(done: number, epochs: number, logs: EpochLogs, columns: number): string {
  const room = columns - 1;
  const count = `epoch ${String(done).padStart(String(epochs).length)}/${epochs}`;
  const loss = ` loss ${logs.loss.toFixed(4)}${logs.val ? `  val_loss ${logs.val.loss.toFixed(4)}` : ''}`;
  // The bar takes what the numbers leave, up to 24 cells, and goes first when space is short.
  const barWidth = Math.min(24, room - count.length - loss.length - 3);
  const bar = barWidth >= 5 ? ` [${'='.repeat(Math.round((done / epochs) * barWidth)).padEnd(barWidth)}]` : '';
  return `${count}${bar}${loss}`.slice(0, Math.max(room, 0));
}

// ---------------------------------------------------------------- main

async function version(): Promise<string> {
  // dist/cli.js sits next to the package's package.json (one level up).
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(pkg.version);
}

export async function main(argv: string[]): Promise<number> {
  try {
    const first = COMMAND_FLAGS.get(argv[0] ?? '');
    const args = parseArgs(argv, first ? new Set(first) : ALL_FLAGS);
    const [command, ...rest] = args.positional;
    if (args.flags.has('version')) { process.stdout.write(`manytask ${await version()}\n`); return 0; }
    if (args.flags.has('help') || command === 'help') { process.stdout.write(USAGE); return 0; }
    // No command is a usage error like any other (exit code 2), with the usage as its message.
    if (!command) { checkFlags(args); process.stderr.write(USAGE); return 2; }
    if (!COMMAND_FLAGS.has(command)) throw new UsageError(`unknown command "${command}" (commands: train, eval, predict)`);
    args.positional = rest;
    await init();
    if (command === 'train') await train(args);
    else if (command === 'eval') await evaluate(args);
    else await predict(args);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) { process.stderr.write(`manytask: ${err.message}\n(manytask --help lists the commands and options)\n`); return 2; }
    if (err instanceof ManytaskError || err instanceof CliError) { process.stderr.write(`manytask: ${err.message}\n`); return 1; }
    throw err;
  }
}
