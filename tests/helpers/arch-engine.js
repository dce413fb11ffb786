// An architecture alone, run by the training engine (src/mtl/engine.ts) the way
// the model runs it: its description (with one-output regression heads, which the
// architecture tests leave aside), the tensors declared and initialized in a
// Parameters block, buffers for up to maxRows rows. `arch` speaks in the terms of
// the architecture's contract: the shared part x → Z, task parts (x, Z) → R_t.
import { Parameters, Rng } from '../../dist/index.js';
import { describeModel, NetworkEngine } from '../../dist/internal.js';

export function makeArchitecture(spec, { inputSize, tasks, seed = 1, maxRows = 8 }) {
  const description = describeModel(spec, tasks.map((name) => ({ name, kind: 'regression', width: 1 })), inputSize);
  const params = new Parameters();
  const rng = new Rng(seed, 1);
  const engine = new NetworkEngine(description, params, rng);
  const initRng = new Rng(seed, 0);
  params.allocate(initRng);
  initRng.dispose();
  engine.allocate(maxRows);
  const T = tasks.length;
  const isHead = (i) => description.tensors[i].role.startsWith('head');
  const arch = {
    sharedSize: engine.sharedSize,
    outputSizes: Array.from({ length: T }, (_, t) => engine.repWidth(t)),
    /** The shared part's tensors (what backwardShared writes). */
    sharedNames: engine.sharedTensors.map((i) => description.tensors[i].name),
    /** The architecture's tensors (not the heads'). */
    names: description.tensors.filter((_, i) => !isHead(i)).map((t) => t.name),
    owners: Object.fromEntries(description.tensors.filter((_, i) => !isHead(i)).map((t) => [t.name, t.owner])),
    forwardShared: (x, rows, training) => engine.forwardShared(x, rows, training),
    forwardTask: (t, x, z, rows, training) => { engine.forwardTask(t, rows, training); return engine.rep(t); },
    backwardTask: (t, dRep, rows) => engine.backwardTask(t, rows, dRep),
    backwardShared: (dZ, rows) => engine.backwardShared(dZ, rows),
    allocate: (rows) => engine.allocate(rows),
  };
  return {
    arch, engine, params, description,
    /** The engine's stream of training noise (dropout masks, LTB's Gumbel samples). */
    rng,
    dispose() { engine.dispose(); params.dispose(); rng.dispose(); },
  };
}
