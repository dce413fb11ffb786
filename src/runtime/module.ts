// Finding, compiling and instantiating the kernel module, and the state every
// other layer reaches through `runtime()`.

import type { Kernels } from './abi.js';
import { Allocator } from './allocator.js';
import { InitError, ManytaskError, NotInitializedError, WasmTrapError } from './errors.js';

// The environment's WebAssembly.Module, URL and Response types where its lib
// declares them (DOM, webworker, @types/node, Cloudflare's workers-types), and
// `never` where it does not: manytask's .d.ts files compile under any lib.
/** `WebAssembly.Module` of the environment's types. */
export type WasmModule = typeof globalThis extends { WebAssembly: { Module: { prototype: infer M } } } ? M : never;
/** `URL` of the environment's types. */
export type UrlObject = typeof globalThis extends { URL: { prototype: infer U } } ? U : never;
/** `Response` of the environment's types. */
export type FetchResponse = typeof globalThis extends { Response: { prototype: infer R } } ? R : never;

/** What `init` accepts: a compiled module, the bytes, where to fetch them, or a fetch response. */
export type WasmSource =
  | WasmModule
  | ArrayBuffer
  | ArrayBufferView
  | UrlObject
  | string
  | FetchResponse
  | PromiseLike<FetchResponse>;

/** @internal What differs between entry points (src/entries/): where the module is, and how files are read. */
export interface Platform {
  /** Supplies the module when `init()` is called without one. */
  defaultSource(): WasmSource | PromiseLike<WasmSource>;
  /** Reads a file: URL. Only the Node/Bun/default entries have one, so no other bundle mentions node:fs. */
  readFile?: ((url: URL) => Promise<ArrayBufferView>) | undefined;
  /** Where the files shipped beside the entry are (manytask.wasm, worker.js…), when it knows. */
  locate?: (file: string) => URL;
  /** The worker threads and the parallel kernels (src/threads/): the full library's entries only. */
  threads?: ThreadSupport;
}

/** Options of `init`. */
export interface InitOptions {
  /**
   * Threads the kernels may use, the calling one included: an integer from 1 to
   * MAX_THREADS. Default: the machine's cores, at most 8. 1 runs everything on
   * the calling thread, with the single-thread module.
   */
  threads?: number;
  /**
   * The relaxed-SIMD GEMM (fused multiply-add) where the runtime has relaxed
   * SIMD: faster, but its results may differ between engines in the last bits.
   * Default false (the deterministic kernels).
   */
  fast?: boolean;
}

/** The most threads `init({ threads })` accepts. */
export const MAX_THREADS = 64;

/** What the worker threads are doing (threadInfo()). */
export interface ThreadInfo {
  /** Threads a large call uses now, the calling one included. */
  readonly threads: number;
  /** What init asked for (the default: the machine's cores, at most 8). */
  readonly requested: number;
  /** Whether the relaxed-SIMD GEMM runs. */
  readonly fast: boolean;
  /** Why fewer threads run than were asked (or fast is off although asked); null when all is as asked. */
  readonly reason: string | null;
}

/** @internal The runtime's worker threads, as src/threads/ manages them. */
export interface ThreadControl {
  info(): ThreadInfo;
  /** Stops the worker threads; later calls run on the calling thread, with the same results. */
  shutdown(): Promise<void>;
  /** init() called again with options: another thread count or fast mode, on the same memory. */
  reconfigure(options: InitOptions): Promise<void>;
}

/** @internal How src/threads/ plugs into init (the runtime layer does not import it). */
export interface ThreadSupport {
  /**
   * Loads the kernels for `options`: the threaded module where threads are
   * asked for and possible, else the single-thread module, which `single` loads.
   */
  load(options: InitOptions, source: WasmSource | undefined, platform: Platform, single: () => Promise<Runtime>): Promise<Runtime>;
  /** Tells init(options) and init(source, options) from init(source), and checks the options (throws ArgumentError). */
  parse(a: unknown, b: unknown): { source: WasmSource | undefined; options: InitOptions | undefined };
}

