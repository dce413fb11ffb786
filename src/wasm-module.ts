// The types of the `.wasm` subpaths (package.json "exports"):
// `import wasm from 'manytask/manytask.wasm'` (or 'manytask/infer.wasm') is a
// WebAssembly.Module where the bundler compiles .wasm imports, as wrangler does
// for Cloudflare Workers. Only declarations are emitted from this file.
import type { WasmModule } from './runtime/module.js';

declare const wasmModule: WasmModule;
export default wasmModule;
