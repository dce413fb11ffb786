// What a federation exchanges: the parts of a model's parameter block, found by
// each tensor's declared owner (src/nn/params.ts ParameterInfo.owner,
// src/graph/description.ts TensorSpec.owner), never by its name.
//
//   shared      every tensor owned by no task (the trunk, the experts, the gates'
//               shared inputs…): what every client trains and sends.
//   task t      every tensor task t owns (its tower, gate, head…): local to each
//               client by default, or averaged among the clients holding t's labels.
//
// A part is its tensors' values packed one after another in memory order,
// without the block's 4-float alignment padding. The client builds its layout from
// its model's parameters, the coordinator from the model file's description; the
// layout id (a checksum of every tensor's name, shape, owner and offset, and of the
// task names) must agree, so an update of another architecture is refused whole.

import { crc32 } from '../io/format.js';
import { SHARED } from '../graph/description.js';

export interface LayoutTensor {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  /** Index of the owning task, or -1 (SHARED). */
  readonly owner: number;
  /** Offset in floats in the parameter block. */
  readonly offset: number;
}

export interface LayoutPart {
  /** The task the part belongs to, or null for the shared part. */
  readonly task: string | null;
  /** The task's index, or -1. */
  readonly owner: number;
  readonly tensors: readonly LayoutTensor[];
  /** Floats in the packed part. */
  readonly length: number;
}

export class FederatedLayout {
  readonly tensors: readonly LayoutTensor[];
  readonly taskNames: readonly string[];
  /** Floats in the whole parameter block (with its padding). */
  readonly blockSize: number;
  readonly shared: LayoutPart;
  /** One part per task, in the model's task order (possibly empty: a task may own no tensor). */
  readonly tasks: readonly LayoutPart[];
  /** 8 hex digits identifying the tensors, owners, offsets and task names. */
  readonly id: string;

  constructor(tensors: readonly LayoutTensor[], taskNames: readonly string[], blockSize: number) {
    this.tensors = tensors.map((t) => ({ name: t.name, rows: t.rows, cols: t.cols, owner: t.owner, offset: t.offset }));
    this.taskNames = [...taskNames];
    this.blockSize = blockSize;
    const part = (owner: number): LayoutPart => {
      const mine = this.tensors.filter((t) => t.owner === owner);
      return { task: owner === SHARED ? null : taskNames[owner]!, owner, tensors: mine, length: mine.reduce((n, t) => n + t.rows * t.cols, 0) };
    };
    this.shared = part(SHARED);
    this.tasks = taskNames.map((_, t) => part(t));
    const canonical = JSON.stringify([this.taskNames, this.blockSize, this.tensors.map((t) => [t.name, t.rows, t.cols, t.owner, t.offset])]);
    const bytes = new TextEncoder().encode(canonical);
    this.id = crc32(bytes, 0, bytes.length).toString(16).padStart(8, '0');
  }

  /** The parts in wire order: shared first, then the tasks in model order. */
  get parts(): readonly LayoutPart[] {
    return [this.shared, ...this.tasks];
  }

  /** The part of task `name`, or undefined. */
  task(name: string): LayoutPart | undefined {
    const t = this.taskNames.indexOf(name);
    return t < 0 ? undefined : this.tasks[t];
  }

  /** The part's values packed out of a whole parameter block. */
  gather(part: LayoutPart, block: Float32Array, out = new Float32Array(part.length)): Float32Array {
    let at = 0;
    for (const t of part.tensors) {
      const n = t.rows * t.cols;
      out.set(block.subarray(t.offset, t.offset + n), at);
      at += n;
    }
    return out;
  }

  /** Writes packed part values into a whole parameter block. */
  scatter(part: LayoutPart, packed: ArrayLike<number>, block: Float32Array): void {
    let at = 0;
    for (const t of part.tensors) {
      const n = t.rows * t.cols;
      for (let i = 0; i < n; i++) block[t.offset + i] = packed[at + i]!;
      at += n;
    }
  }
}
