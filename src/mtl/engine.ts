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

export class NetworkEngine {
  readonly description: ModelDescription;
  readonly #params: Parameters;
  readonly #rng: Rng;
  /** Each tensor's offset in the parameter block (floats). */
  readonly #offsets: Int32Array;
  /** The tensors of the shared part (what per-task parameter gradients cover, what addTask freezes). */
  readonly sharedTensors: readonly number[];
  #state: BackwardState | null = null;
  /** The per-batch buffers, given back by dispose (or when the engine is collected). */
  readonly #memory = new Holding('NetworkEngine');
  /** Each value's own buffer (a dropout outside training points its output elsewhere for that pass). */
  #own: number[] = [];
  /** Per task, its dL_t/dz buffer. */
  #dZ: number[] = [];
  #capacity = 0;
  /** Per task: the forward pass its prediction was computed in (see prediction). */
  #predicted: Int32Array;
  #pass = 0;
  #disposed = false;
  /** Rows × input width: where one backward pass writes its part of dL/dx (see beginInputGradient). */
  #inputScratch = 0;
  /** Where dL/dx is summed over the passes (0: not collecting), and whether nothing has been summed there yet. */
  #inputSum = 0;
  #inputSumFresh = true;
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
    this.#predicted = new Int32Array(description.tasks.length).fill(-1);
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
  resetInputStage(): void {
    if (this.#inputStage !== null && this.#state !== null) this.#state.fresh[this.description.input] = 1;
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
    const { kernels } = runtime('NetworkEngine');
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
    const all = flatten([...d.shared, ...d.tasks.flatMap((t) => [...t.ops, ...t.head, ...(t.prediction ? [t.prediction] : [])])]);
    for (const op of all) {
      if (op.kind === 'dense' && !fusedAct(op.act)) extras.set(op, { pre: alloc(maxRows * d.values[op.y]!) });
      else if (op.kind === 'conv1d') {
        const col = maxRows * op.steps * op.kernel * (d.values[op.x]! / op.steps);
        extras.set(op, { col: alloc(col), dcol: alloc(col), ...(fusedAct(op.act) ? {} : { pre: alloc(maxRows * d.values[op.y]!) }) });
      } else if (op.kind === 'dropout') masks.set(op, alloc(maxRows * d.values[op.x]!));
      else if (op.kind === 'mix') extras.set(op, { blocks: ints(op.blocks) });
      else if (op.kind === 'gumbel') extras.set(op, { noise: alloc(d.values[op.y]!) });
      else if (op.kind === 'layerNorm') {
        const groups = maxRows * (d.values[op.x]! / op.cols);
        extras.set(op, { mean: alloc(groups), rstd: alloc(groups) });
      } else if (op.kind === 'attention') extras.set(op, attentionExtras(op, d.values[op.y]!, maxRows, true, alloc));
      else if (op.kind === 'crossStitch') {
        const T = op.xs.length;
        extras.set(op, { alpha: alloc(T * T), inTable: alloc(T), outTable: alloc(T), gradInTable: alloc(T), gradOutTable: alloc(T) });
      }
    }
    this.#dZ = d.tasks.map(() => alloc(maxRows * this.sharedSize));
    this.#inputScratch = alloc(maxRows * d.values[0]!);
    this.#own = [...value];
    const rng = this.#rng, own = this.#own, params = this.#params.params;
    this.#state = {
      k: kernels, params: this.#params.params, grads: this.#params.grads, offsets: this.#offsets,
      value, grad, fresh: new Uint8Array(V), extras, masks,
      scratch: [alloc(maxRows * widest), alloc(maxRows * widest)],
      dropout: (op, n, x) => {
        const y = own[op.y]!, mask = masks.get(op)!;
        rng.dropoutMask(mask, n, 1 - op.rate);
        runtime('dropout').kernels.mul(n, x, mask, y);
        return y;
      },
      gumbel: (op, rows) => {
        const n = d.values[op.y]!, y = own[op.y]!, noise = extras.get(op)!.noise!;
        rng.uniform(noise, n, 0, 1);
        const heap = heapF32(), u = noise >>> 2, a = (params >>> 2) + this.#offsets[op.alpha]!;
        for (let j = 0; j < n; j++) {
          // g = −log(−log u), with u + 2⁻²⁵ in (0, 1) (the draw is a multiple of 2⁻²⁴ below 1); log runs in WASM.
          const g = -kernels.mathLog(-kernels.mathLog(heap[u + j]! + 2 ** -25));
          heap[u + j] = (heap[a + j]! + g) / op.temperature;
        }
        kernels.softmaxRows(1, n, noise, y);
        if (rows > 1) kernels.copyBlock(rows - 1, n, y, 0, y + n * 4, n);
      },
    };
    // Nothing summed into the input stage's gradient yet.
    if (this.#inputStage !== null) this.#state.fresh[d.input] = 1;
    this.#capacity = maxRows;
  }

  forwardShared(x: number, rows: number, training: boolean): number {
    const st = this.#ready('forwardShared', rows);
    st.value[0] = x;
    this.#pass++;
    runForward(this.description.shared, rows, this.description.values, st, training);
    return st.value[this.description.z]!;
  }

  /** Task t's part, then its head; returns the logits. Sources' predictions are computed first. */
  forwardTask(t: number, rows: number, training: boolean): number {
    const st = this.#ready('forwardTask', rows);
    const task = this.description.tasks[t]!;
    runForward(task.ops, rows, this.description.values, st, training);
    for (const s of task.inputsFrom) this.prediction(s, rows);
    runForward(task.head, rows, this.description.values, st, training);
    return st.value[task.logits]!;
  }

  /** R_t of the last forwardTask(t). */
  rep(t: number): number {
    return this.#state!.value[this.description.tasks[t]!.rep]!;
  }

  /** Task t's prediction (probabilities, or the logits themselves) for the last forward; computed once per forward. */
  prediction(t: number, rows: number): number {
    const st = this.#state!;
    const task = this.description.tasks[t]!;
    if (task.prediction && this.#predicted[t] !== this.#pass) {
      runForward([task.prediction], rows, this.description.values, st, false);
      this.#predicted[t] = this.#pass;
    }
    return st.value[task.predicted]!;
  }

  /**
   * Backward through task t's head from dL/dlogits at `dLogits`: fills the head's
   * tensor gradients and dL/dR_t (read by backwardTask). For a head that reads other
   * tasks' predictions, dL/d(its whole input) is then at headInputGradient(t); the
   * caller routes the predictions' part (see backpropPrediction).
   */
  backwardHead(t: number, dLogits: number, rows: number): void {
    const st = this.#state!, task = this.description.tasks[t]!;
    for (const v of this.#writes.heads[t]!) st.fresh[v] = 1;
    // The predictions a head reads get no gradient here (a regression task's are its logits, seeded by its own loss).
    for (const s of task.inputsFrom) st.grad[this.description.tasks[s]!.predicted] = 0;
    st.grad[task.logits] = dLogits;
    st.fresh[task.logits] = 0;
    st.grad[this.description.z] = this.#dZ[t]!;
    runBackward(task.head, rows, this.description.values, st);
    this.#collectInput(rows);
  }

  /** dL/d(head input) of the last backwardHead(t): rows × [R_t | each source's prediction]. Valid until backwardHead(t) runs again. */
  headInputGradient(t: number): number {
    return this.#state!.grad[this.description.tasks[t]!.headInput]!;
  }

  /**
   * Adds dL/dlogits of task s into `dLogits`, given dL/d(its prediction) at `dPred`
   * (overwritten): through the softmax or sigmoid of its last forward.
   */
  backpropPrediction(s: number, dPred: number, rows: number, dLogits: number): void {
    const { kernels: k } = runtime('NetworkEngine');
    const task = this.description.tasks[s]!, st = this.#state!, n = rows * task.width;
    const op = task.prediction;
    if (op?.kind === 'softmax') k.softmaxRowsBackward(rows, task.width, st.value[op.y]!, dPred, dPred);
    else if (op?.kind === 'act') k.actBackward(op.act, n, st.value[op.x]!, st.value[op.y]!, dPred, dPred, op.alpha);
    k.add(n, dLogits, dPred, dLogits);
  }

  /**
   * Given dL/dR_t — from the last backwardHead(t), or at `dRep` (rows × R_t's width) —
   * fills task t's part's tensor gradients; returns dL_t/dz.
   */
  backwardTask(t: number, rows: number, dRep?: number): number {
    const st = this.#state!, task = this.description.tasks[t]!, z = this.description.z, dZ = this.#dZ[t]!;
    st.grad[z] = dZ;
    if (task.rep === z) {
      if (dRep !== undefined) runtime('NetworkEngine').kernels.copyBlock(rows, this.sharedSize, dRep, this.sharedSize, dZ, this.sharedSize);
      return dZ;
    }
    const own = st.grad[task.rep]!;
    if (dRep !== undefined) {
      st.grad[task.rep] = dRep;
      st.fresh[task.rep] = 0;
    }
    for (const v of this.#writes.tasks[t]!) st.fresh[v] = 1;
    runBackward(task.ops, rows, this.description.values, st);
    this.#collectInput(rows);
    st.grad[task.rep] = own;
    return dZ;
  }

  /** Given dL/dz at `dZ`, fills the shared part's tensor gradients. */
  backwardShared(dZ: number, rows: number): void {
    const st = this.#state!;
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
      if (st.fresh[input]) heapF32().fill(0, st.grad[input]! >>> 2, (st.grad[input]! >>> 2) + rows * this.description.values[input]!);
      st.fresh[input] = 0;
      runBackward(split.stage, rows, this.description.values, st);
      st.fresh[input] = 1;
    }
    this.#collectInput(rows);
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
    const st = this.#ready('beginInputGradient', rows);
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
    const st = this.#state;
    const reached = !this.#inputSumFresh;
    this.#inputSum = 0;
    this.#inputSumFresh = true;
    if (st && this.description.z !== 0) st.grad[0] = 0;
    return reached;
  }

  /** After a backward pass: adds what it wrote into dL/dx's scratch to the sum. */
  #collectInput(rows: number): void {
    const st = this.#state!;
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

  #ready(where: string, rows: number): BackwardState {
    this.#check();
    if (this.#state === null) throw new ArgumentError(`NetworkEngine.${where}: call allocate(maxRows) first`);
    if (!Number.isInteger(rows) || rows < 1 || rows > this.#capacity) {
      throw new ShapeError(`NetworkEngine.${where}: rows must be an integer from 1 to ${this.#capacity}, got ${show(rows)}`);
    }
    return this.#state;
  }

  #check(): void {
    if (this.#disposed) throw new DisposedError('a NetworkEngine');
  }

  #free(): void {
    this.#memory.release();
    this.#state = null;
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
