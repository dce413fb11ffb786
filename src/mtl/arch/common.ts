// What every architecture file shares: reading its spec (each option checked and
// named in the error), the activation names, and the per-task towers. An
// architecture is a pure description (src/graph/description.ts): no kernels, no
// buffers, no training state — the inference entry imports these files.

import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { checkDim, checkKeys, show } from '../../runtime/validate.js';
import { Act } from '../../runtime/abi.js';
import { ACTIVATIONS, checkActivation, type Activation } from '../../runtime/activations.js';
import { checkLayerInitializer, type LayerInitializerName } from '../../runtime/initializers.js';
import { SHARED, type ActCode, type DescriptionBuilder, type NetworkDescription, type Op } from '../../graph/description.js';

/** Each activation name's kernel code. */
export const ACTIVATION_CODES = Object.fromEntries(
  Object.entries(ACTIVATIONS).map(([name, kernel]) => [name, Act[kernel]]),
) as Readonly<Record<Activation, ActCode>>;

/**
 * How an architecture reads one option of its spec: `where` and `name` for the error,
 * `value` as given (undefined when absent). Counts and sizes that are not positive
 * integers are ShapeErrors; a missing option, a wrong type or range, ArgumentErrors.
 */
export type OptionReader<T> = (where: string, name: string, value: unknown) => T;

function required(where: string, name: string, value: unknown): unknown {
  if (value === undefined) throw new ArgumentError(`${where}: missing option "${name}"`);
  return value;
}

