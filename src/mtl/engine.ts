// The training engine of a multi-task network: a model description
// (src/mtl/describe.ts) run forward and backward on the kernels, with per-batch
// buffers for every value and its gradient. It declares the description's tensors
// in a Parameters block (initialized in declaration order by the model's seed)
// and answers the passes the model's training step composes:
//
//   forwardShared   x → z
//   forwardTask t   (x, z) → R_t, then t's head → logits (its sources' predictions first)
//   prediction t    logits → probabilities (or the values), once per forward
//   backwardHead t  dL/dlogits → dL/dR_t and dL/d(each source's prediction)
//   backwardTask t  dL/dR_t → dL_t/dz (a buffer of task t)
//   backwardShared  dL/dz → the shared part's tensor gradients
//
// Between beginInputGradient and endInputGradient, the backward passes also sum
// dL/dx, the gradient of the input, into a buffer of the caller's (adversarial
// training and evaluation, src/mtl/adversarial.ts).
//
// With embedding tables, the description's shared part starts with the input
// stage (the lookups), whose output every consumer reads: the shared trunk, and
// the task parts of MMoE, CGC (a PLE of one level) and DSelect-k (their gates and selectors). Its
// gradient is the sum of all of theirs: each backwardTask adds its task part's
// share, backwardShared adds the trunk's, then runs the input stage backward on
// the sum (the tables' gradients) and starts the next sum (resetInputStage drops
// one, for passes whose gradients are scratch).
//
// Buffers returned stay valid until the next call of the same pass (for the same task).
//
// Every pass runs on the whole batch, or on one micro-shard of it (src/mtl/shards.ts)
// when given one: then it reads and writes the shard's rows of each per-batch buffer
// (pointers the caller passes point at the shard's first row already) and writes its
// tensor gradients into the shard's own gradient block (shard 0's is the parameters'
// gradient block; addShardGradients adds the others into it, in shard order). Dropout
// masks are drawn from a sequence keyed by the step, the pass and the shard
// (beginDraws), so a shard draws the same numbers whenever and wherever it runs.
// runShards runs a pass on every shard: recorded once as kernel-call programs that
// the pool's threads run, a shard each, or one shard after another here.

import { heapF32, runtime } from '../runtime/module.js';
import { Holding } from '../runtime/holdings.js';
import { ArgumentError, DisposedError, ShapeError } from '../runtime/errors.js';
import { show } from '../runtime/validate.js';
import { flatten, tensorsOf, inputsOf, type Op } from '../graph/description.js';
import { attentionExtras, fusedAct, runForward, type OpExtras } from '../graph/forward.js';
import { runBackward, type BackwardState } from '../graph/backward.js';
import type { Parameters } from '../nn/params.js';
import type { Rng } from '../nn/rng.js';
import type { ModelDescription, TaskDescription } from './describe.js';
import { MAX_SHARDS, runOrder, type Shard } from './shards.js';
import { encodeCall, NotRecordable, ProgramPieces, recordingKernels } from '../threads/program.js';
import { programRunnerOf, type ProgramRunner } from '../threads/parallel.js';
import type { Kernels } from '../runtime/abi.js';

/** The key of the step-wide draws (Gumbel noise: one sample for every row of the batch) in place of a shard index. */
const STEP_WIDE = 0xffffffff;

/**
 * Floats of the shards' gradient sum added at a time (16 KB): the sum's piece stays
 * in the first-level cache while every shard's block is added into it, instead of
 * the whole sum going through memory once per shard (8 shards at batch 1024).
 */
const REDUCE_PIECE = 4096;

/** Calls `piece(floats, offset)` for each REDUCE_PIECE-float piece of the [offset, length] pairs in `ranges`. */
function reducePieces(ranges: readonly number[], piece: (floats: number, at: number) => void): void {
  for (let i = 0; i < ranges.length; i += 2) {
    const end = ranges[i]! + ranges[i + 1]!;
    for (let at = ranges[i]!; at < end; at += REDUCE_PIECE) piece(Math.min(REDUCE_PIECE, end - at), at);
  }
}

/** The whole batch (of the capacity) as one shard: shard 0's view at row 0. */
const WHOLE: Shard = { index: 0, start: 0, rows: 0 };

/** Where one shard's passes read and write. */
interface View {
  /** The shard's first row (the offset of its pointers into the per-batch buffers). */
  start: number;
  readonly state: BackwardState;
  /** Own buffers (next to value[]): what dropout writes into outside the input's buffer. */
  readonly own: number[];
  /** Per task, its dL_t/dz rows. */
  readonly dZ: number[];
  /** Per task: the forward pass its prediction was computed in. */
  readonly predicted: Int32Array;
  pass: number;
  /** The dropout sequence of this shard's current pass (16 bytes), and the step-wide one (Gumbel). */
  readonly draws: number;
  readonly stepDraws: number;
  /** Which beginDraws this shard last drew under, and how many training passes since it. */
  keyGeneration: number;
  repeat: number;
}

/** One pass's micro-shard programs (src/threads/program.ts), recorded once for a batch size. */
interface ShardPrograms {
  /** Per shard index: the program's byte offset and length (f64). */
  readonly programs: readonly { readonly at: number; readonly length: number }[];
  /** The job's table (an i32 pair per task) and its results (an i32 per task). */
  readonly table: number;
  readonly results: number;
  /** What the pass returned for each shard when it was recorded (pointers: the same at every replay). */
  readonly outs: readonly unknown[];
}

