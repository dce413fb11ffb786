// npx manytask train|eval|predict — CSV in, model file out.

import { readFile, writeFile } from 'node:fs/promises';
import { init } from './entries/node.js';
import { Dataset, parseCSV, type TargetSpec } from './data/index.js';
import { MultiTaskModel, loadModel } from './mtl/multitask.js';
import { tasks as taskMakers, UNSUPERVISED, type TaskKind, type TaskSpec } from './mtl/tasks.js';

type SupervisedKind = 'binary' | 'multiclass' | 'multilabel' | 'regression';
import { ManytaskError } from './runtime/errors.js';
import { setOwn } from './runtime/records.js';
import type { EpochLogs } from './train/fit.js';
import { formatEvaluation, formatAffinity } from './train/report.js';
import type { ArchitectureSpec } from './mtl/arch/index.js';
import { WEIGHTING_TYPES, type WeightingSpec } from './mtl/weighting/index.js';

const USAGE = `manytask — multi-task learning from CSV files

Usage:
  manytask train <data.csv> --task <column>:<kind> [--task …] [options]
  manytask eval <model.mtsk> <data.csv>
  manytask predict <model.mtsk> <data.csv> [--out predictions.csv|.json]

Kinds: binary, multiclass, multilabel, regression. An empty cell means "no label".

train options:
  --feature <column>[:numeric|categorical]   features to use (default: every other column, type inferred)
  --arch sharedBottom|mmoe|omoe|cgc|ple|crossStitch   (default mmoe)
  --units 64,32          trunk / expert / column layer widths (default 32)
  --tower 16             tower layer widths per task (default 16)
  --experts 4            experts (mmoe, omoe), or shared experts (cgc, ple)
  --weighting fixed|uncertainty|dwa|gradnorm|rlw|pcgrad|mgda|cagrad   (default fixed)
  --epochs 100  --batch-size 32  --lr 0.001  --seed 0
  --validation-split 0.2 --patience 20       early stopping on val_loss, best weights kept
  --out model.mtsk       where to save the model (default model.mtsk)
  --weights f32|f16|int8 how the file stores the weights (default f32)
  --quiet                no progress display
`;

class UsageError extends Error {}

