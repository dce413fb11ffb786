// Worker threads for the kernels: what init does with { threads, fast }.
//
// threads > 1, where the runtime has workers and shared memory: the kernel
// module (dist/manytask.wasm) on a shared WebAssembly memory, its memory
// import made shared when it is loaded (shared-module.ts),
// one instance on the calling thread and one in each worker of a pool
// (pool.ts). Large calls are split across them (parallel.ts) with results
// bit-identical to one thread. Otherwise — threads: 1, Cloudflare Workers
// (silently), a page that is not cross-origin isolated (said once), a source
// given as a compiled module — the single-thread module, with the same
// kernels, on the calling thread alone.

import {
  INITIAL_PAGES, MAX_THREADS, abortFor, compileSource, fetchBytes, guardKernels, initSettled, isInitialized, runtime, sourceUrl,
  type InitOptions, type Platform, type Runtime, type ThreadControl, type ThreadInfo, type ThreadSupport, type WasmSource,
} from '../runtime/module.js';
import { Allocator } from '../runtime/allocator.js';
import { ArgumentError, InitError } from '../runtime/errors.js';
import { checkKeys, show } from '../runtime/validate.js';
import type { Kernels } from '../runtime/abi.js';
import { LocalRunner, Pool, type JobRunner, type PoolKernels } from './pool.js';
import { parallelKernels } from './parallel.js';
import { builtin, type Flavor } from './spawn.js';
import { endJobWorkers, type JobWorkerSetup } from './jobs.js';
import { withSharedMemory } from './shared-module.js';

/** @internal Default thread count: the machine's cores, at most this many (beyond it the row splits of these kernels scale poorly). */
export const DEFAULT_MAX_THREADS = 8;
/** Maximum sizes to try for the shared memory, in pages (4 GiB first; a 32-bit browser may refuse to reserve it). */
const MAXIMUM_PAGES = [65536, 32768, 16384];

const KERNEL_FILE = 'manytask.wasm';
const RELAXED_FILE = 'gemm-relaxed.wasm';
const WORKER_FILE = 'worker.js';

// A module whose one function runs f32x4.relaxed_madd: does this runtime have relaxed SIMD?
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  253, 133, 2, 11,
]);

/** @internal Whether this runtime validates relaxed SIMD (Deno, Bun, Chromium, workerd, Node ≥ 22). */
export function hasRelaxedSimd(): boolean {
  try {
    return WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

let warned = false;
/** Says a problem once per process (a page that is not cross-origin isolated, a failed self-test). */
function warnOnce(text: string): void {
  if (warned) return;
  warned = true;
  console.warn(`manytask: ${text}; running on one thread.`);
}

/**
 * The default thread count: the machine's cores, at most DEFAULT_MAX_THREADS;
 * in a browser one less (at least 1), leaving a core to the page's own thread
 * so that it keeps drawing while the kernels run.
 */
async function defaultThreads(): Promise<number> {
  const n = await cores();
  return Math.max(1, Math.min(DEFAULT_MAX_THREADS, nodeLike() ? n : n - 1));
}

/** The machine's cores, where the runtime says. */
async function cores(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (typeof nav?.hardwareConcurrency === 'number' && nav.hardwareConcurrency > 0) return nav.hardwareConcurrency;
  if (nodeLike()) {
    try {
      const os = await builtin<{ availableParallelism?: () => number; cpus(): unknown[] }>('os');
      return os.availableParallelism?.() ?? os.cpus().length;
    } catch { /* fall through */ }
  }
  return 1;
}


function nodeLike(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string } }; Deno?: unknown; Bun?: unknown };
  return typeof g.process?.versions?.node === 'string' || g.Deno !== undefined || g.Bun !== undefined;
}

