// The `browser` and `deno` export conditions: fetches manytask.wasm next to this
// file and compiles it while it streams in.
import { initFullRuntime, type WasmSource } from '../runtime/module.js';

export * from '../api.js';

/** Loads the kernels; see the README for the sources it accepts. */
export function init(source?: WasmSource): Promise<void> {
  return initFullRuntime(source, { defaultSource: () => fetch(new URL('./manytask.wasm', import.meta.url)) });
}