/** @internal */
export interface Runtime {
  readonly kernels: Kernels;
  readonly memory: WebAssembly.Memory;
  readonly allocator: Allocator;
  /** The worker threads (the full library's entries; absent in manytask/infer). */
  readonly threads?: ThreadControl;
}

let current: Runtime | null = null;
let pending: Promise<void> | null = null;

/** @internal The initialized runtime; `what` names the caller in the error if there is none. */
export function runtime(what: string): Runtime {
  if (current === null) throw new NotInitializedError(what);
  return current;
}

/**
 * @internal Forgets the loaded module (stopping its worker threads), so that
 * `init` can load one again (manytask's own tests; initFullRuntime).
 */
export function resetRuntime(): Promise<void> {
  const threads = current?.threads;
  current = null;
  pending = null;
  return threads === undefined ? Promise.resolve() : threads.shutdown();
}

/** @internal Resolves once the init calls made so far have ended (loaded, reconfigured or failed): shutdown waits for them. */
export function initSettled(): Promise<void> {
  return Promise.all([pending?.catch(() => undefined), turns]).then(() => undefined);
}

export function isInitialized(): boolean {
  return current !== null;
}

let f32View = new Float32Array(0);

/** @internal A Float32Array over all of linear memory, re-derived if memory has grown since the last call. */
export function heapF32(): Float32Array {
  const buffer = runtime('heapF32').memory.buffer;
  if (f32View.buffer !== buffer) f32View = new Float32Array(buffer);
  return f32View;
}

let i32View = new Int32Array(0);

/** An Int32Array over all of linear memory (index lists, pointer tables), re-derived if memory has grown. */
export function heapI32(): Int32Array {
  const buffer = runtime('heapI32').memory.buffer;
  if (i32View.buffer !== buffer) i32View = new Int32Array(buffer);
  return i32View;
}

/**
 * @internal
 * Loads the kernels from `source` (or the platform's default): manytask/infer's
 * `init(source?)`; the full library's init parses its arguments first
 * (initFullRuntime). `options` (checked) only where the platform has thread
 * support. Calling it again (or concurrently) returns the first call's promise.
 * After a failure the next call tries again.
 */
export function initRuntime(source: WasmSource | undefined, platform: Platform, options?: InitOptions): Promise<void> {
  if (pending === null) {
    pending = load(source, platform, options ?? {}).then(
      (rt) => { current = rt; },
      (err: unknown) => {
        pending = null;
        // Every init failure is an InitError, whatever failed underneath (a rejected promise passed in, a platform hook).
        throw err instanceof ManytaskError ? err : new InitError(`init() failed: ${message(err)}`, { cause: err });
      },
    );
  }
  return pending;
}

/**
 * @internal
 * initRuntime for the full library. manytask and manytask/infer share one
 * runtime, and the library cannot run on the infer.wasm that manytask/infer's
 * init() may have loaded first. (Its own function, so that manytask/infer's
 * bundles leave it out.)
 */
