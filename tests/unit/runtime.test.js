// Loading, memory and errors: init from every kind of source, use before init,
// memory growth and reuse, dispose, typed errors for bad input and WASM traps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  init, isInitialized, Matrix, matmul, gemm, add, axpy, dot, scale,
  InitError, NotInitializedError, ShapeError, ArgumentError, DisposedError, WasmTrapError,
} from '../../dist/index.js';
import { runtime, heapF32, resetRuntime, filePathUrl } from '../../dist/internal.js';
import { expectError } from '../helpers/errors.js';

const wasmUrl = new URL('../../dist/manytask.wasm', import.meta.url);

async function wasmBytes() {
  const { readFile } = await import('node:fs/promises');
  return readFile(wasmUrl);
}

// Tests in this file run in order and share the module state on purpose.
test('using the library before init throws NotInitializedError naming the call', () => {
  resetRuntime();
  assert.equal(isInitialized(), false);
  expectError(() => Matrix.zeros(2, 2), NotInitializedError, 'E_NOT_INITIALIZED', /Matrix.*await init\(\)/);
});

test('init rejects sources that are not manytask.wasm with InitError', async () => {
  resetRuntime();
  await assert.rejects(init(new Uint8Array([1, 2, 3])), (e) => e instanceof InitError && /not a valid WebAssembly module/.test(e.message));
  await assert.rejects(init(42), (e) => e instanceof InitError && /got number/.test(e.message));
  // A valid module without the manytask exports.
  const empty = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
  await assert.rejects(init(empty), (e) => e instanceof InitError && /not manytask\.wasm/.test(e.message));
  await assert.rejects(init(new URL('./no-such-file.wasm', wasmUrl)), (e) => e instanceof InitError && /could not load/.test(e.message));
  // The inference-only module lacks the training kernels: the full library says so at init.
  await assert.rejects(init(new URL('./infer.wasm', wasmUrl)), (e) => e instanceof InitError && /inference-only infer\.wasm.*manytask\/infer/.test(e.message));
  assert.equal(isInitialized(), false, 'a failed init leaves the library uninitialized');
});

test('init accepts bytes, a compiled Module, a URL, a Response and a Promise<Response>', async () => {
  const bytes = await wasmBytes();
  const sources = {
    bytes: () => bytes,
    ArrayBuffer: () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    Module: () => new WebAssembly.Module(bytes),
    URL: () => wasmUrl,
    'URL string': () => wasmUrl.href,
    Response: () => new Response(bytes, { headers: { 'content-type': 'application/wasm' } }),
    'Response (other content type)': () => new Response(bytes),
    'Promise<Response>': () => Promise.resolve(new Response(bytes, { headers: { 'content-type': 'application/wasm' } })),
  };
  for (const [name, make] of Object.entries(sources)) {
    resetRuntime();
    await init(make());
    assert.ok(isInitialized(), name);
    assert.deepEqual(matmul(Matrix.from([[2]]), Matrix.from([[3]])).toArray(), [[6]], name);
  }
});