interface Args { positional: string[]; flags: Map<string, string[]> }

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quiet' || a === '--help' || a === '-h') { flags.set(a.replace(/^-+/, ''), ['true']); continue; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags.set(name, [...(flags.get(name) ?? []), value]);
    } else {
      positional.push(a);
    }
  }
  return { positional, flags };
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
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got "${text}"`);
  return v;
}

function widths(args: Args, name: string, fallback: number[]): number[] {
  const text = one(args, name);
  if (text === undefined) return fallback;
  if (text === '' || text === 'none') return [];
  const w = text.split(',').map((s) => Number(s.trim()));
  if (w.some((v) => !Number.isInteger(v) || v < 1)) throw new UsageError(`--${name} must be comma-separated layer widths like 64,32, got "${text}"`);
  return w;
}

const KINDS: readonly SupervisedKind[] = ['binary', 'multiclass', 'multilabel', 'regression'];
const KNOWN_TRAIN_FLAGS = ['task', 'feature', 'arch', 'units', 'tower', 'experts', 'weighting', 'epochs', 'batch-size', 'lr', 'seed', 'validation-split', 'patience', 'out', 'weights', 'quiet'];

async function train(args: Args): Promise<void> {
  for (const f of args.flags.keys()) if (!KNOWN_TRAIN_FLAGS.includes(f)) throw new UsageError(`unknown option --${f} for train`);
  const [file, ...extra] = args.positional;
  if (!file || extra.length > 0) throw new UsageError('train takes one CSV file');
  const weights = one(args, 'weights', 'f32')!;
  if (weights !== 'f32' && weights !== 'f16' && weights !== 'int8') throw new UsageError(`--weights must be f32, f16 or int8, got "${weights}"`);
  const taskArgs = args.flags.get('task') ?? [];
  if (taskArgs.length === 0) throw new UsageError('train needs at least one --task <column>:<kind>');
  const specs: TaskSpec[] = taskArgs.map((t) => {
    const [name, kind] = [t.slice(0, t.lastIndexOf(':')), t.slice(t.lastIndexOf(':') + 1)];
    if (!name || !KINDS.includes(kind as SupervisedKind)) throw new UsageError(`--task ${t}: expected <column>:<kind> with kind one of ${KINDS.join(', ')}`);
    return taskMakers[kind as SupervisedKind](name);
  });
  const text = await readFile(file, 'utf8');
  const { header, rows } = parseCSV(text);
  const features = new Map<string, 'numeric' | 'categorical'>(); // a Map: a column may be named "__proto__"
  const featureArgs = args.flags.get('feature');
  const taskNames = new Set(specs.map((s) => s.name));
  for (const name of taskNames) if (!header.includes(name)) throw new UsageError(`--task ${name}: ${file} has no column "${name}" (columns: ${header.join(', ')})`);
  for (const entry of featureArgs ?? header.filter((h) => !taskNames.has(h))) {
    const [name, type] = entry.includes(':') ? [entry.slice(0, entry.lastIndexOf(':')), entry.slice(entry.lastIndexOf(':') + 1)] : [entry, undefined];
    if (!header.includes(name)) throw new UsageError(`--feature ${entry}: ${file} has no column "${name}" (columns: ${header.join(', ')})`);
    if (type !== undefined && type !== 'numeric' && type !== 'categorical') throw new UsageError(`--feature ${entry}: the type must be numeric or categorical`);
    features.set(name, type ?? inferType(rows, header.indexOf(name)));
  }
  const data = Dataset.fromCSV(text, { features: Object.fromEntries(features), targets: Object.fromEntries(specs.map((s) => [s.name, s.kind as SupervisedKind])) });
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
  const seed = num(args, 'seed', 0, true);
  const model = new MultiTaskModel({
    input: data, architecture, tasks: specs, seed,
    weighting: { type: weightingType } as WeightingSpec,
    optimizer: { type: 'adam', learningRate: num(args, 'lr', 1e-3) },
  });
  const epochs = num(args, 'epochs', 100, true);
  const quiet = args.flags.has('quiet');
  const progress = quiet ? null : new Progress(epochs);
  // A random (seeded) validation split: CSV files are often sorted, so the last rows are no sample.
  const valFraction = num(args, 'validation-split', 0.2);
  if (!(valFraction > 0 && valFraction < 1)) throw new UsageError(`--validation-split must be between 0 and 1, got ${valFraction}`);
  const [trainPart, valPart] = data.split(1 - valFraction, { seed });
  const history = await model.fit(trainPart, {
    epochs, batchSize: num(args, 'batch-size', 32, true), seed,
    validationData: valPart,
    earlyStopping: { patience: num(args, 'patience', 20, true) },
    callbacks: { onEpochEnd: (epoch, logs) => { progress?.update(epoch, logs); } },
  });
  progress?.done();
  const last = history.epochs[history.bestEpoch]!;
  console.log(`trained ${history.epochs.length} epochs (${history.reason === 'earlyStopping' ? 'stopped early; ' : ''}weights of epoch ${history.bestEpoch + 1} kept)`);
  if (last.val) console.log(`\nvalidation (${valPart.rows} random rows, seed ${seed}):\n${formatEvaluation(last.val)}`);
  const affinity = model.taskAffinity();
  if (affinity) console.log(`\n${formatAffinity(affinity)}`);
  const out = one(args, 'out', 'model.mtsk')!;
  const bytes = model.save({ weights, metadata: { trainedOn: file } });
  await writeFile(out, bytes);
  console.log(`\nsaved ${out} (${(bytes.length / 1024).toFixed(1)} KB)`);
  model.dispose();
}

function inferType(rows: string[][], col: number): 'numeric' | 'categorical' {
  for (const r of rows) {
    const v = (r[col] ?? '').trim();
    if (v !== '' && !Number.isFinite(Number(v))) return 'categorical';
  }
  return 'numeric';
}

async function readModel(path: string | undefined): Promise<MultiTaskModel> {
  if (!path) throw new UsageError('give the model file first');
  return loadModel(new Uint8Array(await readFile(path)));
}

function datasetFor(model: MultiTaskModel, text: string, withTargets: boolean): Dataset {
  const { header } = parseCSV(text);
  const spec = model.inputSpec();
  const supervised = model.tasks.filter((t) => !UNSUPERVISED.includes(t.kind) && header.includes(t.name));
  // Labels are matched to the model's classes by name; a binary column is read with the
  // model's two classes, so a file holding only one of them (all "female") still reads.
  const target = (t: TaskSpec): TargetSpec => {
    const classes = t.kind === 'binary' ? model.classNames(t.name) : null;
    return classes ? { type: 'binary', negative: classes[0]!, positive: classes[1]! } : t.kind as SupervisedKind;
  };
  const targets = withTargets ? Object.fromEntries(supervised.map((t) => [t.name, target(t)])) : {};
  return Dataset.fromCSV(text, { features: spec, targets });
}

async function evaluate(args: Args): Promise<void> {
  const [modelPath, file, ...extra] = args.positional;
  if (!file || extra.length > 0) throw new UsageError('eval takes a model file and a CSV file');
  const model = await readModel(modelPath);
  const data = datasetFor(model, await readFile(file, 'utf8'), true);
  console.log(formatEvaluation(model.evaluate(data)));
  model.dispose();
}

async function predict(args: Args): Promise<void> {
  const [modelPath, file, ...extra] = args.positional;
  if (!file || extra.length > 0) throw new UsageError('predict takes a model file and a CSV file');
  const model = await readModel(modelPath);
  const data = datasetFor(model, await readFile(file, 'utf8'), false);
  const preds = model.predict(data);
  const out = one(args, 'out');
  const rows: Record<string, string | number>[] = Array.from({ length: data.rows }, () => ({}));
  for (const [name, p] of Object.entries(preds)) {
    rows.forEach((row, i) => {
      if (p.kind === 'regression') setOwn(row, name, p.values[i]!);
      else if (p.kind === 'binary') { setOwn(row, name, p.classes[i]!); setOwn(row, `${name}_probability`, p.probabilities[i]!); }
      else if (p.kind === 'multiclass') { setOwn(row, name, p.classes[i]!); setOwn(row, `${name}_probability`, Math.max(...p.probabilities[i]!)); }
      else if (p.kind === 'multilabel') setOwn(row, name, p.labels[i]!.join('|'));
      else if (p.kind === 'reconstruction') setOwn(row, `${name}_error`, p.errors[i]!);
      else setOwn(row, name, p.clusters[i]!);
    });
  }
  const text = out?.endsWith('.json') ? JSON.stringify(rows, null, 1) : toCSV(rows);
  if (out) await writeFile(out, text); else process.stdout.write(text);
  model.dispose();
}

function toCSV(rows: Record<string, string | number>[]): string {
  const cols = Object.keys(rows[0] ?? {});
  const cell = (v: string | number | undefined) => {
    const s = typeof v === 'number' ? String(Math.round(v * 1e6) / 1e6) : (v ?? '');
    return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

/** One line that redraws itself on a terminal; a line per tenth of the run otherwise. */
class Progress {
  readonly #tty = Boolean(process.stderr.isTTY);
  readonly #epochs: number;
  constructor(epochs: number) { this.#epochs = epochs; }
  update(epoch: number, logs: EpochLogs): void {
    const done = epoch + 1;
    const width = 24;
    const filled = Math.round((done / this.#epochs) * width);
    const val = logs.val ? `  val_loss ${logs.val.loss.toFixed(4)}` : '';
    const line = `epoch ${String(done).padStart(String(this.#epochs).length)}/${this.#epochs} [${'='.repeat(filled)}${' '.repeat(width - filled)}] loss ${logs.loss.toFixed(4)}${val}`;
    if (this.#tty) process.stderr.write(`\r${line}`);
    else if (done === 1 || done % Math.max(1, Math.round(this.#epochs / 10)) === 0) process.stderr.write(`${line}\n`);
  }
  done(): void { if (this.#tty) process.stderr.write('\n'); }
}

export async function main(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv);
    const [command, ...rest] = args.positional;
    if (!command || args.flags.has('help')) { process.stdout.write(USAGE); return command ? 0 : 1; }
    args.positional = rest;
    await init();
    if (command === 'train') await train(args);
    else if (command === 'eval') await evaluate(args);
    else if (command === 'predict') await predict(args);
    else throw new UsageError(`unknown command "${command}"`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) { process.stderr.write(`manytask: ${err.message}\n\n${USAGE}`); return 2; }
    if (err instanceof ManytaskError) { process.stderr.write(`manytask: ${err.message}\n`); return 1; }
    const io = err as { code?: unknown; path?: unknown; syscall?: unknown };
    if (typeof io?.code === 'string' && typeof io.syscall === 'string') {
      const why = io.code === 'ENOENT' ? 'no such file' : io.code === 'EACCES' ? 'permission denied' : io.code === 'EISDIR' ? 'it is a directory' : io.code;
      process.stderr.write(`manytask: cannot ${io.syscall === 'open' || io.syscall === 'read' ? 'read' : io.syscall} ${String(io.path ?? '')}: ${why}\n`);
      return 1;
    }
    throw err;
  }
}