export function initFullRuntime(
  sourceOrOptions: WasmSource | InitOptions | undefined, platform: Platform & { threads: ThreadSupport }, maybeOptions?: InitOptions,
): Promise<void> {
  // init(source?), init(options) or init(source, options), the options checked (ArgumentError).
  let parsed: { source: WasmSource | undefined; options: InitOptions | undefined };
  try {
    parsed = platform.threads.parse(sourceOrOptions, maybeOptions);
  } catch (err) {
    return Promise.reject(err);
  }
  // Options again once loaded (or while the first call still loads): another thread count or fast
  // mode, on the same memory. One after another, in call order: calls made together (Promise.all)
  // end as the same calls made in turn would, never with a pool of one call's count and another's options.
  const options = parsed.options;
  if (options !== undefined && (current?.threads !== undefined || (current === null && pending !== null))) {
    return inTurn(async () => {
      await pending?.catch(() => undefined);
      if (current?.threads !== undefined) return current.threads.reconfigure(options);
      // The load failed (this call loads again), or its runtime has no threads (as before: its promise).
      return initFullRuntime(sourceOrOptions, platform, maybeOptions);
    });
  }
  const loadsHere = pending === null;
  const loading = initRuntime(parsed.source, platform, parsed.options);
  // Calling it again returns the first call's promise, as initRuntime does.
  if (fullCheck?.loading !== loading) {
    fullCheck = {
      loading,
      checked: loading.then(() => {
        // The full module has every kernel as an own property (guardKernels); infer.wasm lacks adam.
        if (Object.hasOwn(current!.kernels, 'adam')) return;
        if (loadsHere) {
          // This call loaded infer.wasm: forget it, so that init(manytask.wasm) can follow.
          resetRuntime();
          throw new InitError("the module passed to init() is the inference-only infer.wasm; the full library needs manytask.wasm (or import from 'manytask/infer' to only predict)");
        }
        throw new InitError("manytask/infer's init() loaded the inference-only infer.wasm first; call init() from 'manytask' before it (manytask/infer then runs on manytask.wasm too)");
      }),
    };
  }
  return fullCheck.checked;
}

let fullCheck: { loading: Promise<void>; checked: Promise<void> } | null = null;

/** The last of initFullRuntime's reconfigurations, which run one after another. */
let turns: Promise<unknown> = Promise.resolve();

function inTurn(f: () => Promise<void>): Promise<void> {
  const mine = turns.then(f, f);
  turns = mine.catch(() => undefined);
  return mine;
}

// A module with one f32x4 instruction: does this runtime have WebAssembly SIMD?
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0,
  65, 0, 253, 15, 253, 98, 11,
]);

async function load(source: WasmSource | undefined, platform: Platform, options: InitOptions): Promise<Runtime> {
  if (typeof WebAssembly !== 'object') {
    throw new InitError('this runtime has no WebAssembly support');
  }
  if (!WebAssembly.validate(SIMD_PROBE)) {
    throw new InitError(
      'this runtime lacks WebAssembly SIMD (needs Node ≥ 16.4, Deno, Bun, Chrome/Edge ≥ 91, Firefox ≥ 89 or Safari ≥ 16.4)',
    );
  }
  const single = () => loadSingle(source, platform);
  return platform.threads === undefined ? single() : platform.threads.load(options, source, platform, single);
}

/** Pages of the kernels' memory at start: asconfig.json's initialMemory, which manytask.wasm's import asks for. */
export const INITIAL_PAGES = 32;

async function loadSingle(source: WasmSource | undefined, platform: Platform): Promise<Runtime> {
  const module = await compileSource(source ?? (await platform.defaultSource()), platform);
  let instance: WebAssembly.Instance;
  // manytask.wasm imports its memory (the worker threads share its module,
  // scripts/build.mjs); infer.wasm has its own. instantiate reads only the
  // imports a module declares, so the memory is made only for the former.
  let memory: WebAssembly.Memory | null = null;
  const env = { abort: abortFor(() => memory), get memory() { return memory ??= new WebAssembly.Memory({ initial: INITIAL_PAGES }); } };
  try {
    instance = await WebAssembly.instantiate(module, { env });
  } catch (cause) {
    throw new InitError(`could not instantiate the manytask kernels: ${message(cause)}`, { cause });
  }
  const exports = instance.exports as unknown as Kernels & { memory?: WebAssembly.Memory; setGemmScratch?(p: number): void; gemmScratchBytes(): number };
  memory ??= exports.memory!;
  if (!(memory instanceof WebAssembly.Memory) || typeof exports.gemm !== 'function') {
    throw new InitError('the module passed to init() is not manytask.wasm (it lacks the manytask exports)');
  }
  const kernels = guardKernels(exports as unknown as Record<string, unknown>);
  const allocator = new Allocator(memory, kernels.heapBase());
  // The GEMM's packing buffers, where each instance has its own (manytask.wasm: assembly/gemm.ts).
  exports.setGemmScratch?.(allocator.reserve(exports.gemmScratchBytes(), 'the GEMM scratch'));
  return { kernels, memory, allocator };
}

