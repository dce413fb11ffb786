// The `node` export condition (Node and Bun): reads manytask.wasm next to this file.
import { initFullRuntime, type InitOptions, type WasmSource } from '../runtime/module.js';
import { threadSupport } from '../threads/index.js';
import { readFileNode } from './read-file-node.js';

export * from '../api.js';

/** Loads the kernels; see the README for the sources and options ({ threads, fast }) it accepts. */
export function init(source?: WasmSource | InitOptions, options?: InitOptions): Promise<void> {
  return initFullRuntime(source, {
    defaultSource: () => new URL('./manytask.wasm', import.meta.url),
    readFile: readFileNode,
    locate: (file) => new URL(`./${file}`, import.meta.url),
    threads: threadSupport,
  }, options);
}