/** An integer from min to max. */
export const count = (min = 1, max = Number.MAX_SAFE_INTEGER): OptionReader<number> => (where, name, value) => {
  const v = required(where, name, value);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new ShapeError(`${where}: ${name} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`}, got ${show(v)}`);
  }
  return v;
};

/** An array of layer widths; `allowEmpty` for towers (no tower: the task part is the identity). */
export const units = (allowEmpty = false): OptionReader<number[]> => (where, name, value) => {
  const v = required(where, name, value);
  if (!Array.isArray(v)) throw new ArgumentError(`${where}: ${name} must be an array of layer widths, got ${show(v)}`);
  if (v.length === 0 && !allowEmpty) throw new ShapeError(`${where}: ${name} must list at least one layer width`);
  return v.map((u: unknown, i) => checkDim(where, `${name}[${i}]`, u));
};

/** A number in [lo, hi) (or [lo, hi] with `closed`), `fallback` when absent. */
export const fraction = (fallback: number, lo: number, hi: number, closed = false): OptionReader<number> => (where, name, v) => {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || (closed ? v > hi : v >= hi)) {
    throw new ArgumentError(`${where}: ${name} must be a number in [${lo}, ${hi}${closed ? ']' : ')'}, got ${show(v)}`);
  }
  return v;
};

/** `read`, or `fallback` when the option is absent. */
export const optional = <T>(read: OptionReader<T>, fallback: T): OptionReader<T> => (where, name, v) => (v === undefined ? fallback : read(where, name, v));

/** true or false, `fallback` when absent (MMoE's `gateBias`, say). */
export const flag = (fallback: boolean): OptionReader<boolean> => (where, name, v) => {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ArgumentError(`${where}: ${name} must be true or false, got ${show(v)}`);
  return v;
};

/**
 * The options every architecture takes besides its own: towerUnits, activation
 * (default 'relu'), dropout (default 0), initializer (default 'glorotUniform', as
 * Keras; the model fills in its own `initializer` when the spec names none).
 */
const COMMON = {
  towerUnits: units(true),
  activation: ((where, _name, v) => (v === undefined ? 'relu' : checkActivation(where, v))) as OptionReader<Activation>,
  dropout: fraction(0, 0, 1),
  initializer: ((where, _name, v) => (v === undefined ? 'glorotUniform' : checkLayerInitializer(where, v))) as OptionReader<LayerInitializerName>,
};

/** An architecture's own options, each with its reader. */
export type OptionSchema = Readonly<Record<string, OptionReader<unknown>>>;
/** A spec as read: every option with its default filled in. */
export type ConfigOf<S extends OptionSchema> = { readonly [K in keyof S | keyof typeof COMMON]: ReturnType<(S & typeof COMMON)[K]> };
export type CommonConfig = ConfigOf<Record<never, never>>;

/**
 * What an architecture file exports: its options and its network. `Spec` is the spec
 * a user writes (its `type` names the architecture); it only types the registry.
 */
export interface ArchitectureDefinition<S extends OptionSchema = OptionSchema, Spec extends { type: string } = { type: string }> {
  /** Never set: carries the spec type (see ArchitectureSpec in index.ts). */
  readonly spec?: Spec;
  readonly type: string;
  /** Its options besides `type` and the common ones, each with its reader. */
  readonly options: S;
  /**
   * Writes the network for these tasks into the builder, tensors in the order the
   * model declares (and initializes) them: the shared part's, then each task's.
   */
  describe(config: ConfigOf<S>, b: DescriptionBuilder, taskNames: readonly string[]): ArchitectureParts;
}

/**
 * How an architecture takes one more task, appended after `taskNames`
 * (MultiTaskModel#addTask), where a shared tensor's shape or meaning depends on
 * the task count: its file exports the rule, growth.ts lists it (so that
 * manytask/infer, which only reads grown specs, leaves it out). `exact`: the shared
 * part stays frozen, so the tasks the model has must compute bit for bit as before;
 * else it is retrained, and the trained values are only its start.
 */
export type GrowthRule = (config: Readonly<Record<string, unknown>>, taskNames: readonly string[], exact: boolean) => Growth;

/** What a growth rule returns. */
export interface Growth {
  /** The options of the grown spec that differ from this one (undefined: back to the default). */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * Whether tensor `name`, whose shape grows with the task, keeps its trained
   * values in its top-left block (rows and columns keep their indices), its new
   * rows and columns starting from its initializer: with the grown options, the
   * old tasks then compute as before (when `exact`). A tensor whose shape changes
   * and that this does not keep cannot be kept: addTask refuses when `exact`, else
   * starts it afresh.
   */
  keeps(name: string): boolean;
}

/** An architecture's operations (its values and tensors are the builder's). */
export type ArchitectureParts = Pick<NetworkDescription, 'shared' | 'z' | 'tasks'>;

/** Type-checks an architecture file's export: `defineArchitecture<MySpec>()({ … })`. */
export function defineArchitecture<Spec extends { type: string }>() {
  return <S extends OptionSchema>(def: ArchitectureDefinition<S, Spec> & { type: Spec['type'] }): ArchitectureDefinition<S, Spec> => def;
}

/** Reads a spec with an architecture's options and the common ones (unknown options are errors). */
export function readOptions(def: ArchitectureDefinition, spec: Record<string, unknown>): Record<string, unknown> {
  const where = `architecture "${def.type}"`;
  const readers = { ...def.options, ...COMMON };
  checkKeys(where, spec, ['type', ...Object.keys(readers)]);
  // An option whose default is "absent" (undefined) stays out of the config, and so out of the model file.
  return Object.fromEntries(Object.entries(readers)
    .map(([name, read]) => [name, read(where, name, Object.hasOwn(spec, name) ? spec[name] : undefined)])
    .filter(([, v]) => v !== undefined));
}

/**
 * Task parts that end in towers: task t's part is `before(t)` (ops that read x and z),
 * then tower_t, an MLP named `tower.<task>.<k>` (none when towerUnits is []). Every
 * task's `before` runs first (its tensors are declared before any tower's, as the
 * architectures have always declared them).
 */
export function withTowers(
  b: DescriptionBuilder, c: CommonConfig, taskNames: readonly string[], before: (t: number, ops: Op[]) => number,
): { ops: Op[]; out: number }[] {
  const parts = taskNames.map((_, t) => {
    const ops: Op[] = [];
    b.into(ops);
    return { ops, out: before(t, ops) };
  });
  const act = ACTIVATION_CODES[c.activation];
  return parts.map((p, t) => {
    b.into(p.ops);
    return { ops: p.ops, out: b.mlp(p.out, c.towerUnits, `tower.${taskNames[t]}`, act, t, c.dropout, 'tower') };
  });
}

/** What every architecture's spec takes besides its own options (read by COMMON above). */
export interface CommonSpec {
  /** Widths of each task's tower; [] for none. */
  towerUnits: number[];
  /** Of every hidden layer (gates and selectors stay linear). Default 'relu'. */
  activation?: Activation;
  /** Dropout rate after every hidden layer while training. Default 0. */
  dropout?: number;
  /** What every dense layer's weights start from (src/nn/init.ts). Default: the model's `initializer`. */
  initializer?: LayerInitializerName;
}

export { SHARED, type Activation, type LayerInitializerName };
