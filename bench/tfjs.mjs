// TF.js on its WASM and CPU backends, set up as a careful user would in Node (one thread there).
import { fileURLToPath } from 'node:url';

export async function loadTfWasm() {
  const tf = await import('@tensorflow/tfjs-core');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const dir = fileURLToPath(new URL('../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url));
  wasm.setWasmPaths(dir);
  await tf.setBackend('wasm');
  await tf.ready();
  return tf;
}

/**
 * Runs `fn` with TF.js switched to its pure-JS CPU backend, then switches back to
 * WASM. Tensors belong to the backend active when they are made, so `fn` makes its own.
 */
export async function withTfCpu(tf, fn) {
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  await tf.ready();
  try {
    return await fn();
  } finally {
    await tf.setBackend('wasm');
    await tf.ready();
  }
}
