// withSharedMemory (src/threads/shared-module.ts): the worker threads run
// manytask.wasm's own bytes with its memory import made shared. Only the
// import's limits change; a module without such an import is refused, typed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { withSharedMemory } from '../../dist/internal.js';
import { InitError } from '../../dist/index.js';

const read = async (file) => new Uint8Array(await readFile(new URL(`../../dist/${file}`, import.meta.url)));

test('manytask.wasm with its memory import shared: the same module on a shared memory, not on a plain one', async () => {
  const plain = await read('manytask.wasm');
  const shared = withSharedMemory(plain, 65536, 'manytask.wasm');
  // The import's limits go from (flags 0, minimum) to (flags 3, minimum, maximum 65536: 3 bytes).
  assert.equal(shared.length, plain.length + 3);
  let d = 0;
  while (plain[d] === shared[d]) d++;
  // The first difference is the import section's size (the byte after its id, 2); its one import ends within 20 bytes.
  assert.equal(plain[d - 1], 2, `byte ${d - 1} is the import section's id`);
  assert.equal(shared[d], plain[d] + 3, 'the import section is 3 bytes longer');
  assert.deepEqual(shared.subarray(d + 23), plain.subarray(d + 20), 'everything after the import is unchanged');

  const sharedModule = await WebAssembly.compile(shared);
  assert.deepEqual(WebAssembly.Module.exports(sharedModule), WebAssembly.Module.exports(await WebAssembly.compile(plain)));
  const abort = () => { throw new Error('abort'); };
  const memory = new WebAssembly.Memory({ initial: 32, maximum: 1024, shared: true });
  const instance = await WebAssembly.instantiate(sharedModule, { env: { memory, abort } });
  assert.equal(typeof instance.exports.gemm, 'function');
  await assert.rejects(WebAssembly.instantiate(sharedModule, { env: { memory: new WebAssembly.Memory({ initial: 32 }), abort } }), WebAssembly.LinkError);
  // The file as shipped takes a plain memory (one thread, Cloudflare Workers) and refuses a shared one.
  await WebAssembly.instantiate(plain, { env: { memory: new WebAssembly.Memory({ initial: 32 }), abort } });
  await assert.rejects(WebAssembly.instantiate(plain, { env: { memory, abort } }), WebAssembly.LinkError);
});

test('withSharedMemory refuses what it cannot share, with an InitError naming the file', async () => {
  const infer = await read('infer.wasm');
  assert.throws(() => withSharedMemory(infer, 65536, 'infer.wasm'), (e) => e instanceof InitError && /^infer\.wasm cannot be shared by worker threads: it imports no memory/.test(e.message));
  const shared = withSharedMemory(await read('gemm-relaxed.wasm'), 65536, 'gemm-relaxed.wasm');
  assert.throws(() => withSharedMemory(shared, 65536, 'x.wasm'), (e) => e instanceof InitError && /already shared/.test(e.message));
  assert.throws(() => withSharedMemory(new Uint8Array([1, 2, 3]), 65536, 'x.wasm'), (e) => e instanceof InitError && /not a WebAssembly module/.test(e.message));
  const plain = await read('manytask.wasm');
  assert.throws(() => withSharedMemory(plain.subarray(0, 40), 65536, 'x.wasm'), (e) => e instanceof InitError && /x\.wasm cannot be shared/.test(e.message));
  assert.throws(() => withSharedMemory(plain, 16, 'x.wasm'), (e) => e instanceof InitError && /starts at 32 pages, above the maximum of 16/.test(e.message));
});
