// The kernel module embedded in the JavaScript (scripts/build.mjs): gzipped and
// base64-encoded. Unpacked as a stream that init() compiles while it inflates.
import { InitError } from '../runtime/errors.js';

/** A Response of the module's bytes from its embedded form; DecompressionStream (every runtime with WebAssembly SIMD since 2023) inflates it. */
export function unpackWasm(packed: string): Response {
  if (typeof DecompressionStream !== 'function') {
    throw new InitError('the embedded kernels need DecompressionStream (Chrome 80, Firefox 113, Safari 16.4, Node 18, Deno, Bun); import from the package without /embedded to load the .wasm file instead');
  }
  const bytes = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
  return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip')), { headers: { 'content-type': 'application/wasm' } });
}
