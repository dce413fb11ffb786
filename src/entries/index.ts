// The `default` export condition: works anywhere, deciding at run time how to
// find manytask.wasm next to this file (read it where there is a file system,
// fetch it elsewhere).
import { initFullRuntime, type InitOptions, type WasmSource } from '../runtime/module.js';
import { threadSupport } from '../threads/index.js';
import { builtinReadFile } from './read-file.js';

export * from '../api.js';

/** Loads the kernels; see the README for the sources and options ({ threads, fast }) it accepts. */
export function init(source?: WasmSource | InitOptions, options?: InitOptions): Promise<void> {
  return initFullRuntime(source, {
    defaultSource: () => new URL('./manytask.wasm', import.meta.url),
    readFile: builtinReadFile(),
    locate: (file) => new URL(`./${file}`, import.meta.url),
    threads: threadSupport,
  }, options);
}
