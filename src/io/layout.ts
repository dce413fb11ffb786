// What a model file's header says the network is, as a list of dense layers,
// gates and mixing steps with their tensors' places in the weights, checked
// against the header's parameter table before anything is allocated.
//
// It declares the tensors in exactly the order, with exactly the names and
// shapes, that the architectures (src/mtl/arch/) and task heads (src/mtl/head.ts)
// declare them when a model is built, one at a time: each must be the next row
// of the table at the next 4-float-aligned offset, and the running total must
// stay within the file's weight count. So a header describing a larger network
// than its weights, a spec with a count of 10⁹ experts, or a table that lies
// about a shape is refused after at most one step past the table's end, before
// any memory is reserved for it. MultiTaskModel.load runs it before building the
// model; `manytask/infer` runs its forward pass from it (src/io/predictor.ts).

import { ModelFormatError, showJson } from './format.js';

/** One Dense layer: y = act(x·W + b); w and b are offsets (floats) into the weights. */
export interface DenseOp {
  readonly w: number;
  readonly b: number;
  readonly inp: number;
  readonly out: number;
  /** Activation code (src/runtime/abi.ts Act). */
  readonly act: number;
  readonly alpha: number;
}
export type Mlp = readonly DenseOp[];

export interface GatedLevel {
  readonly experts: readonly Mlp[];
  /** Per expert: the task whose input it reads, −1 for the shared input. */
  readonly owner: readonly number[];
  /** Intermediate levels: per task a gate over the shared experts and its own, and the shared gate over all. */
  readonly taskGates: readonly DenseOp[];
  readonly sharedGate: DenseOp | null;
}

export type ArchLayout =
  | { readonly type: 'sharedBottom'; readonly trunk: Mlp }
  | { readonly type: 'omoe'; readonly experts: readonly Mlp[]; readonly gate: DenseOp }
  | { readonly type: 'gated'; readonly levels: readonly GatedLevel[]; readonly lastGates: readonly DenseOp[]; readonly S: number; readonly K: number }
  | { readonly type: 'crossStitch'; readonly levels: readonly { readonly columns: readonly DenseOp[]; readonly alpha: number; readonly width: number }[]; readonly alpha0: Float64Array };

export type TaskKind = 'binary' | 'multiclass' | 'multilabel' | 'regression' | 'reconstruction' | 'clustering';

export interface TaskLayout {
  readonly name: string;
  readonly kind: TaskKind;
  /** Output columns. */
  readonly width: number;
  /** Indices of the tasks whose predictions are appended to this head's input. */
  readonly inputsFrom: readonly number[];
  /** The architecture's output width for this task (R_t). */
  readonly repWidth: number;
  readonly tower: Mlp | null;
  readonly head: Mlp;
}

export interface ModelLayout {
  readonly inputSize: number;
  /** Output width of the shared part's blocks: the trunk, each expert, each column. */
  readonly d: number;
  readonly arch: ArchLayout;
  readonly tasks: readonly TaskLayout[];
  /** Task indices, every task after the tasks it reads from. */
  readonly order: readonly number[];
  /** Each tensor's offset and length (floats), in order; the floats between them are padding. */
  readonly tensors: readonly (readonly [number, number])[];
}

/** The most tasks a model file holds: the full model keeps task × task statistics (affinity, weighting). */
export const MAX_TASKS = 1024;
const KINDS = ['binary', 'multiclass', 'multilabel', 'regression', 'reconstruction', 'clustering'];
/** Activation names as Dense takes them → Act codes. */
const ACTS: Record<string, number> = {
  identity: 0, linear: 0, relu: 1, leakyRelu: 2, leaky_relu: 2, elu: 3, gelu: 4, sigmoid: 5, tanh: 6, softplus: 7,
};

