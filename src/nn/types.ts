// Contracts between the layers, the parameter block and the optimizers.

/**
 * A model's parameters as one contiguous f32 block, its gradients as another of
 * the same size (the design's Memory contract). Pointers are byte offsets into
 * WASM memory, each inside one live block of the library's memory (a Parameters
 * block's own); offsets and lengths are in floats. An optimizer re-reads
 * `trainable` at every step; `size`, `params` and `grads` must stay as they were.
 */
export interface ParameterBlock {
  /** Total number of parameters (floats). */
  readonly size: number;
  /** Byte offset of the parameter block. */
  readonly params: number;
  /** Byte offset of the gradient block (same layout as params). */
  readonly grads: number;
  /**
   * The ranges the optimizer updates, as [offset, length] in floats: sorted,
   * merged, non-overlapping. Frozen parameters fall outside them. Replace the
   * array (or its contents) to freeze or unfreeze: the next optimizer step follows.
   */
  readonly trainable: ReadonlyArray<readonly [offset: number, length: number]>;
}