/** How workers start here, or why there are none (`silent`: a runtime without threads by design). */
function environment(): { flavor: Flavor } | { flavor: null; problem: string; silent: boolean } {
  const g = globalThis as {
    navigator?: { userAgent?: string }; crossOriginIsolated?: boolean; Worker?: unknown; document?: unknown;
    WorkerGlobalScope?: unknown;
  };
  if (g.navigator?.userAgent === 'Cloudflare-Workers') return { flavor: null, problem: 'Cloudflare Workers run one thread', silent: true };
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') {
    if (!nodeLike() && g.crossOriginIsolated === false) {
      return {
        flavor: null, silent: false,
        problem: 'this page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and ' +
          'Cross-Origin-Embedder-Policy: require-corp), so it has no SharedArrayBuffer for worker threads',
      };
    }
    return { flavor: null, problem: 'this runtime has no SharedArrayBuffer', silent: false };
  }
  if (nodeLike()) return { flavor: 'node' };
  if (g.crossOriginIsolated === false) {
    return { flavor: null, silent: false, problem: 'this page is not cross-origin isolated, so its memory cannot be shared with workers' };
  }
  if (typeof g.Worker !== 'function') return { flavor: null, problem: 'this runtime has no Worker', silent: true };
  return { flavor: 'web' };
}

/** Where a file shipped beside manytask.wasm is, for the source init was given (null: not findable). */
function sibling(file: string, source: WasmSource | undefined, platform: Platform): URL | null {
  if (source === undefined) return platform.locate?.(file) ?? null;
  if (source instanceof URL) return new URL(file, source);
  if (typeof source === 'string') {
    try {
      return new URL(file, sourceUrl(source));
    } catch {
      return null;
    }
  }
  return null;
}

/** Where manytask.wasm is: the URL or path init was given, else beside the entry (null: init was given the module or its bytes). */
function kernelUrl(source: WasmSource | undefined, platform: Platform): URL | null {
  if (source === undefined) return platform.locate?.(KERNEL_FILE) ?? null;
  if (source instanceof URL) return source;
  if (typeof source === 'string') {
    try {
      return sourceUrl(source);
    } catch {
      return null;
    }
  }
  return null;
}

/** The module at `url` with its memory import made shared (shared-module.ts), compiled for the worker threads. */
async function compileShared(url: URL, platform: Platform, name: string): Promise<WebAssembly.Module> {
  return WebAssembly.compile(withSharedMemory(await fetchBytes(url, platform), Math.max(...MAXIMUM_PAGES), name) as BufferSource);
}

interface State {
  requested: number;
  fast: boolean;
  /** Why fewer threads run than asked (or no fast mode), for threadInfo(). */
  reason: string | null;
  /** Why this runtime cannot have worker threads at all (then asking for more changes nothing). */
  noThreads: string | null;
  /** Whether that goes without saying (Cloudflare Workers: no threads by design). */
  silent: boolean;
}

/**
 * Instantiates the relaxed GEMM on `memory` (with its memory import made shared
 * when `memory` is) with its own scratch; a reason where relaxed SIMD or the file is missing.
 */
