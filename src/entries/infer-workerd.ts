// `manytask/infer`, the `workerd` export condition (Cloudflare Workers): Workers
// refuse to compile WASM from bytes, so infer.wasm is imported as a module and
// bundled by wrangler (its default CompiledWasm rule).
import wasmModule from './infer.wasm';
import { initRuntime, type WasmSource } from '../runtime/module.js';

export * from '../infer.js';

/** Loads the inference kernels; without an argument, the infer.wasm bundled with the Worker. */
export function init(source?: WasmSource): Promise<void> {
  return initRuntime(source, { defaultSource: () => wasmModule });
}
