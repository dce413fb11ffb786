// The `default` export condition: works anywhere, deciding at run time how to
// find manytask.wasm next to this file (read it where there is a file system,
// fetch it elsewhere).
import { initFullRuntime, type WasmSource } from '../runtime/module.js';
import { builtinReadFile } from './read-file.js';

export * from '../api.js';

/** Loads the kernels; see the README for the sources it accepts. */
export function init(source?: WasmSource): Promise<void> {
  return initFullRuntime(source, {
    defaultSource: () => new URL('./manytask.wasm', import.meta.url),
    readFile: builtinReadFile(),
  });
}
