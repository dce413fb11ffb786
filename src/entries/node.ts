// The `node` export condition (Node and Bun): reads manytask.wasm next to this file.
import { initFullRuntime, type WasmSource } from '../runtime/module.js';
import { readFileNode } from './read-file-node.js';

export * from '../api.js';

/** Loads the kernels; see the README for the sources it accepts. */
export function init(source?: WasmSource): Promise<void> {
  return initFullRuntime(source, {
    defaultSource: () => new URL('./manytask.wasm', import.meta.url),
    readFile: readFileNode,
  });
}
