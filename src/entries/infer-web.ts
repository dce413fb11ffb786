// `manytask/infer`, the `browser` and `deno` export conditions: fetches
// infer.wasm next to this file and compiles it while it streams in.
import { initRuntime, type WasmSource } from '../runtime/module.js';

export * from '../infer.js';

/** Loads the inference kernels (infer.wasm; manytask.wasm works too); see the README for the sources it accepts. */
export function init(source?: WasmSource): Promise<void> {
  return initRuntime(source, { defaultSource: () => fetch(new URL('./infer.wasm', import.meta.url)) });
}
