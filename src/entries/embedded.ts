// `manytask/embedded`: the library with manytask.wasm inside the JavaScript, for
// bundlers that copy no assets (esbuild, `bun build`): `init()` compiles the
// embedded module, so nothing is fetched. The other entries load the .wasm file
// beside them, which costs a bundle less. Cloudflare Workers refuse to compile
// bytes: there package.json maps this subpath to the workerd entry.
import packed from './manytask.wasm?embed';
import { initFullRuntime, type InitOptions, type WasmSource } from '../runtime/module.js';
import { threadSupport } from '../threads/index.js';
import { unpackWasm } from './embedded-wasm.js';

export * from '../api.js';

/**
 * Loads the kernels; without an argument, the manytask.wasm embedded in this
 * file. One thread: the threaded module and the workers' script are files this
 * entry does without (the other entries load them beside themselves).
 */
export function init(source?: WasmSource | InitOptions, options?: InitOptions): Promise<void> {
  return initFullRuntime(source, { defaultSource: () => unpackWasm(packed), threads: threadSupport }, options);
}
