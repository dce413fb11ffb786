// A model's parameters: one contiguous f32 block, gradients in a second block of
// the same layout (see ParameterBlock). Layers declare named tensors while the
// model is built; `allocate` then reserves both blocks and initializes them in
// declaration order, so a seed fixes every weight.

import type { ParameterBlock } from './types.js';
import { Rng } from './rng.js';
import { initialize, type Initializer } from './init.js';
import { heapF32 } from '../runtime/module.js';
import { ArgumentError, DisposedError, ShapeError } from '../runtime/errors.js';
import { isF32Finite, show } from '../runtime/validate.js';
import { Holding } from '../runtime/holdings.js';

export interface ParameterInfo {
  readonly name: string;
  readonly shape: readonly [rows: number, cols: number];
  /** Offset in floats from the start of the block. */
  readonly offset: number;
  readonly size: number;
  readonly initializer: Initializer;
  readonly fanIn: number;
  readonly fanOut: number;
  /**
   * The task (index) that owns it, or -1 when it is shared or belongs to no task (a
   * Network's layers). Declared with the tensor, never read from its name.
   */
  readonly owner: number;
  /** For a task's tensor: what it is within its task, the same for every task (see src/graph/description.ts). */
  readonly role: string;
}

/** Where one declared tensor lives; valid for the lifetime of its Parameters. */
export interface ParameterHandle {
  readonly offset: number;
  readonly size: number;
}

export class Parameters implements ParameterBlock {
  readonly #infos: ParameterInfo[] = [];
  readonly #byName = new Map<string, ParameterInfo>();
  readonly #frozen = new Set<string>();
  #size = 0;
  #params = 0;
  #grads = 0;
  #allocated = false;
  #disposed = false;
  #trainable: Array<readonly [number, number]> = [];
  readonly #memory: Holding = new Holding('Parameters');

