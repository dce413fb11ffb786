// `manytask/infer`, the `node` export condition (Node and Bun): reads infer.wasm next to this file.
import { initRuntime, type WasmSource } from '../runtime/module.js';
import { readFileNode } from './read-file-node.js';

export * from '../infer.js';

/** Loads the inference kernels (infer.wasm; manytask.wasm works too); see the README for the sources it accepts. */
export function init(source?: WasmSource): Promise<void> {
  return initRuntime(source, {
    defaultSource: () => new URL('./infer.wasm', import.meta.url),
    readFile: readFileNode,
  });
}
