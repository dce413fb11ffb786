// The `browser` and `deno` export conditions: fetches manytask.wasm next to this
// file and compiles it while it streams in.
import { initFullRuntime, type InitOptions, type WasmSource } from '../runtime/module.js';
import { threadSupport } from '../threads/index.js';

export * from '../api.js';

/** Loads the kernels; see the README for the sources and options ({ threads, fast }) it accepts. */
export function init(source?: WasmSource | InitOptions, options?: InitOptions): Promise<void> {
  return initFullRuntime(source, {
    defaultSource: () => fetch(new URL('./manytask.wasm', import.meta.url)),
    locate: (file) => new URL(`./${file}`, import.meta.url),
    threads: threadSupport,
  }, options);
}