/** @internal The bytes at `url`: read where the platform reads files, fetched elsewhere. */
export async function fetchBytes(url: URL, platform: Platform): Promise<Uint8Array> {
  const got = await fetchOrRead(url, platform);
  if (ArrayBuffer.isView(got)) return new Uint8Array(got.buffer, got.byteOffset, got.byteLength);
  if (!got.ok) throw new InitError(`fetching ${url.href} failed: HTTP ${got.status} ${got.statusText}`);
  return new Uint8Array(await got.arrayBuffer());
}

/** @internal Compiles what init was given (or where to find it) into a WebAssembly.Module. */
export async function compileSource(source: WasmSource, platform: Platform): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (typeof source === 'string' || source instanceof URL) {
    const url = source instanceof URL ? source : sourceUrl(source);
    return compileSource(await fetchOrRead(url, platform), platform);
  }
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    try {
      return await WebAssembly.compile(source as BufferSource);
    } catch (cause) {
      throw new InitError(`the bytes passed to init() are not a valid WebAssembly module: ${message(cause)}`, { cause });
    }
  }
  if (isThenable(source)) return compileSource(await source, platform);
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) {
      throw new InitError(`fetching manytask.wasm failed: HTTP ${source.status} ${source.statusText} for ${source.url}`);
    }
    const type = source.headers.get('content-type') ?? '';
    // compileStreaming insists on application/wasm; a server that says otherwise still works, only slower.
    if (type.split(';')[0]?.trim() === 'application/wasm' && typeof WebAssembly.compileStreaming === 'function') {
      try {
        return await WebAssembly.compileStreaming(source);
      } catch (cause) {
        throw new InitError(`could not compile manytask.wasm from ${source.url}: ${message(cause)}`, { cause });
      }
    }
    return compileSource(await source.arrayBuffer(), platform);
  }
  throw new InitError(
    `init() takes a WebAssembly.Module, the .wasm bytes, a URL, a file path or a Response; got ${describe(source)}`,
  );
}

async function fetchOrRead(url: URL, platform: Platform): Promise<ArrayBufferView | Response> {
  try {
    if (url.protocol === 'file:' && platform.readFile) return await platform.readFile(url);
    return await fetch(url);
  } catch (cause) {
    throw new InitError(
      `could not load manytask.wasm from ${url.href}: ${message(cause)}. ` +
        'Pass the module yourself: init(await WebAssembly.compileStreaming(fetch(wasmUrl))), ' +
        "or in a Cloudflare Worker `import wasm from 'manytask/manytask.wasm'; await init(wasm)`.",
      { cause },
    );
  }
}

function baseUrl(): string | undefined {
  const loc = (globalThis as { location?: { href?: string } }).location;
  return loc?.href;
}

/**
 * @internal
 * Where a string passed to init() points: an absolute URL (https:, file:,
 * data:, blob:…) as it is; otherwise, on a page or in a Worker with a location,
 * a URL relative to it; otherwise (Node, Bun, Deno) a file path, absolute or
 * relative to the working directory, with Windows drive letters and
 * backslashes understood.
 */
export function sourceUrl(source: string): URL {
  // A scheme has two letters or more: "C:\x" is a Windows path, not the "c:" scheme.
  if (/^[a-zA-Z][a-zA-Z\d+.-]+:/.test(source)) {
    try {
      return new URL(source);
    } catch (cause) {
      throw new InitError(`init(${JSON.stringify(source)}): not a valid URL (${message(cause)})`, { cause });
    }
  }
  const base = baseUrl();
  if (base !== undefined) return new URL(source, base);
  const cwd = workingDirectory();
  if (cwd === undefined) {
    throw new InitError(`init(${JSON.stringify(source)}): a relative path needs a base, and this runtime has neither a page location nor a working directory: pass a URL`);
  }
  return filePathUrl(source, cwd);
}

