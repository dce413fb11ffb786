// TF.js on its WASM backend, set up as a careful user would in Node (one thread there).
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
