// The engine behind MMoE, CGC and PLE: levels of expert MLPs mixed by softmax
// gates (mmoe.ts, cgc.ts and ple.ts choose the sizes and the parameter names).
//
// A level has N = S + T·K experts, each an MLP of expertUnits (output width d):
// S shared experts, then K experts of task 0, K of task 1, …  Their outputs of
// one level sit side by side in one rows × (N·d) buffer, expert i at columns
// [i·d, (i+1)·d) — the layout the mixing kernel (assembly/mix.ts) reads.
//
// Level l's inputs: at l = 0 every expert and gate reads x. At l ≥ 1 task k's
// experts and gate read h_k (task k's output of level l−1) and the shared
// experts and shared gate read h_s. Every level but the last ends in gates
// (Tang et al., RecSys 2020, eq. 4–6):
//   h_k = Σ_j softmax(gate_k(in_k))_j · E_j   over the S shared experts and task k's K
//   h_s = Σ_j softmax(gate_s(in_s))_j · E_j   over all N experts
// a gate being one linear layer (logits = in·W + b). The last level (the CGC
// of the paper) has only the task gates, and they belong to the task parts:
//
//   Z   = [E_0 … E_{N−1} of the last level | h_0 … h_{T−1} of level L−2]
//         rows × (N·d + T·d); the h blocks only when L ≥ 2, as the last-level
//         gate of task t reads h_t (it reads x when L = 1)
//   R_t = tower_t(Σ_j softmax(gate_t(in_t))_j · E_j)  over the shared experts and t's own
//
// So everything up to the last level's experts (task-specific experts and
// earlier gates included) is the shared part: it is what backwardShared
// differentiates. MMoE is the case L = 1, K = 0.

import { Dense, type Activation, type Layer, type LayerContext, type Sequential } from '../../nn/layers.js';
import { runtime } from '../../runtime/module.js';
import { ArchitectureBase, mlp, zero } from './common.js';

export interface GatedShape {
  readonly levels: number;
  /** Shared experts per level (S). */
  readonly sharedExperts: number;
  /** Experts per task per level (K). */
  readonly taskExperts: number;
  readonly expertUnits: readonly number[];
  readonly towerUnits: readonly number[];
  readonly activation: Activation;
  readonly dropout: number;
}

/** Parameter name prefixes. `task` is a task name, or null for the shared experts / shared gate. */
export interface GatedNames {
  expert(level: number, task: string | null, index: number): string;
  /** A gate of an intermediate level (level < levels − 1). */
  gate(level: number, task: string | null): string;
  readonly sharedPrefixes: readonly string[];
}

interface Level {
  readonly experts: Sequential[];
  /** Per expert: the task whose input it reads, or −1 for the shared input. */
  readonly owner: number[];
  /** Intermediate levels only: one gate per task, then the shared gate. */
  readonly taskGates: Dense[];
  readonly sharedGate: Dense | null;
  // Buffers (intermediate levels): experts' outputs E (rows × N·d) and dE;
  // the gates' softmax outputs; h and dh per task and shared (rows × d).
  e: number;
  dE: number;
  gTask: number[];
  gShared: number;
  hTask: number[];
  hShared: number;
  dhTask: number[];
  dhShared: number;
}

export abstract class GatedExperts extends ArchitectureBase {
  readonly shape: GatedShape;
  readonly #names: GatedNames;
  #levels: Level[] = [];
  #lastGates: Dense[] = [];
  #n = 0;
  #d = 0;
  #zWidth = 0;
  // Index lists (i32 in WASM memory): per task, the shared experts then its own; all experts.
  #idxTask: number[] = [];
  #idxAll = 0;
  // Buffers: Z; per task the last gate's input copy (L ≥ 2), softmax output, mix M_t, dZ_t.
  #z = 0;
  #gin: number[] = [];
  #g: number[] = [];
  #m: number[] = [];
  #dZ: number[] = [];
  #zSeen: number[] = [];
  #dG = 0;
  #block = 0;

  constructor(shape: GatedShape, names: GatedNames) {
    super(shape);
    this.shape = shape;
    this.#names = names;
  }

