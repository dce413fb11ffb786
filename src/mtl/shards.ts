// Micro-shards of a training batch: the rows one piece of a data-parallel step
// covers. The split depends on the batch size alone — never on the thread count —
// so every shard computes the same floats whichever thread runs it, and the
// shards' gradients, added in shard order, give the same sum for any number of
// threads (docs/threads.md, "Training").

/**
 * Rows per shard at least: below this the weight-gradient GEMMs of a shard
 * (Xᵀ·dY over the shard's rows) get too short to keep the SIMD kernel busy, and
 * writing and adding one more full gradient block per shard starts to cost more
 * than the rows save: on one thread the benchmark network's step at batch 256
 * measured about 12% slower in 4 shards of 64 rows than unsharded, about 4% in 2
 * shards of 128. A batch below 2·SHARD_ROWS is one shard: computed as one batch,
 * exactly as without shards.
 */
export const SHARD_ROWS = 128;
/**
 * Shards per batch at most: each shard past the first holds a gradient block the
 * size of the parameters (memory: MAX_SHARDS − 1 blocks), and the reduction adds
 * them one after another; 8 keeps both small while giving 2 to 8 threads whole
 * shards to run from batch 512 on (4 shards at 256).
 */
export const MAX_SHARDS = 8;

/** One shard: rows [start, start + rows) of the batch; `index` keys its random draws. */
export interface Shard {
  readonly index: number;
  readonly start: number;
  readonly rows: number;
}

/** How many shards a batch of `rows` rows makes: ⌊rows / 128⌋, from 1 to 8. */
export function shardCount(rows: number): number {
  return Math.max(1, Math.min(MAX_SHARDS, Math.floor(rows / SHARD_ROWS)));
}

/** The last batch size asked for and its shards (fit asks for the same size step after step). */
let last: { rows: number; shards: readonly Shard[] } = { rows: 0, shards: [] };

/** The shards of a batch of `rows` rows, in index order; sizes differ by at most one row. */
export function shardsOf(rows: number): readonly Shard[] {
  if (last.rows === rows) return last.shards;
  const n = shardCount(rows);
  const shards = Object.freeze(Array.from({ length: n }, (_, index) => {
    const start = Math.floor((index * rows) / n);
    return Object.freeze({ index, start, rows: Math.floor(((index + 1) * rows) / n) - start });
  }));
  last = { rows, shards };
  return shards;
}

/** Rows per block at least when an inference forward pass (predict, evaluate) runs on the pool's threads. */
export const PREDICT_BLOCK_ROWS = 256;

/**
 * The blocks of an inference forward pass of `rows` rows, run a block per task:
 * ⌊rows / 256⌋ (1 to 8), each starting at a multiple of 4 rows. Unlike training
 * shards these may be cut any such way: a row's outputs depend on its row alone,
 * and a GEMM split at a multiple of 4 rows computes each row with the arithmetic of
 * the whole call (src/threads/parallel.ts), so every split gives the whole pass's bits.
 */
export function predictBlocks(rows: number): readonly Shard[] {
  const n = Math.max(1, Math.min(MAX_SHARDS, Math.floor(rows / PREDICT_BLOCK_ROWS)));
  const starts = Array.from({ length: n + 1 }, (_, i) => (i === n ? rows : 4 * Math.floor((i * rows) / (4 * n))));
  return Array.from({ length: n }, (_, index) => ({ index, start: starts[index]!, rows: starts[index + 1]! - starts[index]! }));
}

/**
 * The order the shards of one pass run in on the calling thread. Ascending by
 * default; the tests set another order to show that the results do not depend on
 * it (as they must not, for shards run by several threads at once).
 */
let order: (shards: readonly Shard[]) => readonly Shard[] = (s) => s;

/** @internal For tests: run each pass's shards in the order `reorder` gives (null: ascending). */
export function setShardOrder(reorder: ((shards: readonly Shard[]) => readonly Shard[]) | null): void {
  order = reorder ?? ((s) => s);
}

/** The shards of a pass in the order they run. */
export function runOrder(shards: readonly Shard[]): readonly Shard[] {
  return order(shards);
}