function workingDirectory(): string | undefined {
  const g = globalThis as { process?: { cwd?: () => string }; Deno?: { cwd?: () => string } };
  try {
    return g.process?.cwd?.() ?? g.Deno?.cwd?.();
  } catch {
    return undefined; // Deno without --allow-read refuses cwd()
  }
}

/** @internal A file path as a file: URL, resolved against `cwd` when relative (what Node's pathToFileURL does, without importing node:url). */
export function filePathUrl(path: string, cwd: string): URL {
  const windows = /^[a-zA-Z]:[\\/]/.test(path) || /^[a-zA-Z]:[\\/]/.test(cwd) || path.startsWith('\\\\');
  const slashes = (p: string) => (windows ? p.replaceAll('\\', '/') : p);
  let absolute = slashes(path);
  if (!(absolute.startsWith('/') || /^[a-zA-Z]:\//.test(absolute))) absolute = `${slashes(cwd).replace(/\/+$/, '')}/${absolute}`;
  if (windows && absolute.startsWith('//')) {
    // A Windows UNC path: \\server\share\file → file://server/share/file.
    const [host = '', ...rest] = absolute.slice(2).split('/');
    return new URL(`file://${host}/${rest.map(encodeURIComponent).join('/')}`);
  }
  const drive = /^[a-zA-Z]:\//.test(absolute) ? `/${absolute.slice(0, 2)}` : '';
  const rest = drive ? absolute.slice(2) : absolute;
  // Each segment percent-encoded ("#", "?", "%" and spaces are file-name characters, not URL syntax); ".." resolved by URL.
  return new URL(`file://${drive}${rest.split('/').map(encodeURIComponent).join('/')}`);
}

function isThenable(x: unknown): x is PromiseLike<Response> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x !== 'object') return typeof x;
  return (x as object).constructor?.name ?? 'an object';
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// AssemblyScript's abort(message, file, line, column); strings are UTF-16 with
// their byte length in the 4 bytes before them. Kernels validate nothing, so this
// fires only on a bug; make it loud and typed.
/** @internal The `env.abort` import of a kernel instance over the memory `memory()` returns. */
export function abortFor(memory: () => WebAssembly.Memory | null) {
  return (msgPtr: number, filePtr: number, line: number, column: number): never => {
    const text = (ptr: number) => {
      const m = memory();
      if (m === null || ptr === 0) return '';
      const bytes = new Uint32Array(m.buffer, ptr - 4, 1)[0] ?? 0;
      return String.fromCharCode(...new Uint16Array(m.buffer, ptr, bytes >>> 1));
    };
    throw new ManytaskError('E_WASM_TRAP', `kernel aborted: ${text(msgPtr)} at ${text(filePtr)}:${line}:${column}`);
  };
}

// Every export is called through a wrapper that turns a WebAssembly trap into a
// WasmTrapError naming the kernel. The wrapper has a fixed arity (no rest
// arguments, so no per-call allocation); extra arguments are ignored by WASM.
/** @internal */
export function guardKernels(exports: Record<string, unknown>): Kernels {
  // On infer.wasm, a kernel only manytask.wasm has (the library used after
  // manytask/infer's init() alone) throws a typed error, not a TypeError: the
  // full library is not initialized, and its init() says why (initFullRuntime).
  // Only the full module has the training kernels, the optimizers among them.
  const guarded: Record<string, unknown> = typeof exports.adam === 'function' ? {} : Object.create(new Proxy({}, {
    get: (_, name) => () => { throw new NotInitializedError(name as string); },
  }));
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value !== 'function') continue;
    const fn = value as (...args: number[]) => number;
    guarded[name] = (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number,
      i: number, j: number, k: number, l: number, m: number, n: number, o: number, p: number,
      q: number, r: number, s: number, t: number): number => {
      try {
        return fn(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t);
      } catch (err) {
        if (err instanceof WebAssembly.RuntimeError) throw new WasmTrapError(name, err);
        throw err;
      }
    };
  }
  return guarded as unknown as Kernels;
}
