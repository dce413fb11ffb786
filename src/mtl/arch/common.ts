// What every architecture file shares: reading its spec (each option checked and
// named in the error), the activation names, and the per-task towers. An
// architecture is a pure description (src/graph/description.ts): no kernels, no
// buffers, no training state — the inference entry imports these files.

import { ArgumentError, ShapeError } from '../../runtime/errors.js';
import { checkDim, checkKeys, show } from '../../runtime/validate.js';
import { Act } from '../../runtime/abi.js';
import { ACTIVATIONS, checkActivation, type Activation } from '../../runtime/activations.js';
import { SHARED, type ActCode, type DescriptionBuilder, type NetworkDescription, type Op } from '../../graph/description.js';

/** Each activation name's kernel code. */
export const ACTIVATION_CODES = Object.fromEntries(
  Object.entries(ACTIVATIONS).map(([name, kernel]) => [name, Act[kernel]]),
) as Readonly<Record<Activation, ActCode>>;

/** Reads an architecture spec: unknown options, missing ones and bad values are errors naming the option. */
export class SpecReader {
  readonly #where: string;
  readonly #spec: Record<string, unknown>;

  constructor(type: string, spec: Record<string, unknown>, known: readonly string[]) {
    this.#where = `architecture "${type}"`;
    this.#spec = spec;
    checkKeys(this.#where, spec, ['type', ...known]);
  }

  #required(name: string): unknown {
    const v = Object.hasOwn(this.#spec, name) ? this.#spec[name] : undefined;
    if (v === undefined) throw new ArgumentError(`${this.#where}: missing option "${name}"`);
    return v;
  }

  /** An integer ≥ min (a count: ShapeError). */
  count(name: string, min = 1): number {
    const v = this.#required(name);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw new ShapeError(`${this.#where}: ${name} must be an integer ≥ ${min}, got ${show(v)}`);
    }
    return v;
  }

  /** An array of layer widths; `allowEmpty` for towers (no tower: the task part is the identity). */
  units(name: string, allowEmpty: boolean): number[] {
    const v = this.#required(name);
    if (!Array.isArray(v)) throw new ArgumentError(`${this.#where}: ${name} must be an array of layer widths, got ${show(v)}`);
    if (v.length === 0 && !allowEmpty) throw new ShapeError(`${this.#where}: ${name} must list at least one layer width`);
    return v.map((u: unknown, i) => checkDim(this.#where, `${name}[${i}]`, u));
  }

  activation(): Activation {
    const v = this.#spec['activation'];
    return v === undefined ? 'relu' : checkActivation(this.#where, v);
  }

  /** A number in [lo, hi) (or [lo, hi] with closed), with a default. */
  fraction(name: string, fallback: number, lo: number, hi: number, closed: boolean): number {
    const v = this.#spec[name];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || (closed ? v > hi : v >= hi)) {
      throw new ArgumentError(`${this.#where}: ${name} must be a number in [${lo}, ${hi}${closed ? ']' : ')'}, got ${show(v)}`);
    }
    return v;
  }
}

/** The options every architecture takes besides its own. */
export interface CommonConfig {
  readonly towerUnits: readonly number[];
  readonly activation: Activation;
  readonly dropout: number;
}

/** Reads towerUnits, activation and dropout. */
export function readCommon(r: SpecReader): CommonConfig {
  return { towerUnits: r.units('towerUnits', true), activation: r.activation(), dropout: r.fraction('dropout', 0, 0, 1, false) };
}

/**
 * What an architecture file exports: its spec reader and its network. `Spec` is the
 * spec a user writes (its `type` names the architecture); it only types the registry.
 */
export interface ArchitectureDefinition<Config extends CommonConfig = CommonConfig, Spec extends { type: string } = { type: string }> {
  /** Never set: carries the spec type (see ArchitectureSpec in index.ts). */
  readonly spec?: Spec;
  readonly type: string;
  /** Its options besides `type`. */
  readonly options: readonly string[];
  /** Checks a spec; returns it with every default filled in (what a model file stores). */
  read(r: SpecReader): Config;
  /**
   * Writes the network for these tasks into the builder, tensors in the order the
   * model declares (and initializes) them: the shared part's, then each task's.
   */
  describe(config: Config, b: DescriptionBuilder, taskNames: readonly string[]): ArchitectureParts;
}

/** An architecture's operations (its values and tensors are the builder's). */
export type ArchitectureParts = Pick<NetworkDescription, 'shared' | 'z' | 'tasks'>;

/** Type-checks an architecture file's export: `defineArchitecture<MySpec>()({ … })`. */
export function defineArchitecture<Spec extends { type: string }>() {
  return <C extends CommonConfig>(def: ArchitectureDefinition<C, Spec> & { type: Spec['type'] }): ArchitectureDefinition<C, Spec> => def;
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

export { SHARED, type Activation };