/** The per-batch buffers at row 0, from which each shard's view is offset. */
interface Base {
  readonly value: number[];
  readonly grad: number[];
  readonly extras: Map<Op, OpExtras>;
  readonly masks: Map<Op, number>;
  readonly scratch: readonly [number, number];
  readonly dZ: number[];
  readonly widest: number;
}

export class NetworkEngine {
  readonly description: ModelDescription;
  readonly #params: Parameters;
  readonly #rng: Rng;
  /** Each tensor's offset in the parameter block (floats). */
  readonly #offsets: Int32Array;
  /** The tensors of the shared part (what per-task parameter gradients cover, what addTask freezes). */
  readonly sharedTensors: readonly number[];
  /** Per shard index, its view of the per-batch buffers (null: not used yet); [0] exists once allocated. */
  #views: (View | null)[] = [];
  #base: Base | null = null;
  /** Per shard index ≥ 1, its gradient block (kept across allocate: it depends on the parameters alone). */
  readonly #shardGrads: number[] = [];
  /** The per-batch buffers, given back by dispose (or when the engine is collected). */
  readonly #memory = new Holding('NetworkEngine');
  #capacity = 0;
  #disposed = false;
  /** The key of the current draws: [step, pass] (beginDraws), and how many times it was set. */
  #drawKey: readonly [number, number] = [0, 0];
  #keyGeneration = 0;
  /** Rows × input width: where one backward pass writes its part of dL/dx (see beginInputGradient). */
  #inputScratch = 0;
  /** Where dL/dx is summed over the passes (0: not collecting), and whether nothing has been summed there yet. */
  #inputSum = 0;
  #inputSumFresh = true;
  /** While a pass is being recorded: the kernels that record (null: the runtime's, which run). */
  #recorder: Kernels | null = null;
  /** Per pass and batch size, its recorded micro-shard programs (dropped with the buffers they point into). */
  readonly #programs = new Map<string, ShardPrograms>();
  /** Whether any operation draws random numbers in training (dropout, Gumbel noise): else no pass keys draws. */
  readonly #draws: boolean;
  /** Per pass, the values whose gradients it writes (reset to fresh before it runs). */
  readonly #writes: { shared: number[]; tasks: number[][]; heads: number[][] };
  /**
   * The input stage's ops and the shared trunk's (see the file comment), when the
   * stage's output is not z itself; else null (the stage, if any, is the whole
   * shared part, and its gradient comes through dL/dz).
   */
  readonly #inputStage: { readonly stage: readonly Op[]; readonly trunk: readonly Op[] } | null;
  /** Whether a task part reads the input stage's output (gates, selectors): the tables' gradient then comes through task parts too. */
  readonly taskPartsReadInput: boolean;

