// `manytask/infer`, the `default` export condition: works anywhere, deciding at
// run time how to find infer.wasm next to this file (read it where there is a
// file system, fetch it elsewhere).
import { initRuntime, type WasmSource } from '../runtime/module.js';
import { builtinReadFile } from './read-file.js';

export * from '../infer.js';

/** Loads the inference kernels (infer.wasm; manytask.wasm works too); see the README for the sources it accepts. */
export function init(source?: WasmSource): Promise<void> {
  return initRuntime(source, {
    defaultSource: () => new URL('./infer.wasm', import.meta.url),
    readFile: builtinReadFile(),
  });
}