  get sharedPrefixes(): readonly string[] { return this.#names.sharedPrefixes; }

  /** Experts per gate of a task (S + K). */
  get #perGate(): number { return this.shape.sharedExperts + this.shape.taskExperts; }

  protected buildShared(ctx: LayerContext): number[] {
    const { levels: L, sharedExperts: S, taskExperts: K, expertUnits } = this.shape;
    const T = this.taskCount, names = this.context.taskNames;
    this.#n = S + T * K;
    this.#d = expertUnits.at(-1)!;
    const d = this.#d;
    for (let l = 0; l < L; l++) {
      const width = l === 0 ? this.inputSize : d;
      const experts: Sequential[] = [], owner: number[] = [];
      for (let i = 0; i < S; i++) {
        const e = mlp(expertUnits, this.mlpOptions);
        e.build(width, ctx, this.#names.expert(l, null, i));
        experts.push(e); owner.push(-1);
      }
      for (let t = 0; t < T; t++) {
        for (let i = 0; i < K; i++) {
          const e = mlp(expertUnits, this.mlpOptions);
          e.build(width, ctx, this.#names.expert(l, names[t]!, i));
          experts.push(e); owner.push(t);
        }
      }
      const taskGates: Dense[] = [];
      let sharedGate: Dense | null = null;
      if (l < L - 1) {
        for (let t = 0; t < T; t++) {
          const g = new Dense(this.#perGate);
          g.build(width, ctx, this.#names.gate(l, names[t]!));
          taskGates.push(g);
        }
        sharedGate = new Dense(this.#n);
        sharedGate.build(width, ctx, this.#names.gate(l, null));
      }
      this.#levels.push({
        experts, owner, taskGates, sharedGate,
        e: 0, dE: 0, gTask: [], gShared: 0, hTask: [], hShared: 0, dhTask: [], dhShared: 0,
      });
    }
    const lastWidth = L === 1 ? this.inputSize : d;
    this.#lastGates = names.map((name) => {
      const g = new Dense(this.#perGate);
      g.build(lastWidth, ctx, `gate.${name}`);
      return g;
    });
    this.#zWidth = this.#n * d + (L >= 2 ? T * d : 0);
    return names.map(() => d);
  }

  protected sharedWidth(): number { return this.#zWidth; }

  protected allocateBuffers(maxRows: number): void {
    const { levels: L, sharedExperts: S, taskExperts: K } = this.shape;
    const T = this.taskCount, N = this.#n, d = this.#d, b = this.buffers;
    const rd = maxRows * d;
    const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
    this.#idxTask = range(0, T).map((t) => b.ints([...range(0, S), ...range(S + t * K, K)]));
    this.#idxAll = b.ints(range(0, N));
    this.#levels.forEach((lv, l) => {
      for (const e of lv.experts) e.allocate(maxRows);
      for (const g of lv.taskGates) g.allocate(maxRows);
      lv.sharedGate?.allocate(maxRows);
      if (l === L - 1) return;
      lv.e = b.floats(maxRows * N * d);
      lv.dE = b.floats(maxRows * N * d);
      lv.gTask = range(0, T).map(() => b.floats(maxRows * (S + K)));
      lv.gShared = b.floats(maxRows * N);
      lv.hTask = range(0, T).map(() => b.floats(rd));
      lv.hShared = b.floats(rd);
      lv.dhTask = range(0, T).map(() => b.floats(rd));
      lv.dhShared = b.floats(rd);
    });
    for (const g of this.#lastGates) g.allocate(maxRows);
    this.#z = b.floats(maxRows * this.#zWidth);
    this.#gin = L >= 2 ? range(0, T).map(() => b.floats(rd)) : [];
    this.#g = range(0, T).map(() => b.floats(maxRows * (S + K)));
    this.#m = range(0, T).map(() => b.floats(rd));
    this.#dZ = range(0, T).map(() => b.floats(maxRows * this.#zWidth));
    this.#zSeen = range(0, T).map(() => 0);
    this.#dG = b.floats(maxRows * Math.max(N, S + K));
    this.#block = b.floats(rd);
  }

  protected *layers(): Iterable<Layer> {
    for (const lv of this.#levels) {
      yield* lv.experts;
      yield* lv.taskGates;
      if (lv.sharedGate) yield lv.sharedGate;
    }
    yield* this.#lastGates;
  }

  protected sharedForward(x: number, rows: number, training: boolean): number {
    const k = runtime('gated.forwardShared').kernels;
    const L = this.#levels.length, T = this.taskCount, N = this.#n, d = this.#d, perGate = this.#perGate;
    const z = this.#z;
    for (let l = 0; l < L; l++) {
      const lv = this.#levels[l]!;
      const prev = l > 0 ? this.#levels[l - 1]! : null;
      const last = l === L - 1;
      const e = last ? z : lv.e, ldE = last ? this.#zWidth : N * d;
      for (let i = 0; i < N; i++) {
        const owner = lv.owner[i]!;
        const input = prev === null ? x : owner < 0 ? prev.hShared : prev.hTask[owner]!;
        const y = lv.experts[i]!.forward(input, rows, training);
        k.copyBlock(rows, d, y, d, e + i * d * 4, ldE);
      }
      if (last) break;
      for (let t = 0; t < T; t++) {
        const logits = lv.taskGates[t]!.forward(prev === null ? x : prev.hTask[t]!, rows, training);
        k.softmaxRows(rows, perGate, logits, lv.gTask[t]!);
        k.mixForward(rows, perGate, d, e, ldE, this.#idxTask[t]!, lv.gTask[t]!, lv.hTask[t]!, d);
      }
      const logits = lv.sharedGate!.forward(prev === null ? x : prev.hShared, rows, training);
      k.softmaxRows(rows, N, logits, lv.gShared);
      k.mixForward(rows, N, d, e, ldE, this.#idxAll, lv.gShared, lv.hShared, d);
    }
    if (L >= 2) {
      const before = this.#levels[L - 2]!;
      for (let t = 0; t < T; t++) k.copyBlock(rows, d, before.hTask[t]!, d, z + (N + t) * d * 4, this.#zWidth);
    }
    return z;
  }

  protected taskForward(task: number, x: number, z: number, rows: number, training: boolean): number {
    const k = runtime('gated.forwardTask').kernels;
    const N = this.#n, d = this.#d, perGate = this.#perGate, zw = this.#zWidth;
    let gin = x;
    if (this.#levels.length >= 2) {
      gin = this.#gin[task]!;
      k.copyBlock(rows, d, z + (N + task) * d * 4, zw, gin, d);
    }
    const logits = this.#lastGates[task]!.forward(gin, rows, training);
    const g = this.#g[task]!, m = this.#m[task]!;
    k.softmaxRows(rows, perGate, logits, g);
    k.mixForward(rows, perGate, d, z, zw, this.#idxTask[task]!, g, m, d);
    this.#zSeen[task] = z;
    return this.towerForward(task, m, rows, training);
  }

  protected taskBackward(task: number, dRep: number, rows: number): number {
    const k = runtime('gated.backwardTask').kernels;
    const L = this.#levels.length, T = this.taskCount, N = this.#n, d = this.#d, perGate = this.#perGate;
    const zw = this.#zWidth, dZ = this.#dZ[task]!, g = this.#g[task]!, dG = this.#dG;
    const dM = this.towerBackward(task, dRep, rows);
    // Blocks the gate does not reach (other tasks' experts and h) get zeros.
    if (perGate < N || (L >= 2 && T > 1)) zero(dZ, rows * zw);
    k.mixBackward(rows, perGate, d, this.#zSeen[task]!, zw, this.#idxTask[task]!, g, dM, d, dZ, dG, 0);
    k.softmaxRowsBackward(rows, perGate, g, dG, dG);
    const dIn = this.#lastGates[task]!.backward(dG, rows, L >= 2);
    if (L >= 2) k.copyBlock(rows, d, dIn, d, dZ + (N + task) * d * 4, zw);
    return dZ;
  }

  protected sharedBackward(dZ: number, rows: number): void {
    const k = runtime('gated.backwardShared').kernels;
    const L = this.#levels.length, T = this.taskCount, N = this.#n, d = this.#d, perGate = this.#perGate;
    const rd = rows * d, zw = this.#zWidth, dG = this.#dG;
    for (let l = L - 1; l >= 0; l--) {
      const lv = this.#levels[l]!;
      const prev = l > 0 ? this.#levels[l - 1]! : null;
      const last = l === L - 1;
      // dh of the previous level collects from this level's experts and gates
      // (and, for the level just before the last, from Z's h blocks).
      if (prev !== null) {
        for (let t = 0; t < T; t++) {
          if (last) k.copyBlock(rows, d, dZ + (N + t) * d * 4, zw, prev.dhTask[t]!, d);
          else zero(prev.dhTask[t]!, rd);
        }
        zero(prev.dhShared, rd);
      }
      if (!last) {
        const e = lv.e, ldE = N * d;
        zero(lv.dE, rows * N * d);
        for (let t = 0; t < T; t++) {
          k.mixBackward(rows, perGate, d, e, ldE, this.#idxTask[t]!, lv.gTask[t]!, lv.dhTask[t]!, d, lv.dE, dG, 1);
          k.softmaxRowsBackward(rows, perGate, lv.gTask[t]!, dG, dG);
          const dIn = lv.taskGates[t]!.backward(dG, rows, prev !== null);
          if (prev !== null) k.axpy(rd, 1, dIn, prev.dhTask[t]!);
        }
        k.mixBackward(rows, N, d, e, ldE, this.#idxAll, lv.gShared, lv.dhShared, d, lv.dE, dG, 1);
        k.softmaxRowsBackward(rows, N, lv.gShared, dG, dG);
        const dIn = lv.sharedGate!.backward(dG, rows, prev !== null);
        if (prev !== null) k.axpy(rd, 1, dIn, prev.dhShared);
      }
      const dE = last ? dZ : lv.dE, ldD = last ? zw : N * d;
      for (let i = 0; i < N; i++) {
        k.copyBlock(rows, d, dE + i * d * 4, ldD, this.#block, d);
        const dIn = lv.experts[i]!.backward(this.#block, rows, prev !== null);
        if (prev === null) continue;
        const owner = lv.owner[i]!;
        k.axpy(rd, 1, dIn, owner < 0 ? prev.dhShared : prev.dhTask[owner]!);
      }
    }
  }

  /** The options every gated architecture reports. */
  protected commonConfig(): Record<string, unknown> {
    return {
      expertUnits: [...this.shape.expertUnits], towerUnits: [...this.towerUnits],
      activation: this.mlpOptions.activation, dropout: this.mlpOptions.dropout,
    };
  }
}
