// Contracts between the layers, the parameter block and the optimizers.

/**
 * A model's parameters as one contiguous f32 block, its gradients as another of
 * the same size (the design's Memory contract). Pointers are byte offsets into
 * WASM memory; offsets and lengths are in floats.
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
   * merged, non-overlapping. Frozen parameters fall outside them.
   */
  readonly trainable: ReadonlyArray<readonly [offset: number, length: number]>;
}