function invalid(what: string): never {
  throw new ModelFormatError(`its model description is invalid (${what})`);
}
function mismatch(what: string): never {
  throw new ModelFormatError(`its parameter table does not match the architecture it describes (${what})`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
/** A name from the header in a message: quoted, and cut short (a message names it, it does not carry it). */
const q = (name: string): string => showJson(name);
/** A header value in a message, cut short; never throws (a value nested 20,000 deep would overflow JSON.stringify). */
const show = (v: unknown): string => {
  if (v === undefined) return 'undefined';
  try {
    return (JSON.stringify(v) ?? String(v)).slice(0, 60);
  } catch {
    return showJson(v);
  }
};

function units(where: string, v: unknown, allowEmpty: boolean): number[] {
  if (!Array.isArray(v) || (v.length === 0 && !allowEmpty) || !v.every(isCount)) {
    invalid(`${where} must be an array of positive layer widths${allowEmpty ? '' : ' (at least one)'}, got ${show(v)}`);
  }
  return v as number[];
}

function activation(where: string, v: unknown): number {
  if (v === undefined) return 1;
  if (typeof v !== 'string' || !Object.hasOwn(ACTS, v)) invalid(`${where}: unknown activation ${show(v)}`);
  return ACTS[v as string]!;
}

/**
 * Builds the layout of a model file's network and checks it against the
 * header's parameter table and the weight count `n`. `widthOf` gives each task's
 * output width (from the header's schema). Throws ModelFormatError.
 */
export function modelLayout(header: Record<string, unknown>, inputSize: number, widthOf: (task: string) => unknown, n: number): ModelLayout {
  const table = header.parameters;
  if (!Array.isArray(table)) mismatch('the header has no parameter table');
  const rows = table as unknown[];
  let next = 0, size = 0;
  const tensors: [number, number][] = [];
  /** The next tensor: it must be the table's next row. */
  const take = (name: string, r: number, c: number): number => {
    const e = rows[next] as { name?: unknown; shape?: unknown[]; offset?: unknown } | undefined;
    const want = `${q(name)} ${r}×${c} at ${size}`;
    if (!isObject(e)) mismatch(`the table ends before ${want}`);
    if (e!.name !== name || !Array.isArray(e!.shape) || e!.shape.length !== 2 || e!.shape[0] !== r || e!.shape[1] !== c || e!.offset !== size) {
      mismatch(`expected ${want}, found ${show(e!.name)} ${show(e!.shape)} at ${show(e!.offset)}`);
    }
    const at = size;
    tensors.push([at, r * c]);
    size += Math.ceil((r * c) / 4) * 4;
    if (size > n) mismatch(`${want} goes past the ${n} weights`);
    next++;
    return at;
  };
  const dense = (prefix: string, inp: number, out: number, act: number): DenseOp => ({
    w: take(`${prefix}.weight`, inp, out), b: take(`${prefix}.bias`, 1, out), inp, out, act, alpha: act === 2 ? 0.01 : 1,
  });
  const mlp = (prefix: string, inp: number, widths: readonly number[], act: number): DenseOp[] => {
    const layers: DenseOp[] = [];
    widths.forEach((u, k) => { layers.push(dense(`${prefix}.${k}`, inp, u, act)); inp = u; });
    return layers;
  };

  // Tasks: names, kinds, the inputsFrom graph (acyclic), widths. Linear in the
  // header's size: a forged header may list many tasks and long inputsFrom lists.
  const specs = header.tasks;
  if (!Array.isArray(specs) || specs.length === 0) invalid('tasks must be a non-empty array');
  if ((specs as unknown[]).length > MAX_TASKS) invalid(`it has ${(specs as unknown[]).length} tasks; a model file holds at most ${MAX_TASKS}`);
  const names: string[] = [];
  const index = new Map<string, number>();
  for (const [i, s] of (specs as unknown[]).entries()) {
    if (!isObject(s) || typeof s.name !== 'string' || s.name === '' || s.name.includes('.') || index.has(s.name) || !KINDS.includes(s.kind as string)) {
      invalid(`task ${i} is ${show(s)}: tasks need distinct names without "." and a kind (${KINDS.join(', ')})`);
    }
    index.set((s as { name: string }).name, i);
    names.push((s as { name: string }).name);
  }
  const T = names.length;
  const taskSpecs = specs as Record<string, unknown>[];
  const inputsFrom = taskSpecs.map((s) => {
    const from = s.inputsFrom ?? [];
    if (!Array.isArray(from)) return invalid(`task ${q(s.name as string)}: inputsFrom must be an array of task names`);
    return from.map((src) => {
      const j = typeof src === 'string' ? index.get(src) : undefined;
      if (j === undefined || src === s.name) invalid(`task ${q(s.name as string)} reads from ${show(src)}, which is not another task`);
      return j!;
    });
  });
  const widths = names.map((name) => {
    const w = widthOf(name);
    if (!isCount(w) || w > 1 << 16) invalid(`task ${q(name)} has no valid output width`);
    return w as number;
  });
  // Every task after its sources (depth first, as src/mtl/tasks.ts orders them), without recursion.
  const order: number[] = [];
  const state = new Uint8Array(T); // 0 new, 1 on the path, 2 done
  for (let root = 0; root < T; root++) {
    if (state[root] === 2) continue;
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [t, k] = top;
      if (k < inputsFrom[t]!.length) {
        top[1]++;
        const src = inputsFrom[t]![k]!;
        if (state[src] === 1) invalid(`the inputsFrom of task ${q(names[src]!)} form a cycle`);
        if (state[src] === 0) { state[src] = 1; stack.push([src, 0]); }
      } else {
        state[t] = 2;
        order.push(t);
        stack.pop();
      }
    }
  }

  // The architecture (src/mtl/arch/*.ts), in its declaration order.
  const spec = header.architecture;
  if (!isObject(spec)) return invalid('the architecture is not an object');
  const type = spec.type;
  const where = `architecture ${show(type)}`;
  const known: Record<string, string[]> = {
    sharedBottom: ['units'],
    mmoe: ['experts', 'expertUnits'],
    omoe: ['experts', 'expertUnits'],
    cgc: ['sharedExperts', 'taskExperts', 'expertUnits'],
    ple: ['levels', 'sharedExperts', 'taskExperts', 'expertUnits'],
    crossStitch: ['units', 'alphaDiagonal'],
  };
  if (typeof type !== 'string' || !Object.hasOwn(known, type)) return invalid(`unknown architecture type ${show(type)} (known: ${Object.keys(known).join(', ')})`);
  for (const key of Object.keys(spec)) {
    if (!['type', 'towerUnits', 'activation', 'dropout', ...known[type]!].includes(key)) invalid(`${where}: unknown option ${q(key)}`);
  }
  const count = (key: string): number => (isCount(spec[key]) ? (spec[key] as number) : invalid(`${where}: ${key} must be a positive integer, got ${show(spec[key])}`));
  const fraction = (key: string, fallback: number, closed: boolean): number => {
    const v = spec[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !(v >= 0 && (closed ? v <= 1 : v < 1))) invalid(`${where}: ${key} must be a number in [0, 1${closed ? ']' : ')'}, got ${show(v)}`);
    return v as number;
  };
  const towerUnits = units(`${where}: towerUnits`, spec.towerUnits, true);
  const act = activation(where, spec.activation);
  fraction('dropout', 0, false);
  let arch: ArchLayout;
  let d: number;
  if (type === 'sharedBottom') {
    const trunk = mlp('shared', inputSize, units(`${where}: units`, spec.units, false), act);
    d = trunk.at(-1)!.out;
    arch = { type, trunk };
  } else if (type === 'omoe') {
    const e = count('experts');
    const expertUnits = units(`${where}: expertUnits`, spec.expertUnits, false);
    const experts: Mlp[] = [];
    for (let i = 0; i < e; i++) experts.push(mlp(`experts.${i}`, inputSize, expertUnits, act));
    d = expertUnits.at(-1)!;
    arch = { type, experts, gate: dense('gate', inputSize, e, 0) };
  } else if (type === 'crossStitch') {
    const widthsL = units(`${where}: units`, spec.units, false);
    const diagonal = fraction('alphaDiagonal', 0.9, true);
    let width = inputSize;
    const levels = widthsL.map((u, l) => {
      const columns = names.map((name) => dense(`column.${name}.${l}`, width, u, act));
      width = u;
      return { columns, alpha: take(`cross.${l}.alphaOffset`, T, T), width: u };
    });
    const off = T === 1 ? 0 : (1 - diagonal) / (T - 1);
    d = width;
    arch = { type, levels, alpha0: Float64Array.from({ length: T * T }, (_, i) => (i % (T + 1) === 0 ? (T === 1 ? 1 : diagonal) : off)) };
  } else {
    // mmoe (one level, no task experts), cgc (one level), ple: gated.ts.
    const L = type === 'ple' ? count('levels') : 1;
    const S = count(type === 'mmoe' ? 'experts' : 'sharedExperts');
    const K = type === 'mmoe' ? 0 : count('taskExperts');
    const expertUnits = units(`${where}: expertUnits`, spec.expertUnits, false);
    const N = S + T * K, perGate = S + K;
    d = expertUnits.at(-1)!;
    const expertName = (l: number, task: string | null, i: number): string =>
      type === 'mmoe' ? `experts.${i}`
        : type === 'cgc' ? (task === null ? `sharedExperts.${i}` : `taskExperts.${task}.${i}`)
          : task === null ? `levels.${l}.sharedExperts.${i}` : `levels.${l}.taskExperts.${task}.${i}`;
    const levels: GatedLevel[] = [];
    for (let l = 0; l < L; l++) {
      const width = l === 0 ? inputSize : d;
      const experts: Mlp[] = [], owner: number[] = [];
      for (let i = 0; i < S; i++) { experts.push(mlp(expertName(l, null, i), width, expertUnits, act)); owner.push(-1); }
      for (let t = 0; t < T; t++) {
        for (let i = 0; i < K; i++) { experts.push(mlp(expertName(l, names[t]!, i), width, expertUnits, act)); owner.push(t); }
      }
      const taskGates = l < L - 1 ? names.map((name) => dense(`levels.${l}.gate.${name}`, width, perGate, 0)) : [];
      const sharedGate = l < L - 1 ? dense(`levels.${l}.sharedGate`, width, N, 0) : null;
      levels.push({ experts, owner, taskGates, sharedGate });
    }
    const lastGates = names.map((name) => dense(`gate.${name}`, L === 1 ? inputSize : d, perGate, 0));
    arch = { type: 'gated', levels, lastGates, S, K };
  }
  const towers = names.map((name) => (towerUnits.length === 0 ? null : mlp(`tower.${name}`, d, towerUnits, act)));
  const repWidth = towerUnits.at(-1) ?? d;

  // The task heads (src/mtl/head.ts): hidden layers, then the output layer.
  const tasks = taskSpecs.map((s, t): TaskLayout => {
    const hidden = s.headUnits === undefined ? [] : units(`task ${q(names[t]!)}: headUnits`, s.headUnits, true);
    const headAct = activation(`task ${q(names[t]!)}: headActivation`, s.headActivation);
    const inWidth = inputsFrom[t]!.reduce((sum, src) => sum + widths[src]!, repWidth);
    const prefix = `head.${names[t]}`;
    const head = [...mlp(prefix, inWidth, hidden, headAct), dense(`${prefix}.${hidden.length}`, hidden.at(-1) ?? inWidth, widths[t]!, 0)];
    return { name: names[t]!, kind: s.kind as TaskKind, width: widths[t]!, inputsFrom: inputsFrom[t]!, repWidth, tower: towers[t]!, head };
  });
  if (next !== rows.length || size !== n) mismatch(`the network has ${next} tensors in ${size} weights; the file has ${rows.length} in ${n}`);
  return { inputSize, d, arch, tasks, order, tensors };
}

/** The padding between and after the tensors must be 0, as save() writes it (ModelFormatError otherwise). */
export function checkPadding(layout: ModelLayout, weights: Float32Array): void {
  let next = 0;
  const zero = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      if (weights[i] !== 0) throw new ModelFormatError(`weight ${i} lies between tensors (padding) and is ${weights[i]}, not 0`);
    }
  };
  for (const [at, length] of layout.tensors) {
    zero(next, at);
    next = at + length;
  }
  zero(next, weights.length);
}