async function relaxedGemm(
  memory: WebAssembly.Memory, allocator: Allocator, source: WasmSource | undefined, platform: Platform,
): Promise<{ module: WebAssembly.Module; gemm: Kernels['gemm'] } | { module: null; problem: string }> {
  const file = RELAXED_FILE;
  if (!hasRelaxedSimd()) return { module: null, problem: 'this runtime lacks relaxed SIMD' };
  const url = sibling(file, source, platform);
  if (url === null) {
    return {
      module: null,
      problem: source === undefined
        ? `${file} is not bundled for this runtime (Cloudflare Workers import their modules)`
        : `init() was given the module itself, so ${file} cannot be found`,
    };
  }
  try {
    const shared = typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
    const module = shared ? await compileShared(url, platform, file) : await compileSource(url, platform);
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const x = instance.exports as unknown as { gemm: Kernels['gemm']; gemmScratchBytes(): number; setGemmScratch(p: number): void };
    x.setGemmScratch(allocator.reserve(x.gemmScratchBytes(), 'the relaxed GEMM\'s scratch'));
    return { module, gemm: x.gemm };
  } catch (err) {
    return { module: null, problem: `could not load ${file}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function sharedMemory(initial: number): WebAssembly.Memory {
  let last: unknown;
  for (const maximum of MAXIMUM_PAGES) {
    try {
      return new WebAssembly.Memory({ initial, maximum, shared: true });
    } catch (err) {
      last = err;
    }
  }
  throw new InitError(`could not create a shared WebAssembly memory: ${last instanceof Error ? last.message : String(last)}`);
}

/**
 * The kernels of one runtime, as the library calls them: the guarded kernels
 * with the large calls going through a runner (the pool, or the calling thread
 * alone) and, in fast mode, the relaxed GEMM. Swapping the runner or the GEMM
 * (shutdown, reconfigure) rewrites the same object, which the Runtime holds.
 */
class KernelSet {
  readonly kernels = {} as Kernels;
  constructor(readonly guarded: Kernels, readonly allocator: Allocator, readonly memory: WebAssembly.Memory) {}

  install(runner: JobRunner, relaxed: Kernels['gemm'] | null): void {
    const gemm = relaxed === null ? this.guarded.gemm : (guardKernels({ gemm: relaxed }) as unknown as Kernels).gemm;
    Object.assign(this.kernels, parallelKernels(this.guarded, { runner, allocator: this.allocator, memory: this.memory, gemm }));
  }
}

/** Tells init(options) from init(source) (an options object is a plain object) and checks the options. */
function parseInitArguments(a: unknown, b: unknown): { source: WasmSource | undefined; options: InitOptions | undefined } {
  const plain = (x: unknown) => typeof x === 'object' && x !== null && (Object.getPrototypeOf(x) === Object.prototype || Object.getPrototypeOf(x) === null);
  if (b !== undefined) return { source: a as WasmSource | undefined, options: checkInitOptions(b) };
  if (plain(a)) return { source: undefined, options: checkInitOptions(a) };
  return { source: a as WasmSource | undefined, options: undefined };
}

function checkInitOptions(o: unknown): InitOptions {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new ArgumentError(`init: options must be an object { threads?, fast? }, got ${show(o)}`);
  checkKeys('init', o, ['threads', 'fast']);
  const { threads, fast } = o as Record<string, unknown>;
  if (threads !== undefined && (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS)) {
    throw new ArgumentError(`init: threads must be an integer from 1 to ${MAX_THREADS} (the calling thread included), got ${show(threads)}`);
  }
  if (fast !== undefined && typeof fast !== 'boolean') throw new ArgumentError(`init: fast must be true or false, got ${show(fast)}`);
  return { ...(threads !== undefined && { threads: threads as number }), ...(fast !== undefined && { fast }) };
}

/** @internal */
export const threadSupport: ThreadSupport = {
  parse: parseInitArguments,

  async load(options, source, platform, single) {
    lastLoad = { source, platform };
    const requested = options.threads ?? await defaultThreads();
    const env = environment();
    const state: State = {
      requested, fast: false, reason: null, noThreads: env.flavor === null ? env.problem : null, silent: env.flavor === null && env.silent,
    };
    // A source init was given is loaded first: it must be manytask.wasm (and its errors are init's errors);
    // the threads then load it again with its memory import made shared.
    const given = source === undefined ? null : await single();
    // Not manytask.wasm (infer.wasm, say): one thread, and initFullRuntime says what is wrong with it.
    if (given !== null && !Object.hasOwn(given.kernels, 'adam')) return given;
    if (requested > 1) {
      const moduleUrl = kernelUrl(source, platform);
      const workerUrl = sibling(WORKER_FILE, source, platform);
      if (env.flavor === null) {
        if (!env.silent) warnOnce(env.problem);
        state.reason = env.problem;
      } else if (moduleUrl === null || workerUrl === null) {
        state.reason = 'init() was given the module itself, not where to find it: pass its URL (or nothing) to use worker threads';
      } else {
        let module: WebAssembly.Module | null = null;
        try {
          module = await compileShared(moduleUrl, platform, KERNEL_FILE);
        } catch (err) {
          state.reason = `could not load ${KERNEL_FILE} for the worker threads (${err instanceof Error ? err.message : String(err)})`;
          // The package's own manytask.wasm must load: say so. A module init was given may be another build (one with a memory of its own).
          if (source === undefined) warnOnce(state.reason);
        }
        if (module !== null) return threaded(module, workerUrl, env.flavor, state, options.fast ?? false, source, platform);
      }
    }
    return singleThread(given ?? await single(), state, options.fast ?? false, source, platform, options.threads === undefined);
  },
};

/** The single-thread module: chunked kernels on the calling thread; reconfigure can only toggle fast mode. */
async function singleThread(
  rt: Runtime, state: State, fast: boolean, source: WasmSource | undefined, platform: Platform, initialDefault: boolean,
): Promise<Runtime> {
  const set = new KernelSet(rt.kernels, rt.allocator, rt.memory);
  const runner = new LocalRunner(rt.kernels, rt.memory);
  let relaxed: Kernels['gemm'] | null = null;
  currentRunner = runner;
  const useFast = async (on: boolean) => {
    if (on && relaxed === null) {
      const r = await relaxedGemm(rt.memory, rt.allocator, source, platform);
      if (r.module !== null) relaxed = r.gemm; else state.reason ??= r.problem;
    }
    set.install(runner, on ? relaxed : null);
    state.fast = on && relaxed !== null;
  };
  await useFast(fast);
  const control: ThreadControl = {
    info: () => ({ threads: 1, requested: state.requested, fast: state.fast, reason: state.reason }),
    shutdown: async () => {},
    reconfigure: async (options) => {
      const threads = options.threads ?? state.requested;
      if (threads > 1 && state.noThreads !== null) {
        // No threads here whatever is asked: as at init, one thread, and the reason says why.
        if (state.reason === null && !state.silent) warnOnce(state.noThreads);
        state.reason = state.noThreads;
      } else if (threads > 1 && state.requested <= 1) {
        throw new InitError(
          `init: manytask was initialized on one thread (threads: ${state.requested}${initialDefault ? ', the default here' : ''}), ` +
            'on the single-thread module; threads cannot be added to it after init: initialize with the thread count you need',
        );
      }
      state.requested = threads;
      if (options.fast !== undefined) await useFast(options.fast);
    },
  };
  return { kernels: set.kernels, memory: rt.memory, allocator: rt.allocator, threads: control };
}

/** The threaded module on a shared memory, with a pool of requested − 1 workers. */
async function threaded(
  module: WebAssembly.Module, workerUrl: URL, flavor: Flavor, state: State, fast: boolean,
  source: WasmSource | undefined, platform: Platform,
): Promise<Runtime> {
  const memory = sharedMemory(INITIAL_PAGES);
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, { env: { memory, abort: abortFor(() => memory) } });
  } catch (cause) {
    throw new InitError(`could not instantiate ${KERNEL_FILE} on a shared memory: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const raw = instance.exports as unknown as Kernels & PoolKernels & { setGemmScratch(p: number): void; adam?: unknown };
  if (typeof raw.setGemmScratch !== 'function' || typeof raw.adam !== 'function') {
    throw new InitError(`${KERNEL_FILE} is not manytask's kernel module (it lacks the manytask exports)`);
  }
  const allocator = new Allocator(memory, raw.heapBase());
  raw.setGemmScratch(allocator.reserve(raw.gemmScratchBytes(), 'the GEMM scratch'));
  const set = new KernelSet(guardKernels(instance.exports as unknown as Record<string, unknown>), allocator, memory);

  let relaxed: { module: WebAssembly.Module; gemm: Kernels['gemm'] } | null = null;
  let pool: Pool | null = null;
  // What a task runs on this thread: the raw exports (the pool maps traps itself), the relaxed GEMM in fast mode.
  const taskKernels = (): PoolKernels => ({ ...raw, gemm: state.fast && relaxed !== null ? relaxed.gemm : raw.gemm });
  const start = async (threads: number, wantFast: boolean) => {
    if (wantFast && relaxed === null) {
      const r = await relaxedGemm(memory, allocator, source, platform);
      if (r.module !== null) relaxed = r; else state.reason ??= r.problem;
    }
    state.fast = wantFast && relaxed !== null;
    let runner: JobRunner = new LocalRunner(taskKernels(), memory);
    if (threads > 1) {
      const r = await Pool.start({
        workers: threads - 1, flavor, workerUrl, module, relaxed: state.fast ? relaxed!.module : null, memory, allocator,
        kernels: taskKernels(),
      });
      if (r.pool === null) {
        warnOnce(r.problem);
        state.reason = r.problem;
      } else {
        pool = r.pool;
        runner = r.pool;
      }
    }
    set.install(runner, state.fast ? relaxed!.gemm : null);
    currentRunner = runner;
  };
  const stop = async () => {
    const p = pool;
    pool = null;
    currentRunner = new LocalRunner(taskKernels(), memory);
    set.install(currentRunner, state.fast ? relaxed!.gemm : null);
    if (p !== null) await p.shutdown();
  };
  await start(state.requested, fast);

  const control: ThreadControl = {
    info: () => {
      const threads = pool?.liveThreads ?? 1;
      let reason = state.reason;
      if (reason === null && threads < state.requested) {
        reason = pool === null ? 'the worker threads were shut down' : 'some worker threads are not running (a replacement is starting)';
      }
      return { threads, requested: state.requested, fast: state.fast, reason };
    },
    shutdown: stop,
    reconfigure: async (options) => {
      const threads = options.threads ?? state.requested;
      const wantFast = options.fast ?? state.fast;
      if (threads === state.requested && wantFast === state.fast && pool !== null) return;
      await stop();
      state.requested = threads;
      state.reason = null;
      await start(threads, wantFast);
    },
  };
  return { kernels: set.kernels, memory, allocator, threads: control };
}

// Where the runtime loaded last came from: a sweep's workers load the single-thread module from there.
let lastLoad: { source: WasmSource | undefined; platform: Platform } | null = null;

/**
 * @internal
 * What a worker that runs whole jobs on its own memory (a sweep's) needs: the
 * single-thread kernel module, the script `file` beside the entry, and how to
 * start it. Null where there are no workers, or the module cannot be sent on
 * (init() was given a Response).
 */
export async function jobWorkerSetup(file: string): Promise<JobWorkerSetup | null> {
  const load = lastLoad;
  if (load === null) return null;
  const env = environment();
  if (env.flavor === null) return null;
  const { source, platform } = load;
  const url = sibling(file, source, platform);
  if (url === null && !(source instanceof WebAssembly.Module)) return null;
  const scriptUrl = url ?? platform.locate?.(file) ?? null;
  if (scriptUrl === null) return null;
  try {
    let module: WebAssembly.Module;
    if (source instanceof WebAssembly.Module) module = source;
    else if (jobModule !== null && jobModule.source === source && jobModule.platform === platform) module = jobModule.module;
    else if (source === undefined) module = await compileSource(await platform.defaultSource(), platform);
    else if (source instanceof URL || typeof source === 'string' || source instanceof ArrayBuffer || ArrayBuffer.isView(source)) module = await compileSource(source, platform);
    else return null;
    // Kept: the job workers that wait between calls (jobs.ts) serve a call only for the module they were started with.
    jobModule = { source, platform, module };
    return { module, url: scriptUrl, flavor: env.flavor };
  } catch {
    return null;
  }
}

// The single-thread module jobWorkerSetup compiled last, and from what.
let jobModule: { source: WasmSource | undefined; platform: Platform; module: WebAssembly.Module } | null = null;

// The job runner of the runtime loaded last: for manytask's own tests and benchmarks (src/internal.ts).
let currentRunner: JobRunner | null = null;

/** @internal For manytask's tests and benchmarks: the runner the kernels use now (a Pool, or the calling thread alone). */
export function jobRunner(): JobRunner | null {
  return currentRunner;
}

/** What the worker threads are doing: threads in use, what was asked, fast mode, and why not, if not. */
export function threadInfo(): ThreadInfo {
  const t = runtime('threadInfo').threads;
  return t === undefined ? { threads: 1, requested: 1, fast: false, reason: 'manytask/infer runs on one thread' } : t.info();
}

/**
 * Stops the worker threads, the kernels' pool and the job workers that wait
 * between an ensemble's or a sweep's calls (they also stop by themselves when the process has
 * nothing else to do). The library keeps working, on the calling thread alone,
 * with the same results; `init({ threads })` starts a pool again. Before `init`
 * it does nothing.
 */
export async function shutdown(): Promise<void> {
  // An init() still loading or changing the thread count: the pool it starts is stopped too, not left running.
  await initSettled();
  // Before init (or after a failed one) there is no pool: nothing to stop, as after a second shutdown().
  const t = isInitialized() ? runtime('shutdown').threads : undefined;
  if (t !== undefined) await t.shutdown();
  await endJobWorkers();
}