  constructor(description: ModelDescription, params: Parameters, dropoutRng: Rng) {
    this.description = description;
    this.#params = params;
    this.#rng = dropoutRng;
    this.#offsets = new Int32Array(description.tensors.length);
    description.tensors.forEach((t, i) => {
      this.#offsets[i] = params.declare(t.name, t.rows, t.cols, t.init, t.fanIn, t.fanOut, t.owner, t.role).offset;
    });
    this.sharedTensors = tensorsOf(description.shared);
    checkInputStage(description);
    this.#draws = this.#allOps().some((op) => op.kind === 'dropout' || op.kind === 'gumbel');
    const d = description, summed = d.input !== 0 && d.input !== d.z;
    if (summed) {
      const stageEnd = d.shared.findIndex((op) => 'y' in op && op.y === d.input) + 1;
      this.#inputStage = { stage: d.shared.slice(0, stageEnd), trunk: d.shared.slice(stageEnd) };
    } else {
      this.#inputStage = null;
    }
    this.taskPartsReadInput = summed && d.tasks.some((t) => flatten(t.ops).some((op) => inputsOf(op).includes(d.input)));
    // The input stage's output is summed over passes, never reset by one (see the file comment).
    const reads = (ops: readonly Op[], seed: number) => [...new Set(ops.flatMap((op) => [...inputsOf(op)]))].filter((v) => v !== seed && !(summed && v === d.input));
    this.#writes = {
      shared: reads(description.shared, description.z),
      tasks: description.tasks.map((t) => reads(t.ops, t.rep)),
      heads: description.tasks.map((t) => reads(t.head, t.logits)),
    };
  }

  /** Drops what the task parts added to the input stage's gradient since it last ran (their passes were scratch). */
  resetInputStage(shard?: Shard): void {
    if (this.#inputStage !== null && this.#base !== null) this.#viewOf(shard).state.fresh[this.description.input] = 1;
  }

  get tasks(): readonly TaskDescription[] { return this.description.tasks; }
  /** Floats per row of z. */
  get sharedSize(): number { return this.description.values[this.description.z]!; }
  /** Floats per row of R_t. */
  repWidth(t: number): number { return this.description.values[this.description.tasks[t]!.rep]!; }
  get capacity(): number { return this.#capacity; }

  /** (Re)reserves every per-batch buffer for up to maxRows rows. */
  allocate(maxRows: number): void {
    this.#check();
    this.#free();
    const d = this.description, V = d.values.length;
    const alloc = (floats: number): number => this.#memory.alloc(this, Math.max(floats, 1) * 4);
    const ints = (values: readonly number[]): number => {
      const p = alloc(values.length);
      new Int32Array(runtime('NetworkEngine').memory.buffer, p, values.length).set(values);
      return p;
    };
    const widest = Math.max(...d.values);
    const value = new Array<number>(V).fill(0), grad = new Array<number>(V).fill(0);
    for (let v = 1; v < V; v++) value[v] = alloc(maxRows * d.values[v]!);
    // Gradients: every value but the input, z (per pass: a task's dZ buffer or the caller's dZ) and the logits (the loss writes them).
    const logits = new Set(d.tasks.map((t) => t.logits));
    for (let v = 1; v < V; v++) if (v !== d.z && !logits.has(v)) grad[v] = alloc(maxRows * d.values[v]!);
    const extras = new Map<Op, OpExtras>(), masks = new Map<Op, number>();
    for (const op of this.#allOps()) {
      if (op.kind === 'dense' && !fusedAct(op.act)) extras.set(op, { pre: alloc(maxRows * d.values[op.y]!) });
      else if (op.kind === 'conv1d') {
        const col = maxRows * op.steps * op.kernel * (d.values[op.x]! / op.steps);
        extras.set(op, { col: alloc(col), dcol: alloc(col), ...(fusedAct(op.act) ? {} : { pre: alloc(maxRows * d.values[op.y]!) }) });
      } else if (op.kind === 'dropout') masks.set(op, alloc(maxRows * d.values[op.x]!));
      else if (op.kind === 'mix') extras.set(op, { blocks: ints(op.blocks) });
      else if (op.kind === 'layerNorm') {
        const groups = maxRows * (d.values[op.x]! / op.cols);
        extras.set(op, { mean: alloc(groups), rstd: alloc(groups) });
      } else if (op.kind === 'attention') {
        // Every row's weights (a shard's rows are offset into them); the scratch is each shard's own (newView).
        extras.set(op, { probs: alloc(maxRows * op.heads * op.steps * op.steps), keep: true });
      }
    }
    this.#base = {
      value, grad, extras, masks, widest,
      scratch: [alloc(maxRows * widest), alloc(maxRows * widest)],
      dZ: d.tasks.map(() => alloc(maxRows * this.sharedSize)),
    };
    this.#inputScratch = alloc(maxRows * d.values[0]!);
    this.#views = [];
    this.#capacity = maxRows;
    this.#view(WHOLE);
  }

  /**
   * Starts the draws of one training pass: the dropout masks (and Gumbel noise) of
   * every forward pass in training until the next call come from sequences keyed by
   * the model's seed, `step`, `pass` and the shard (never by who runs it).
   */
  beginDraws(step: number, pass: number): void {
    this.#drawKey = [step, pass];
    this.#keyGeneration++;
  }

  /** Keys `shard`'s draws for its next training forward pass (see forwardShared's drawsKeyed). */
  keyDraws(shard: Shard): void {
    this.#keyDraws(this.#view(shard), shard.index);
  }

  /** The kernels the passes call: the runtime's, or while a pass is recorded, the recording ones. */
  get kernels(): Kernels {
    return this.#recorder ?? runtime('NetworkEngine').kernels;
  }

  /**
   * Runs one pass of a training step on each shard: `body(shard)` makes the
   * pass's calls (this engine's passes, and the caller's kernel calls through
   * `kernels`) for the shard's rows, into the shard's own buffers and gradient
   * block. With a pool of two threads or more, the pass is recorded the first
   * time (per `key` and batch size) as one program of kernel calls per shard, and
   * the shards' programs run as one job, a shard per task, on whichever threads
   * claim them; else `body` runs for each shard on the calling thread. Either
   * way the same kernels run on the same pointers in the same order within each
   * shard: the same floats. Returns what `body` returned for each shard (by index;
   * recorded once, so it must depend on nothing but the batch size).
   */
  runShards<T>(key: string, shards: readonly Shard[], body: (shard: Shard) => T, training = true): readonly T[] {
    const runner = shards.length > 1 ? this.#shardRunner() : null;
    if (runner === null) {
      const outs: T[] = [];
      for (const shard of runOrder(shards)) outs[shard.index] = body(shard);
      return outs;
    }
    const rows = shards.reduce((n, s) => n + s.rows, 0);
    const name = `${key}/${rows}`;
    let recorded = this.#programs.get(name);
    if (recorded === undefined) {
      recorded = this.#record(shards, body);
      this.#programs.set(name, recorded);
    }
    this.#runPrograms(runner, recorded, shards, body, training);
    return recorded.outs as readonly T[];
  }

  /** Whether runShards runs shards on the pool's threads now (else one after another on the calling thread). */
  get shardsOnThreads(): boolean {
    return this.#shardRunner() !== null;
  }

  #shardRunner(): ProgramRunner | null {
    const runner = programRunnerOf(runtime('NetworkEngine').kernels);
    return runner !== null && runner.threads >= 2 ? runner : null;
  }

  #record<T>(shards: readonly Shard[], body: (shard: Shard) => T): ShardPrograms {
    const runtimeKernels = runtime('NetworkEngine').kernels;
    const calls: number[][] = [], outs: T[] = [];
    try {
      for (const shard of shards) {
        const sink: number[] = [];
        this.#recorder = recordingKernels(runtimeKernels, sink);
        for (const view of this.#views) if (view) (view.state as { k: Kernels }).k = this.#recorder;
        outs[shard.index] = body(shard);
        calls[shard.index] = sink;
      }
    } catch (err) {
      // A kernel no program holds (PROGRAM_KERNELS): an internal error, not a user's.
      if (err instanceof NotRecordable) throw new Error(`NetworkEngine: ${err.message}`);
      throw err;
    } finally {
      this.#recorder = null;
      for (const view of this.#views) if (view) (view.state as { k: Kernels }).k = runtimeKernels;
    }
    const floats = calls.reduce((n, c) => n + c.length, 0);
    const block = this.#memory.alloc(this, Math.max(floats, 1) * 8, 'micro-shard programs');
    const table = this.#memory.alloc(this, shards.length * 8), results = this.#memory.alloc(this, shards.length * 4);
    const heap = new Float64Array(runtime('NetworkEngine').memory.buffer);
    let at = block;
    const programs = calls.map((c) => {
      heap.set(c, at >>> 3);
      const entry = { at, length: c.length };
      at += c.length * 8;
      return entry;
    });
    return { programs, table, results, outs };
  }

  /** One job: the shards' programs, a task each (in run order); a shard whose checked call found a bad input is run again here, to throw its error. */
  #runPrograms<T>(runner: ProgramRunner, recorded: ShardPrograms, shards: readonly Shard[], body: (shard: Shard) => T, training: boolean): void {
    const order = runOrder(shards);
    const buffer = runtime('NetworkEngine').memory.buffer;
    const table = new Int32Array(buffer, recorded.table, 2 * order.length), results = new Int32Array(buffer, recorded.results, order.length);
    order.forEach((shard, i) => {
      const p = recorded.programs[shard.index]!;
      table[2 * i] = p.at;
      table[2 * i + 1] = p.length;
    });
    results.fill(-1);
    runner.run(recorded.table, order.length, recorded.results);
    // The programs set no JavaScript state: a dropout's output is where the pass put it, and no prediction is current.
    for (const shard of shards) this.#afterProgram(this.#view(shard), training);
    const bad = Array.from(new Int32Array(runtime('NetworkEngine').memory.buffer, recorded.results, order.length)).findIndex((r) => r >= 0);
    if (bad >= 0) body(order[bad]!);
  }

  #afterProgram(view: View, training: boolean): void {
    for (const op of this.#base!.masks.keys()) {
      const { x, y } = op as Op & { kind: 'dropout' };
      view.state.value[y] = training ? view.own[y]! : view.state.value[x]!;
    }
    view.pass++;
  }

  /**
   * Adds every other shard's tensor gradients into shard 0's (the parameters'
   * gradient block), shard 1 first: a fixed order, so the sum is the same floats
   * however the shards were run. `which`: every tensor, the shared part's alone, or
   * the tasks' alone (when the caller sets the shared part's gradient itself).
   */
  addShardGradients(shards: number, which: 'all' | 'shared' | 'tasks' = 'all'): void {
    if (shards <= 1) return;
    const { kernels: k, memory } = runtime('NetworkEngine');
    const grads = this.#params.grads, ranges = this.#gradientRanges(which), blocks = this.#shardGrads;
    const runner = this.#shardRunner();
    if (runner !== null) {
      // The same pieces, a task each, on the pool's threads: each float's additions are one task's, in shard order.
      const key = `${which}/${shards}`;
      let programs = this.#reducePrograms.get(key);
      if (programs === undefined) {
        const made: number[][] = [];
        reducePieces(ranges, (n, at) => {
          const to = grads + at * 4, program: number[] = [];
          for (let s = 1; s < shards; s++) encodeCall(program, 'add', [n, to, blocks[s]! + at * 4, to]);
          made.push(program);
        });
        this.#reducePrograms.set(key, programs = made);
      }
      this.#reduceJob ??= new ProgramPieces((bytes) => this.#memory.alloc(this, bytes, 'the shards\' reduction programs'), (ptr) => this.#memory.free(ptr));
      this.#reduceJob.run(memory, programs, (table, count, results) => runner.runPieces(table, count, results));
      return;
    }
    // Piece by piece, every shard's block into one piece of the sum while it is in cache: each
    // float still gets shard 1's, then shard 2's … addition, in that order (the same sum).
    reducePieces(ranges, (n, at) => {
      const to = grads + at * 4;
      for (let s = 1; s < shards; s++) k.add(n, to, blocks[s]! + at * 4, to);
    });
  }

  /**
   * Appends to `program` addShardGradients(shards)' additions for the gradient
   * floats at byte address `g` (in the parameters' gradient block), `floats` of
   * them: shard 1's block, then shard 2's …, the same sum for every float.
   */
  appendShardSums(program: number[], shards: number, g: number, floats: number): void {
    // The tensors' floats in the piece, as addShardGradients covers them (not the padding between tensors).
    const grads = this.#params.grads, ranges = this.#gradientRanges('all');
    const start = (g - grads) >>> 2, end = start + floats;
    for (let i = 0; i < ranges.length; i += 2) {
      const from = Math.max(start, ranges[i]!), to = Math.min(end, ranges[i]! + ranges[i + 1]!);
      if (from >= to) continue;
      for (let s = 1; s < shards; s++) encodeCall(program, 'add', [to - from, grads + from * 4, this.#shardGrads[s]! + from * 4, grads + from * 4]);
    }
  }

  /** Whether every tensor's gradient lies inside `ranges` ([offset, length] floats, as Parameters.trainable): a frozen tensor's does not. */
  gradientsWithin(ranges: ReadonlyArray<readonly [number, number]>): boolean {
    const all = this.#gradientRanges('all');
    for (let i = 0; i < all.length; i += 2) {
      const from = all[i]!, to = from + all[i + 1]!;
      if (!ranges.some(([o, n]) => o <= from && to <= o + n)) return false;
    }
    return true;
  }

  /** Per `which`: the tensors' float ranges as [offset, length] pairs, adjacent tensors merged (one add each). */
  readonly #ranges = new Map<string, readonly number[]>();
  /** Per `which` and shard count: the reduction's programs on the pool (pointers into this engine's blocks). */
  readonly #reducePrograms = new Map<string, number[][]>();
  #reduceJob: ProgramPieces | null = null;

  #gradientRanges(which: 'all' | 'shared' | 'tasks'): readonly number[] {
    let ranges = this.#ranges.get(which);
    if (ranges === undefined) {
      const sharedSet = new Set(this.sharedTensors), out: number[] = [];
      this.#params.list().forEach((p, i) => {
        if (which !== 'all' && sharedSet.has(i) !== (which === 'shared')) return;
        const last = out.length - 2;
        if (last >= 0 && out[last]! + out[last + 1]! === p.offset) out[last + 1]! += p.size;
        else out.push(p.offset, p.size);
      });
      ranges = out;
      this.#ranges.set(which, ranges);
    }
    return ranges;
  }

  #allOps(): Op[] {
    const d = this.description;
    return flatten([...d.shared, ...d.tasks.flatMap((t) => [...t.ops, ...t.head, ...(t.prediction ? [t.prediction] : [])])]);
  }

  /** The view of `shard` (built the first time its index is used; its pointers moved to its first row). */
  #view(shard: Shard): View {
    const base = this.#base!;
    let view = this.#views[shard.index];
    if (view === undefined || view === null) {
      view = this.#newView(shard.index);
      this.#views[shard.index] = view;
      view.start = -1;
    }
    if (view.start !== shard.start) {
      const d = this.description, st = view.state, w = d.values, r = shard.start;
      for (let v = 1; v < w.length; v++) {
        view.own[v] = base.value[v]! + r * w[v]! * 4;
        st.value[v] = view.own[v]!;
        st.grad[v] = base.grad[v] === 0 ? 0 : base.grad[v]! + r * w[v]! * 4;
      }
      for (const [op, ex] of base.extras) {
        if (ex.blocks !== undefined) continue;
        const perRow = (o: Op): OpExtras => {
          const pre = ex.pre === undefined ? {} : { pre: ex.pre + r * w[(o as { y: number }).y]! * 4 };
          // A layer norm's mean and 1/σ: one per group of `cols` floats of each row.
          if (o.kind === 'layerNorm') {
            const groups = (w[o.x]! / o.cols) * 4;
            return { mean: ex.mean! + r * groups, rstd: ex.rstd! + r * groups };
          }
          // An attention's weights: heads × steps × steps per row; its scratch is the shard's own.
          if (o.kind === 'attention') {
            return { probs: ex.probs! + r * o.heads * o.steps * o.steps * 4, keep: true, scratch: st.extras.get(o)!.scratch! };
          }
          // A conv1d's im2col rows: kernel × its input's width per batch row.
          if (o.kind !== 'conv1d') return pre;
          const colRow = o.kernel * w[o.x]! * 4;
          return { ...pre, col: ex.col! + r * colRow, dcol: ex.dcol! + r * colRow };
        };
        (st.extras as Map<Op, OpExtras>).set(op, perRow(op));
      }
      for (const [op, mask] of base.masks) (st.masks as Map<Op, number>).set(op, mask + r * w[(op as { x: number }).x]! * 4);
      (st.scratch as [number, number])[0] = base.scratch[0] + r * base.widest * 4;
      (st.scratch as [number, number])[1] = base.scratch[1] + r * base.widest * 4;
      base.dZ.forEach((p, t) => { view!.dZ[t] = p + r * this.sharedSize * 4; });
      view.start = r;
    }
    return view;
  }

  /** A shard's own buffers (its gradient block, draws, Gumbel noise, cross-stitch tables) and its state. */
  #newView(index: number): View {
    if (index < 0 || index >= MAX_SHARDS) throw new ArgumentError(`NetworkEngine: shard index ${index} is outside 0 to ${MAX_SHARDS - 1}`);
    const d = this.description, V = d.values.length, base = this.#base!;
    const alloc = (floats: number): number => this.#memory.alloc(this, Math.max(floats, 1) * 4);
    if (index > 0 && this.#shardGrads[index] === undefined) {
      this.#shardGrads[index] = this.#memory.alloc(this, Math.max(this.#params.size, 1) * 4, 'a micro-shard\'s gradient block');
    }
    const extras = new Map<Op, OpExtras>();
    for (const [op, ex] of base.extras) if (ex.blocks !== undefined) extras.set(op, ex);
    for (const op of this.#allOps()) {
      if (op.kind === 'gumbel') extras.set(op, { noise: alloc(d.values[op.y]!) });
      else if (op.kind === 'attention') extras.set(op, { scratch: attentionExtras(op, d.values[op.y]!, 0, false, alloc).scratch! });
      else if (op.kind === 'crossStitch') {
        const T = op.xs.length, alpha0 = alloc(2 * T * T);
        new Float64Array(heapF32().buffer, alpha0, T * T).set(op.alpha0);
        extras.set(op, { alpha: alloc(T * T), alpha0, inTable: alloc(T), outTable: alloc(T), gradInTable: alloc(T), gradOutTable: alloc(T) });
      }
    }
    const own = new Array<number>(V).fill(0);
    const draws = alloc(4), stepDraws = alloc(4);
    const masks = new Map<Op, number>();
    const params = this.#params.params;
    const state: BackwardState = {
      k: this.kernels, params, grads: index === 0 ? this.#params.grads : this.#shardGrads[index]!, offsets: this.#offsets,
      value: new Array<number>(V).fill(0), grad: new Array<number>(V).fill(0), fresh: new Uint8Array(V), extras, masks,
      scratch: [0, 0],
      dropout: (op, n, x) => {
        const y = own[op.y]!, mask = masks.get(op)!;
        state.k.rngDropoutMask(draws, n, mask, 1 - op.rate);
        state.k.mul(n, x, mask, y);
        return y;
      },
      ...(this.#ownsOps ? { own: (op: Op, rows: number, training: boolean) => this.#runOwn(state, op, rows, training, own, stepDraws) } : {}),
    };
    // Nothing summed into the input stage's gradient yet.
    if (this.#inputStage !== null) state.fresh[d.input] = 1;
    return {
      start: 0, state, own, dZ: d.tasks.map(() => 0), predicted: new Int32Array(d.tasks.length).fill(-1), pass: 0,
      draws, stepDraws, keyGeneration: -1, repeat: 0,
    };
  }

  /** Whether the network has ops the engine runs itself (#runOwn): LTB's Gumbel choice, cross-stitch units. */
  get #ownsOps(): boolean {
    return this.#allOps().some((op) => op.kind === 'gumbel' || op.kind === 'crossStitch');
  }

  /**
   * The forward of LTB's Gumbel choice and of a cross-stitch unit (src/graph/forward.ts
   * runs them with loops in JavaScript for the predictor) as kernel calls through
   * state.k, which a recorded pass holds: the same arithmetic, the same bits. A
   * training sample's noise is keyed step-wide (keyDraws) before the pass runs.
   * Returns false for any other op.
   */
  #runOwn(state: BackwardState, op: Op, rows: number, training: boolean, own: readonly number[], stepDraws: number): boolean {
    const k = state.k, d = this.description, params = state.params;
    if (op.kind === 'gumbel') {
      const n = d.values[op.y]!, alpha = params + this.#offsets[op.alpha]! * 4;
      if (!training) {
        k.gumbelSettled(rows, n, alpha, state.value[op.y]!);
        return true;
      }
      const y = own[op.y]!, noise = state.extras.get(op)!.noise!;
      k.rngUniform(stepDraws, n, noise, 0, 1);
      // (α + g)/τ with g = −log(−log(u + 2⁻²⁵)) (u a multiple of 2⁻²⁴ below 1), in place of the draws.
      k.gumbelLogits(n, noise, alpha, op.temperature, noise);
      k.softmaxRows(1, n, noise, y);
      if (rows > 1) k.copyBlock(rows - 1, n, y, 0, y + n * 4, n);
      return true;
    }
    if (op.kind === 'crossStitch') {
      const ex = state.extras.get(op)!, T = op.xs.length, width = d.values[op.xs[0]!]!;
      // α = α⁰ + the learned offset, rounded to f32; the pointer tables of this pass's rows.
      k.crossStitchAlpha(T * T, ex.alpha0!, params + this.#offsets[op.alpha]! * 4, ex.alpha!);
      for (let t = 0; t < T; t++) {
        k.writePointer(ex.inTable!, t, state.value[op.xs[t]!]!);
        k.writePointer(ex.outTable!, t, state.value[op.ys[t]!]!);
      }
      k.crossStitchForward(rows, T, width, ex.inTable!, width, ex.alpha!, ex.outTable!, width);
      return true;
    }
    return false;
  }

  /**
   * The shared part for the batch (or `shard`'s rows; x points at its first row);
   * returns z. In training its draws are keyed here, unless the caller keyed them
   * already (keyDraws: a pass recorded once and run again keys them at every run).
   */
  forwardShared(x: number, rows: number, training: boolean, shard?: Shard, drawsKeyed = false): number {
    const view = this.#ready('forwardShared', rows, shard);
    const st = view.state;
    st.value[0] = x;
    view.pass++;
    if (training && !drawsKeyed) this.#keyDraws(view, shard?.index ?? 0);
    this.#forward(this.description.shared, rows, view, training);
    return st.value[this.description.z]!;
  }

  /** Task t's part, then its head; returns the logits. Sources' predictions are computed first. */
  forwardTask(t: number, rows: number, training: boolean, shard?: Shard): number {
    const view = this.#ready('forwardTask', rows, shard);
    const st = view.state;
    const task = this.description.tasks[t]!;
    this.#forward(task.ops, rows, view, training);
    for (const s of task.inputsFrom) this.prediction(s, rows, shard);
    this.#forward(task.head, rows, view, training);
    return st.value[task.logits]!;
  }

  /** runForward on a view: an input error names the row of the batch, not of the shard. */
  #forward(ops: readonly Op[], rows: number, view: View, training: boolean): void {
    try {
      runForward(ops, rows, this.description.values, view.state, training);
    } catch (err) {
      if (view.start === 0 || !(err instanceof ArgumentError)) throw err;
      throw new ArgumentError(err.message.replace(/row (\d+) of the batch/, (_, r: string) => `row ${Number(r) + view.start} of the batch`));
    }
  }

  /** R_t of the last forwardTask(t). */
  rep(t: number, shard?: Shard): number {
    return this.#viewOf(shard).state.value[this.description.tasks[t]!.rep]!;
  }

  /** Task t's prediction (probabilities, or the logits themselves) for the last forward; computed once per forward. */
  prediction(t: number, rows: number, shard?: Shard): number {
    const view = this.#viewOf(shard), st = view.state;
    const task = this.description.tasks[t]!;
    if (task.prediction && view.predicted[t] !== view.pass) {
      runForward([task.prediction], rows, this.description.values, st, false);
      view.predicted[t] = view.pass;
    }
    return st.value[task.predicted]!;
  }

  /**
   * Backward through task t's head from dL/dlogits at `dLogits`: fills the head's
   * tensor gradients and dL/dR_t (read by backwardTask). For a head that reads other
   * tasks' predictions, dL/d(its whole input) is then at headInputGradient(t); the
   * caller routes the predictions' part (see backpropPrediction).
   */
  backwardHead(t: number, dLogits: number, rows: number, shard?: Shard): void {
    const view = this.#viewOf(shard), st = view.state, task = this.description.tasks[t]!;
    for (const v of this.#writes.heads[t]!) st.fresh[v] = 1;
    // The predictions a head reads get no gradient here (a regression task's are its logits, seeded by its own loss).
    for (const s of task.inputsFrom) st.grad[this.description.tasks[s]!.predicted] = 0;
    st.grad[task.logits] = dLogits;
    st.fresh[task.logits] = 0;
    st.grad[this.description.z] = view.dZ[t]!;
    runBackward(task.head, rows, this.description.values, st);
    this.#collectInput(rows, st);
  }

  /** dL/d(head input) of the last backwardHead(t): rows × [R_t | each source's prediction]. Valid until backwardHead(t) runs again. */
  headInputGradient(t: number, shard?: Shard): number {
    return this.#viewOf(shard).state.grad[this.description.tasks[t]!.headInput]!;
  }

  /**
   * Adds dL/dlogits of task s into `dLogits`, given dL/d(its prediction) at `dPred`
   * (overwritten): through the softmax or sigmoid of its last forward.
   */
  backpropPrediction(s: number, dPred: number, rows: number, dLogits: number, shard?: Shard): void {
    const k = this.kernels;
    const task = this.description.tasks[s]!, st = this.#viewOf(shard).state, n = rows * task.width;
    const op = task.prediction;
    if (op?.kind === 'softmax') k.softmaxRowsBackward(rows, task.width, st.value[op.y]!, dPred, dPred);
    else if (op?.kind === 'act') k.actBackward(op.act, n, st.value[op.x]!, st.value[op.y]!, dPred, dPred, op.alpha);
    k.add(n, dLogits, dPred, dLogits);
  }

  /**
   * Given dL/dR_t — from the last backwardHead(t), or at `dRep` (rows × R_t's width) —
   * fills task t's part's tensor gradients; returns dL_t/dz.
   */
  backwardTask(t: number, rows: number, dRep?: number, shard?: Shard): number {
    const view = this.#viewOf(shard);
    const st = view.state, task = this.description.tasks[t]!, z = this.description.z, dZ = view.dZ[t]!;
    st.grad[z] = dZ;
    if (task.rep === z) {
      if (dRep !== undefined) this.kernels.copyBlock(rows, this.sharedSize, dRep, this.sharedSize, dZ, this.sharedSize);
      return dZ;
    }
    const own = st.grad[task.rep]!;
    if (dRep !== undefined) {
      st.grad[task.rep] = dRep;
      st.fresh[task.rep] = 0;
    }
    for (const v of this.#writes.tasks[t]!) st.fresh[v] = 1;
    runBackward(task.ops, rows, this.description.values, st);
    this.#collectInput(rows, st);
    st.grad[task.rep] = own;
    return dZ;
  }

  /** Given dL/dz at `dZ`, fills the shared part's tensor gradients. */
  backwardShared(dZ: number, rows: number, shard?: Shard): void {
    const st = this.#viewOf(shard).state;
    for (const v of this.#writes.shared) st.fresh[v] = 1;
    st.grad[this.description.z] = dZ;
    st.fresh[this.description.z] = 0;
    const split = this.#inputStage;
    if (split === null) {
      runBackward(this.description.shared, rows, this.description.values, st);
    } else {
      // The trunk adds its share to what the task parts summed; the stage runs on the total, which then starts again.
      const input = this.description.input;
      runBackward(split.trunk, rows, this.description.values, st);
      if (st.fresh[input]) st.k.fillZero(rows * this.description.values[input]!, st.grad[input]!);
      st.fresh[input] = 0;
      runBackward(split.stage, rows, this.description.values, st);
      st.fresh[input] = 1;
    }
    this.#collectInput(rows, st);
  }

  /**
   * Until endInputGradient, the backward passes (backwardHead, backwardTask,
   * backwardShared) also sum dL/dx into `sum` (rows × input width; written by the
   * first pass that reaches x, added to by the others). For an inference-mode
   * forward (the input gradient of a fixed model): every dropout's mask is set to
   * 1 for `rows` rows, since such a forward drew none and dropout was the identity.
   * A description whose z is the input itself (no shared part) routes dL/dx
   * through the dL/dz buffers: the caller reads it there; nothing is collected.
   */
  beginInputGradient(sum: number, rows: number, inferenceMode: boolean): void {
    const st = this.#ready('beginInputGradient', rows, undefined).state;
    if (inferenceMode) {
      const heap = heapF32();
      for (const [op, mask] of st.masks) heap.fill(1, mask >>> 2, (mask >>> 2) + rows * this.description.values[(op as Op & { kind: 'dropout' }).x]!);
    }
    if (this.description.z === 0) return;
    this.#inputSum = sum;
    this.#inputSumFresh = true;
    st.grad[0] = this.#inputScratch;
    st.fresh[0] = 1;
  }

  /** Stops collecting dL/dx; returns whether any pass reached x since beginInputGradient. */
  endInputGradient(): boolean {
    const st = this.#base === null ? null : this.#viewOf(undefined).state;
    const reached = !this.#inputSumFresh;
    this.#inputSum = 0;
    this.#inputSumFresh = true;
    if (st && this.description.z !== 0) st.grad[0] = 0;
    return reached;
  }

  /** After a backward pass: adds what it wrote into dL/dx's scratch to the sum. */
  #collectInput(rows: number, st: BackwardState): void {
    if (this.#inputSum === 0 || st.fresh[0]) return;
    const n = rows * this.description.values[0]!;
    if (this.#inputSumFresh) heapF32().copyWithin(this.#inputSum >>> 2, this.#inputScratch >>> 2, (this.#inputScratch >>> 2) + n);
    else runtime('NetworkEngine').kernels.add(n, this.#inputSum, this.#inputScratch, this.#inputSum);
    this.#inputSumFresh = false;
    st.fresh[0] = 1;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#free();
    this.#disposed = true;
  }

  #ready(where: string, rows: number, shard: Shard | undefined): View {
    this.#check();
    if (this.#base === null) throw new ArgumentError(`NetworkEngine.${where}: call allocate(maxRows) first`);
    if (!Number.isInteger(rows) || rows < 1 || rows > this.#capacity) {
      throw new ShapeError(`NetworkEngine.${where}: rows must be an integer from 1 to ${this.#capacity}, got ${show(rows)}`);
    }
    if (shard !== undefined && (shard.rows !== rows || shard.start < 0 || shard.start + rows > this.#capacity)) {
      throw new ShapeError(`NetworkEngine.${where}: shard ${shard.index} (rows ${shard.start} to ${shard.start + shard.rows}) does not fit ${rows} rows of ${this.#capacity}`);
    }
    return this.#viewOf(shard);
  }

  /** The view of `shard`, or of the whole batch (shard 0 at row 0). */
  #viewOf(shard: Shard | undefined): View {
    return this.#view(shard ?? WHOLE);
  }

  /** Seeds a view's draws for a training forward pass: step, pass, how many passes since beginDraws, shard. */
  #keyDraws(view: View, index: number): void {
    // Two seedings per shard and pass that nothing would read (fit's overhead at small batches).
    if (!this.#draws) return;
    if (view.keyGeneration === this.#keyGeneration) view.repeat++;
    else { view.keyGeneration = this.#keyGeneration; view.repeat = 0; }
    const [step, pass] = this.#drawKey;
    this.#rng.seedKeyed(view.draws, [step, pass, view.repeat, index]);
    this.#rng.seedKeyed(view.stepDraws, [step, pass, view.repeat, STEP_WIDE]);
  }

  #check(): void {
    if (this.#disposed) throw new DisposedError('a NetworkEngine');
  }

  #free(): void {
    this.#memory.release();
    this.#programs.clear();
    this.#ranges.clear();
    this.#reducePrograms.clear();
    this.#reduceJob = null;
    this.#shardGrads.length = 0;
    this.#views = [];
    this.#base = null;
    this.#capacity = 0;
  }
}

/**
 * With embedding tables, the architecture reads the input stage's output, not the
 * encoded row, whose embedded columns hold identifiers as numbers. conv1d reads the
 * encoded row itself (its time-major layout is what the convolution slides over):
 * checked here, where gradients are made, so a model file still predicts.
 */
function checkInputStage(d: ModelDescription): void {
  if (d.input === 0) return;
  const stageEnd = d.shared.findIndex((op) => 'y' in op && op.y === d.input) + 1;
  const reads = (ops: readonly Op[], v: number): boolean => flatten(ops).some((op) => inputsOf(op).includes(v));
  if (reads(d.shared.slice(stageEnd), 0) || d.tasks.some((t) => reads(t.ops, 0))) {
    throw new ArgumentError(`embeddings: the ${String(d.architecture.type)} architecture reads the encoded row (identifiers as numbers), not the embedding stage's output`);
  }
}
