// The epochs of a fit, written once for every model that trains (MultiTaskModel,
// AutoEncoder): each epoch visits every row once, in batches of `batchSize` (the
// last one smaller), in an order shuffled afresh each epoch when asked. What a
// batch does, what an epoch logs and when training stops are the model's hooks.
//
// The loop is a generator that pauses after each batch and each epoch, so that
// one loop serves an asynchronous fit (MultiTaskModel.fit gives the event loop a
// turn between batches: pages stay responsive, Stop buttons work) and a
// synchronous one (AutoEncoder.fit returns its history directly).

import { heapF32 } from '../runtime/module.js';

export interface EpochPlan {
  readonly epochs: number;
  readonly rows: number;
  readonly batchSize: number;
  /** Room for `rows` i32 row indices in WASM memory: the order of the rows. */
  readonly order: number;
  /** Shuffles the `rows` indices at `order`; null keeps 0, 1, …, rows − 1. */
  readonly shuffle: ((order: number, rows: number) => void) | null;
}

export interface EpochHooks {
  /** Before each epoch; false stops training (that epoch does not run). */
  beginEpoch?(epoch: number): boolean | void;
  /**
   * One batch: its `rows` row indices (i32) at `indices` in WASM memory. false stops
   * training after this batch; the epoch still ends (endEpoch runs).
   */
  batch(indices: number, rows: number, epoch: number, index: number): boolean | void;
  /** After each epoch; false stops training. */
  endEpoch(epoch: number): boolean | void;
}

/** Where the loop pauses: after a batch, or after an epoch. */
export type Pause = 'batch' | 'epoch';

/** Runs the epochs; returns 'epochs' when all of them ran, 'stopped' when a hook stopped training. */
export function* epochLoop(plan: EpochPlan, hooks: EpochHooks): Generator<Pause, 'epochs' | 'stopped'> {
  const { rows: n, order } = plan;
  const batchSize = Math.min(plan.batchSize, n);
  for (let epoch = 0; epoch < plan.epochs; epoch++) {
    if (hooks.beginEpoch?.(epoch) === false) return 'stopped';
    const indices = new Int32Array(heapF32().buffer, order, n);
    for (let i = 0; i < n; i++) indices[i] = i;
    plan.shuffle?.(order, n);
    let stop = false;
    for (let start = 0, index = 0; start < n; start += batchSize, index++) {
      if (hooks.batch(order + start * 4, Math.min(batchSize, n - start), epoch, index) === false) { stop = true; break; }
      yield 'batch';
    }
    if (hooks.endEpoch(epoch) === false || stop) return 'stopped';
    yield 'epoch';
  }
  return 'epochs';
}

/** Runs a loop to its end without pausing. */
export function runSync<R>(loop: Generator<Pause, R>): R {
  for (;;) {
    const r = loop.next();
    if (r.done) return r.value;
  }
}

/**
 * Runs a loop, giving the event loop a turn after every epoch and after any batch
 * that ends more than `yieldEveryMs` after the last turn.
 */
export async function runAsync<R>(loop: Generator<Pause, R>, yieldEveryMs: number): Promise<R> {
  let last = now();
  for (;;) {
    const r = loop.next();
    if (r.done) return r.value;
    if (r.value === 'epoch' || now() - last > yieldEveryMs) {
      await yieldToEventLoop();
      last = now();
    }
  }
}

/** Milliseconds, for timing epochs. */
export function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

// A macrotask turn: setImmediate where the runtime has it (Node, Bun: a tenth of
// what a MessageChannel costs to make there, paid once per epoch and per yield),
// else through a MessageChannel: browsers clamp nested setTimeout(0) to 4 ms, which
// would cost a small model most of its epoch time.
const setImmediateOf = (globalThis as { setImmediate?: (run: () => void) => unknown }).setImmediate;

function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediateOf === 'function') return new Promise((resolve) => { setImmediateOf(resolve); });
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
      channel.port2.postMessage(0);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
