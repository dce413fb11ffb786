// `manytask/infer/embedded`: manytask/infer with infer.wasm inside the
// JavaScript, for bundlers that copy no assets (see embedded.ts).
import packed from './infer.wasm?embed';
import { initRuntime, type WasmSource } from '../runtime/module.js';
import { unpackWasm } from './embedded-wasm.js';

export * from '../infer.js';

/** Loads the inference kernels; without an argument, the infer.wasm embedded in this file. */
export function init(source?: WasmSource): Promise<void> {
  return initRuntime(source, { defaultSource: () => unpackWasm(packed) });
}
