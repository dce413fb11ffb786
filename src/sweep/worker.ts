// The job worker (dist/sweep-worker.js, src/threads/jobs.ts): the library on its
// own memory, with the single-thread kernels, running whole jobs as the calling
// thread hands them out — a sweep's runs (src/sweep/run.ts) or an ensemble's
// members (src/model/ensemble-member.ts), by the start-up data's role. It lives
// here, the lowest folder whose code sees both kinds.

import { initRuntime } from '../runtime/module.js';
import { ArgumentError } from '../runtime/errors.js';
import { ConvergenceWarning, warn } from '../runtime/warnings.js';
import { threadSupport } from '../threads/index.js';
import { serveJobs, type JobWorkerInit } from '../threads/jobs.js';
import { memberJobs, type MemberWorkerInit } from '../model/ensemble-member.js';
import { datasetFrom, type DatasetData } from '../data/transfer.js';
import { runOne, type RunData, type RunPlan } from './run.js';

export interface SweepWorkerInit extends JobWorkerInit {
  readonly role: 'sweep';
  readonly data: DatasetData;
  readonly test: DatasetData | null;
  readonly folds: RunData['folds'];
}

/**
 * A worker that fails on purpose, for the tests of the job workers' fault
 * handling (src/threads/jobs.ts): each job says whether to end the thread
 * ('die'), to raise a warning and succeed ('warn'), or (anything else) to throw.
 */
export interface FaultWorkerInit extends JobWorkerInit {
  readonly role: 'fault';
}

type Init = SweepWorkerInit | MemberWorkerInit | FaultWorkerInit;

void serveJobs<unknown, unknown>(async (module) => {
  await initRuntime(module, { defaultSource: () => module, threads: threadSupport }, { threads: 1 });
}, async (given) => {
  const init = given as Init;
  switch (init.role) {
    case 'sweep': {
      const data: RunData = { data: datasetFrom(init.data), test: init.test === null ? null : datasetFrom(init.test), folds: init.folds };
      return (plan) => runOne(plan as RunPlan, data);
    }
    case 'member':
      return memberJobs(init) as (job: unknown) => Promise<unknown>;
    case 'fault':
      return async (job) => {
        if (job === 'die') {
          const scope = globalThis as unknown as { process?: { versions?: { node?: string }; exit(code: number): never }; close?: () => void };
          if (typeof scope.process?.versions?.node === 'string') scope.process.exit(70);
          scope.close?.();
        }
        if (job === 'warn') {
          warn(new ConvergenceWarning('W_NOT_CONVERGED', 'a fault job', 'a warning on purpose'));
          return 'warned';
        }
        throw new ArgumentError(`a job that fails on purpose (${String(job)})`);
      };
    default:
      throw new ArgumentError(`manytask job worker: unknown role ${JSON.stringify((init as { role: unknown }).role)}`);
  }
});