test('init takes a plain file path, absolute or relative to the working directory (Node, Bun and Deno alike)', async () => {
  const { fileURLToPath } = await import('node:url');
  const { join, relative } = await import('node:path');
  const { mkdtempSync, copyFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const absolute = fileURLToPath(wasmUrl);
  // A directory whose name holds what URLs give a meaning to: a space, "#" and "%".
  const dir = mkdtempSync(join(tmpdir(), 'manytask wasm #1 %41-'));
  try {
    copyFileSync(absolute, join(dir, 'manytask.wasm'));
    const paths = [absolute, relative(process.cwd(), absolute), `.${'/'}${relative(process.cwd(), absolute)}`, join(dir, 'manytask.wasm')];
    // Deno resolves 'manytask' to the `deno` condition, dist/web.js, which fetches: a path must work there too.
    const inits = [['dist/index.js', init]];
    if (typeof globalThis.Deno !== 'undefined') inits.push(['dist/web.js', (await import('../../dist/web.js')).init]);
    for (const [entry, initFrom] of inits) {
      for (const path of paths) {
        resetRuntime();
        await initFrom(path);
        assert.ok(isInitialized(), `${entry}: init(${JSON.stringify(path)})`);
        assert.deepEqual(matmul(Matrix.from([[2]]), Matrix.from([[3]])).toArray(), [[6]]);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  resetRuntime();
  await assert.rejects(init(join(tmpdir(), 'no-such-dir', 'manytask.wasm')), (e) => e instanceof InitError && /could not load manytask\.wasm from file:\/\/.*no-such-dir\/manytask\.wasm/.test(e.message));
  await init();
});

test('every init failure is an InitError: a bad URL, a rejected promise, a missing file', async () => {
  resetRuntime();
  await assert.rejects(init('http://[bad'), (e) => e instanceof InitError && e.code === 'E_INIT' && /init\("http:\/\/\[bad"\): not a valid URL/.test(e.message));
  const cause = new Error('network down');
  await assert.rejects(init(Promise.reject(cause)), (e) => e instanceof InitError && e.cause === cause && /init\(\) failed: network down/.test(e.message));
  await assert.rejects(init('/no/such/manytask.wasm'), (e) => e instanceof InitError && /could not load manytask\.wasm from file:\/\/\/no\/such\/manytask\.wasm/.test(e.message));
  assert.equal(isInitialized(), false);
  await init();
});

test('file paths become the file: URLs of the same files, Windows paths included', async () => {
  const { fileURLToPath } = await import('node:url');
  const { posix } = await import('node:path');
  for (const [path, cwd] of [['/a #b/%c?.wasm', '/'], ['../x.wasm', '/home/u/p'], ['m.wasm', '/srv/app/'], ['/tmp/ü é,;=&@:$+/m.wasm', '/'], ['./a/./b/../m.wasm', '/w']]) {
    const url = filePathUrl(path, cwd);
    assert.equal(url.protocol, 'file:');
    assert.equal(fileURLToPath(url), posix.resolve(cwd, path), `${path} in ${cwd}`);
  }
  const windows = [
    ['C:\\Users\\a b\\manytask.wasm', 'D:\\x', 'file:///C:/Users/a%20b/manytask.wasm'],
    ['manytask.wasm', 'C:\\proj\\', 'file:///C:/proj/manytask.wasm'],
    ['..\\dist\\manytask.wasm', 'C:\\proj\\sub', 'file:///C:/proj/dist/manytask.wasm'],
    ['\\\\server\\share\\manytask.wasm', 'C:\\', 'file://server/share/manytask.wasm'],
  ];
  for (const [path, cwd, href] of windows) assert.equal(filePathUrl(path, cwd).href, href, `${path} in ${cwd}`);
});

test('init twice (and concurrently) is harmless and keeps the first module', async () => {
  resetRuntime();
  const [p1, p2] = [init(), init()];
  assert.equal(p1, p2);
  await p1;
  const kernels = runtime('test').kernels;
  await init();
  await init(new Uint8Array([0]));
  assert.equal(runtime('test').kernels, kernels);
});

test('toArray gives the rows as plain arrays of numbers, for any shape', async () => {
  await init();
  for (const [rows, cols] of [[1, 1], [3, 5], [7, 1], [1, 9], [33, 4]]) {
    const values = Array.from({ length: rows * cols }, (_, i) => (i % 11) - 5.5);
    const m = Matrix.from(values, rows, cols);
    const out = m.toArray();
    m.dispose();
    assert.equal(out.length, rows);
    out.forEach((row, i) => {
      assert.ok(Array.isArray(row), `row ${i} is an array`);
      assert.deepEqual([...row], values.slice(i * cols, (i + 1) * cols), `${rows}×${cols} row ${i}`);
    });
  }
});

test('Matrix.from takes an array of rows given as typed arrays, as it takes number[][]', async () => {
  await init();
  for (const Row of [Float32Array, Float64Array, Int32Array]) {
    const m = Matrix.from([new Row([1, 2]), new Row([3, 4])]);
    assert.deepEqual(m.toArray(), [[1, 2], [3, 4]], Row.name);
    m.dispose();
  }
  const mixed = Matrix.from([[1, 2], new Float32Array([3, 4]), new Float64Array([5, 6])], 3, 2);
  assert.deepEqual(mixed.toArray(), [[1, 2], [3, 4], [5, 6]]);
  mixed.dispose();
  expectError(() => Matrix.from([new Float32Array([1, 2]), new Float32Array([3])]), ShapeError, 'E_SHAPE', /^Matrix\.from: row 1 has 1 values, expected 2$/);
  expectError(() => Matrix.from([new Float64Array([1, 1e39])]), ArgumentError, 'E_ARGUMENT', /value at row 0, column 1 is 1e\+39, beyond the float32 range/);
  expectError(() => Matrix.from([new Float32Array([1, NaN])]), ArgumentError, 'E_ARGUMENT', /value at row 0, column 1 is NaN/);
  expectError(() => Matrix.from([new Float32Array([1, 2]), 'x']), ShapeError, 'E_SHAPE', /row 1 has "x" values, expected 2/);
});

test('views follow memory growth; freed memory is reused instead of growing', async () => {
  await init();
  const small = Matrix.from([[1, 2, 3]]);
  const before = runtime('test').memory.buffer.byteLength;
  const big = Matrix.zeros(4096, 4096); // 64 MiB: must grow memory
  assert.ok(runtime('test').memory.buffer.byteLength > before);
  assert.deepEqual(small.toArray(), [[1, 2, 3]], 'data allocated before the growth is still readable');
  assert.equal(heapF32().buffer, runtime('test').memory.buffer);
  big.dispose();
  const top = runtime('test').allocator.top;
  const size = runtime('test').memory.buffer.byteLength;
  for (let i = 0; i < 200; i++) {
    const a = Matrix.zeros(64 + (i % 7), 33);
    const b = Matrix.zeros(33, 20);
    matmul(a, b).dispose();
    a.dispose();
    b.dispose();
  }
  assert.equal(runtime('test').allocator.top, top, 'allocator top is flat after alloc/free cycles');
  assert.equal(runtime('test').memory.buffer.byteLength, size, 'memory did not grow');
  small.dispose();
});

test('dispose: twice is harmless, any use afterwards throws DisposedError', async () => {
  await init();
  const m = Matrix.from([[1, 2], [3, 4]]);
  m.dispose();
  m.dispose();
  assert.equal(m.isDisposed, true);
  expectError(() => m.toFloat32Array(), DisposedError, 'E_DISPOSED', /2×2 Matrix was used after dispose/);
  expectError(() => matmul(m, Matrix.zeros(2, 2)), DisposedError, 'E_DISPOSED');
  expectError(() => dot(Matrix.zeros(2, 2), m), DisposedError, 'E_DISPOSED');
});

test('bad shapes and dimensions give ShapeError saying what was expected', async () => {
  await init();
  for (const bad of [0, -1, 1.5, NaN, Infinity, '3', undefined]) {
    expectError(() => Matrix.zeros(bad, 2), ShapeError, 'E_SHAPE', /rows must be a positive integer/);
  }
  expectError(() => Matrix.from(new Float32Array(5), 2, 3), ShapeError, 'E_SHAPE', /2×3 needs 6 values, got 5/);
  expectError(() => Matrix.from(new Float32Array(6)), ShapeError, 'E_SHAPE', /needs rows and cols/);
  expectError(() => Matrix.from([[1, 2], [3]]), ShapeError, 'E_SHAPE', /row 1 has 1 values, expected 2/);
  const a = Matrix.zeros(3, 4), b = Matrix.zeros(5, 2);
  expectError(() => matmul(a, b), ShapeError, 'E_SHAPE', /inner dimensions differ: op\(a\) is 3×4, op\(b\) is 5×2/);
  expectError(() => matmul(a, b, { transposeA: true }), ShapeError, 'E_SHAPE', /op\(a\) is 4×3 \(a transposed\)/);
  expectError(() => gemm(a, Matrix.zeros(4, 2), Matrix.zeros(3, 3)), ShapeError, 'E_SHAPE', /c must be 3×2/);
  expectError(() => matmul(a, Matrix.zeros(4, 2), { bias: Matrix.zeros(1, 3) }), ShapeError, 'E_SHAPE', /bias must be 1×2, got 1×3/);
  expectError(() => add(a, Matrix.zeros(4, 3)), ShapeError, 'E_SHAPE', /b must be 3×4 like a, got 4×3/);
  expectError(() => axpy(1, a, Matrix.zeros(3, 5)), ShapeError, 'E_SHAPE');
});

test('bad values and options give ArgumentError naming the argument', async () => {
  await init();
  const a = Matrix.zeros(2, 2);
  expectError(() => Matrix.from([[1, NaN]]), ArgumentError, 'E_ARGUMENT', /row 0, column 1 is NaN/);
  expectError(() => Matrix.from(new Float32Array([1, 2, Infinity, 4]), 2, 2), ArgumentError, 'E_ARGUMENT', /row 1, column 0 is Infinity/);
  expectError(() => Matrix.from('abc', 1, 3), ArgumentError, 'E_ARGUMENT', /data must be/);
  for (const alpha of [NaN, Infinity, -Infinity, '1']) {
    expectError(() => matmul(a, a, { alpha }), ArgumentError, 'E_ARGUMENT', /alpha must be a finite number/);
    expectError(() => scale(a, alpha), ArgumentError, 'E_ARGUMENT', /alpha must be a finite number/);
  }
  expectError(() => gemm(a, a, Matrix.zeros(2, 2), { beta: NaN }), ArgumentError, 'E_ARGUMENT', /beta must be a finite number/);
  expectError(() => matmul(a, a, { transpose_a: true }), ArgumentError, 'E_ARGUMENT', /unknown option "transpose_a"/);
  expectError(() => matmul(a, a, { beta: 1 }), ArgumentError, 'E_ARGUMENT', /unknown option "beta"/);
  expectError(() => matmul(a, a, { transposeA: 1 }), ArgumentError, 'E_ARGUMENT', /transposeA must be true or false/);
  expectError(() => matmul(a, a, { activation: 'gelu' }), ArgumentError, 'E_ARGUMENT', /activation must be "identity" or "relu"/);
  expectError(() => matmul(a, [[1]]), ArgumentError, 'E_ARGUMENT', /b must be a Matrix/);
  expectError(() => gemm(a, Matrix.zeros(2, 2), a), ArgumentError, 'E_ARGUMENT', /must not be the same matrix/);
});

test('a WASM trap surfaces as WasmTrapError naming the kernel', async () => {
  await init();
  // Only reachable by bypassing validation: an address past the end of memory.
  expectError(() => runtime('test').kernels.sum(4, -64), WasmTrapError, 'E_WASM_TRAP', /kernel sum trapped: .*out of bounds/i);
  // The module is still usable afterwards.
  assert.deepEqual(matmul(Matrix.from([[2]]), Matrix.from([[3]])).toArray(), [[6]]);
});
