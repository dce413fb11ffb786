// Starting a worker in each runtime. Node, Deno and Bun use node:worker_threads
// (its workers can be unref'd, so an idle pool never keeps a process alive;
// Deno's and Bun's Web Workers cannot all be); browsers use Web Workers
// (module workers, nested in the supervisor).

/** How workers are made: node:worker_threads, or the Web Worker API. */
export type Flavor = 'node' | 'web';

export interface WorkerHandle {
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the worker ends for any reason; the code is 0 for a clean end. */
  onExit(listener: (code: number, error: unknown) => void): void;
  /** Lets the process exit while the worker lives (node flavor). */
  unref(): void;
  /** Undoes unref: the process waits for the worker again (node flavor). */
  ref(): void;
  /** Ends the worker (and the workers it started); resolves once it has ended. */
  terminate(): Promise<void>;
}

/**
 * A built-in module of Node, Deno or Bun, reached through
 * process.getBuiltinModule rather than an import, so that a bundler for any
 * platform takes this file as it is (as src/entries/read-file.ts does); an
 * import of the bare name where the runtime predates getBuiltinModule.
 */
export async function builtin<T>(name: string): Promise<T> {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule === 'function') return proc.getBuiltinModule(name) as T;
  return (await import(/* @vite-ignore */ name)) as T;
}

interface NodeWorker {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): void;
  on(event: 'exit', listener: (code: number) => void): void;
  on(event: 'error', listener: (error: unknown) => void): void;
  unref(): void;
  ref(): void;
  terminate(): Promise<number>;
}

export async function spawnWorker(flavor: Flavor, url: URL | string, init: unknown): Promise<WorkerHandle> {
  if (flavor === 'node') {
    const { Worker } = await builtin<{ Worker: new (url: URL | string, options: object) => NodeWorker }>('worker_threads');
    // The process's flags, for a worker, less those that only make sense for the main script (node --input-type=module -e …).
    const proc = (globalThis as { process?: { execArgv?: string[] } }).process;
    const execArgv = (proc?.execArgv ?? []).filter((a) => !a.startsWith('--input-type'));
    const target = typeof url === 'string' ? new URL(url) : url;
    let w: NodeWorker;
    try {
      w = new Worker(target, { workerData: init, execArgv });
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
      // Flags that act on the whole process, which a worker refuses (--max-old-space-size,
      // --expose-gc, --stack-size, --title): Node lists them after the colon; the worker goes without.
      const refused = new Set((err as Error).message.replace(/^[^:]*:\s*/, '').split(/,\s*/));
      w = new Worker(target, { workerData: init, execArgv: execArgv.filter((a) => !refused.has(a)) });
    }
    let error: unknown = null;
    w.on('error', (e) => { error = e; });
    return {
      post: (m) => w.postMessage(m),
      onMessage: (l) => w.on('message', l),
      onExit: (l) => w.on('exit', (code) => l(code, error)),
      unref: () => w.unref(),
      ref: () => w.ref(),
      // Held while it ends, so that awaiting this keeps a Node process alive.
      terminate: async () => { w.ref(); await w.terminate(); },
    };
  }
  const w = new Worker(url, { type: 'module' });
  let exited = false;
  const exitListeners: ((code: number, error: unknown) => void)[] = [];
  const end = (code: number, error: unknown) => {
    if (exited) return;
    exited = true;
    for (const l of exitListeners) l(code, error);
  };
  // A Web Worker has no exit event: an error that escapes it is its end (it is terminated to be sure).
  w.addEventListener('error', (e) => { e.preventDefault(); w.terminate(); end(1, e.message); });
  w.postMessage(init);
  return {
    post: (m) => w.postMessage(m),
    onMessage: (l) => w.addEventListener('message', (e) => l(e.data)),
    onExit: (l) => { exitListeners.push(l); },
    unref: () => { /* a page does not exit */ },
    ref: () => { /* nor waits for a worker */ },
    terminate: async () => { w.terminate(); end(0, null); },
  };
}

/** This thread's side of its worker: the start-up data, and messages to and from the thread that started it. */
export interface WorkerPort {
  readonly data: unknown;
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
}

/**
 * The start-up data and the parent's port, in a worker of either flavor: a
 * node:worker_threads worker gets it as workerData, a Web Worker as its first message.
 */
export async function workerPort(): Promise<WorkerPort> {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (typeof proc?.versions?.node === 'string') {
    const wt = await builtin<{
      isMainThread: boolean; workerData: unknown;
      parentPort: { postMessage(m: unknown): void; on(e: 'message', l: (m: unknown) => void): void } | null;
    }>('worker_threads');
    if (!wt.isMainThread && wt.parentPort !== null) {
      const port = wt.parentPort;
      return { data: wt.workerData, post: (m) => port.postMessage(m), onMessage: (l) => port.on('message', l) };
    }
  }
  const scope = globalThis as unknown as {
    addEventListener(t: 'message', l: (e: MessageEvent) => void): void;
    postMessage(m: unknown): void;
  };
  return new Promise((resolve) => {
    const listeners: ((m: unknown) => void)[] = [];
    let first = true;
    scope.addEventListener('message', (e) => {
      if (!first) { for (const l of listeners) l(e.data); return; }
      first = false;
      resolve({ data: e.data, post: (m) => scope.postMessage(m), onMessage: (l) => listeners.push(l) });
    });
  });
}
