// A private copy of manytask/infer: dist/infer.js, the chunks it loads and
// infer.wasm, copied into a temp directory and imported from there. Its modules
// are other instances than dist/'s, so it has a runtime of its own and runs on
// infer.wasm (imported from dist/, manytask/infer shares manytask's runtime and
// so manytask.wasm), and initializing it initializes nothing that another test
// file imports (Bun runs every unit test file in one process).
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';

/** A prediction as a string of its floats' bits: two predictions give one string when they are the same bits. */
export const predictionBits = (p) => JSON.stringify(p, (_, v) => (v instanceof Float32Array ? Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length)) : v));

/** Resolves with { infer: the module, cleanup() }. */
export async function privateInfer() {
  const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
  const dir = await mkdtemp(join(tmpdir(), 'manytask-infer-'));
  for (const f of await readdir(dist)) {
    if (/^(infer|chunk-[A-Za-z0-9]+)\.js$|^infer\.wasm$/.test(f)) await copyFile(join(dist, f), join(dir, f));
  }
  const infer = await import(pathToFileURL(join(dir, 'infer.js')).href);
  return { infer, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Saves `model` and asserts that the file predicts every row of `data` with the
 * model's own bits, loaded by `loadModel` (the full entry's) and by `infer` (a
 * manytask/infer module, initialised here).
 */
export async function assertServedAlike(model, data, loadModel, infer) {
  const bytes = model.save();
  const full = loadModel(bytes);
  await infer.init();
  const lean = infer.loadModel(bytes);
  try {
    const rows = Array.from({ length: data.rows }, (_, r) => Object.fromEntries(data.featureNames.map((f) => [f, data.column(f)[r]])));
    const expected = predictionBits(model.predict(rows));
    assert.equal(predictionBits(lean.predict(rows)), expected, 'infer = the trained model');
    assert.equal(predictionBits(full.predict(rows)), expected, 'loaded = the trained model');
  } finally {
    full.dispose();
    lean.dispose();
  }
}
