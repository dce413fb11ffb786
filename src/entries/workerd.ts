// The `workerd` export condition (Cloudflare Workers): Workers refuse to compile
// WASM from bytes, so the module is imported as a module and bundled by wrangler.
import wasmModule from './manytask.wasm';
import { initFullRuntime, type InitOptions, type WasmSource } from '../runtime/module.js';
import { threadSupport } from '../threads/index.js';

export * from '../api.js';

/** Loads the kernels; without an argument, the manytask.wasm bundled with the Worker. Workers run one thread. */
export function init(source?: WasmSource | InitOptions, options?: InitOptions): Promise<void> {
  return initFullRuntime(source, { defaultSource: () => wasmModule, threads: threadSupport }, options);
}
