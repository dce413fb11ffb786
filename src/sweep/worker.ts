// A sweep's worker (dist/sweep-worker.js): the library on its own memory, with
// the single-thread kernels, running whole runs (src/sweep/run.ts) as the
// calling thread hands them out.

import { initRuntime } from '../runtime/module.js';
import { ManytaskError } from '../runtime/errors.js';
import { threadSupport } from '../threads/index.js';
import { workerPort } from '../threads/spawn.js';
import { datasetFrom, runOne, type DatasetData, type RunData, type RunPlan, type SweepRun } from './run.js';

export interface SweepWorkerInit {
  readonly role: 'sweep';
  /** The single-thread kernel module (manytask.wasm). */
  readonly module: WebAssembly.Module;
  readonly data: DatasetData;
  readonly test: DatasetData | null;
  readonly folds: RunData['folds'];
}

export type SweepWorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly result: SweepRun }
  | { readonly type: 'failed'; readonly index: number; readonly error: { readonly name: string; readonly code: string | null; readonly message: string } };

async function start(): Promise<void> {
  const port = await workerPort();
  const init = port.data as SweepWorkerInit;
  await initRuntime(init.module, { defaultSource: () => init.module, threads: threadSupport }, { threads: 1 });
  const data: RunData = { data: datasetFrom(init.data), test: init.test === null ? null : datasetFrom(init.test), folds: init.folds };
  // One run at a time, in the order they come.
  let queue = Promise.resolve();
  port.onMessage((m) => {
    const { plan } = m as { type: 'run'; plan: RunPlan };
    queue = queue.then(async () => {
      try {
        port.post({ type: 'result', result: await runOne(plan, data) } satisfies SweepWorkerReply);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        port.post({
          type: 'failed', index: plan.index,
          error: { name: e.name, code: err instanceof ManytaskError ? err.code : null, message: e.message },
        } satisfies SweepWorkerReply);
      }
    });
  });
  port.post({ type: 'ready' } satisfies SweepWorkerReply);
}

void start();
