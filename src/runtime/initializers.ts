// The initializers' names (src/nn/init.ts draws them): here, below the network
// descriptions that name them, so that manytask/infer can read a model file's
// `initializer` without bundling the code that draws weights.

import { checkName } from './validate.js';

/** The initializers a layer's weights may start from (a model's or an architecture's `initializer`). */
export const LAYER_INITIALIZERS = ['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'torch'] as const;
export type LayerInitializerName = (typeof LAYER_INITIALIZERS)[number];
export const INITIALIZERS = ['glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'torch', 'zeros', 'ones'] as const;
export type InitializerName = (typeof INITIALIZERS)[number];
/** A named initializer, or uniform on [−limit, limit] (a fixed range, as DSelect-k's gates start). */
export type Initializer = InitializerName | { readonly uniform: number };

export function checkInitializer(where: string, value: unknown): InitializerName {
  return checkName(where, 'initializer', value, INITIALIZERS);
}

/** A model's or an architecture's `initializer` (ArgumentError naming the option and the choices). */
export function checkLayerInitializer(where: string, value: unknown): LayerInitializerName {
  return checkName(where, 'initializer', value, LAYER_INITIALIZERS);
}

/** The bias that goes with a layer initializer: zeros (as Keras), but drawn with the weights for 'torch' (as nn.Linear). */
export function biasInitializer(weights: LayerInitializerName): InitializerName {
  return weights === 'torch' ? 'torch' : 'zeros';
}