  /** Declares a rows × cols tensor. Offsets are 4-float aligned so rows start on a v128 boundary. */
  declare(name: string, rows: number, cols: number, initializer: Initializer, fanIn = rows, fanOut = cols, owner = -1, role = ''): ParameterHandle {
    if (this.#allocated) throw new ArgumentError(`cannot declare parameter "${name}": the parameters are already allocated`);
    if (this.#byName.has(name)) throw new ArgumentError(`parameter name "${name}" is declared twice`);
    const offset = this.#size;
    const size = rows * cols;
    const info: ParameterInfo = { name, shape: [rows, cols], offset, size, initializer, fanIn, fanOut, owner, role };
    this.#infos.push(info);
    this.#byName.set(name, info);
    this.#size = offset + Math.ceil(size / 4) * 4;
    return { offset, size };
  }

  /** Reserves the parameter and gradient blocks, zeroes the gradients, runs the initializers. */
  allocate(rng: Rng): void {
    if (this.#allocated) throw new ArgumentError('the parameters are already allocated');
    if (this.#disposed) throw new DisposedError('a model\'s parameters');
    if (!(rng instanceof Rng)) throw new ArgumentError(`Parameters.allocate: rng must be an Rng, got ${show(rng)}`);
    const bytes = Math.max(this.#size, 4) * 4;
    this.#params = this.#memory.alloc(this, bytes, `${this.#size} parameters`);
    try {
      this.#grads = this.#memory.alloc(this, bytes, `the gradients of ${this.#size} parameters`);
    } catch (err) {
      this.#memory.release();
      this.#params = 0;
      throw err;
    }
    const heap = heapF32();
    heap.fill(0, this.#params >>> 2, (this.#params >>> 2) + this.#size);
    heap.fill(0, this.#grads >>> 2, (this.#grads >>> 2) + this.#size);
    for (const p of this.#infos) initialize(p.initializer, this.#params + p.offset * 4, p.size, p.fanIn, p.fanOut, rng);
    this.#allocated = true;
    this.#updateTrainable();
  }

  get isAllocated(): boolean {
    return this.#allocated && !this.#disposed;
  }

  get size(): number {
    return this.#size;
  }

  get params(): number {
    this.#check('parameters');
    return this.#params;
  }

  get grads(): number {
    this.#check('gradients');
    return this.#grads;
  }

  get trainable(): ReadonlyArray<readonly [number, number]> {
    return this.#trainable;
  }

  /** Byte offset of a declared tensor's values. */
  ptr(handle: ParameterHandle): number {
    return this.params + handle.offset * 4;
  }

  /** Byte offset of a declared tensor's gradient. */
  gradPtr(handle: ParameterHandle): number {
    return this.grads + handle.offset * 4;
  }

  /** Every parameter, in declaration (and memory) order. */
  list(): readonly ParameterInfo[] {
    return this.#infos;
  }

  names(): string[] {
    return this.#infos.map((p) => p.name);
  }

  /** A copy of a parameter's values, row-major. */
  get(name: string): Float32Array {
    const p = this.#info(name);
    const at = (this.params >>> 2) + p.offset;
    return heapF32().slice(at, at + p.size);
  }

  /** A copy of a parameter's gradient from the last backward pass. */
  gradient(name: string): Float32Array {
    const p = this.#info(name);
    const at = (this.grads >>> 2) + p.offset;
    return heapF32().slice(at, at + p.size);
  }

  /** Overwrites a parameter's values. */
  set(name: string, values: ArrayLike<number>): void {
    const p = this.#info(name);
    if (typeof values !== 'object' || values === null || typeof (values as { length?: unknown }).length !== 'number') {
      throw new ArgumentError(`parameter "${name}": values must be an array or a typed array of ${p.size} numbers, got ${show(values)}`);
    }
    if (values.length !== p.size) {
      throw new ShapeError(`parameter "${name}" has ${p.shape[0]}×${p.shape[1]} = ${p.size} values, got ${values.length}`);
    }
    for (let i = 0; i < values.length; i++) {
      const v: unknown = values[i];
      if (!isF32Finite(v)) {
        throw new ArgumentError(typeof v === 'number' && Number.isFinite(v)
          ? `parameter "${name}": value ${i} is ${v}, beyond the float32 range (±3.4e38) of the weights`
          : `parameter "${name}": value ${i} is ${show(v)}; expected a finite number`);
      }
    }
    heapF32().set(values, (this.params >>> 2) + p.offset);
  }

  /**
   * Freezes every parameter whose name is `prefix` or starts with `prefix.`
   * (so "trunk" freezes "trunk.0.weight" but not "trunk2.weight"); returns the names.
   */
  freeze(prefix: string): string[] {
    const names = this.#match('freeze', prefix);
    for (const n of names) this.#frozen.add(n);
    this.#updateTrainable();
    return names;
  }

  unfreeze(prefix: string): string[] {
    const names = this.#match('unfreeze', prefix);
    for (const n of names) this.#frozen.delete(n);
    this.#updateTrainable();
    return names;
  }

  isFrozen(name: string): boolean {
    this.#info(name);
    return this.#frozen.has(name);
  }

  /** Sets every gradient to zero. */
  zeroGrad(): void {
    const at = this.grads >>> 2;
    heapF32().fill(0, at, at + this.#size);
  }

  dispose(): void {
    if (this.#disposed || !this.#allocated) { this.#disposed = true; return; }
    this.#memory.release();
    this.#disposed = true;
  }

  #match(where: string, prefix: unknown): string[] {
    if (typeof prefix !== 'string' || prefix === '') {
      throw new ArgumentError(`${where}: the name prefix must be a non-empty string, got ${show(prefix)}`);
    }
    const names = this.#infos.map((p) => p.name).filter((n) => n === prefix || n.startsWith(prefix.endsWith('.') ? prefix : `${prefix}.`));
    if (names.length === 0) {
      throw new ArgumentError(`${where}: no parameter name starts with "${prefix}" (names: ${this.names().join(', ')})`);
    }
    return names;
  }

  #info(name: string): ParameterInfo {
    const p = this.#byName.get(name);
    if (p === undefined) throw new ArgumentError(`unknown parameter ${show(name)} (names: ${this.names().join(', ')})`);
    return p;
  }

  #check(what: string): void {
    if (this.#disposed) throw new DisposedError(`a model's ${what}`);
    if (!this.#allocated) throw new ArgumentError(`the model's ${what} are not allocated yet (build the model first)`);
  }

  // Trainable ranges: runs of non-frozen tensors (with their alignment padding), merged.
  #updateTrainable(): void {
    const ranges: Array<[number, number]> = [];
    for (let i = 0; i < this.#infos.length; i++) {
      const p = this.#infos[i]!;
      if (this.#frozen.has(p.name)) continue;
      const end = i + 1 < this.#infos.length ? this.#infos[i + 1]!.offset : this.#size;
      const last = ranges[ranges.length - 1];
      if (last !== undefined && last[0] + last[1] === p.offset) last[1] = end - last[0];
      else ranges.push([p.offset, end - p.offset]);
    }
    this.#trainable = ranges;
  }
}
