// The layering of src/ (docs/architecture.md): each folder imports only from folders
// below it, so the tree reads bottom up and no folder cycle can form. Type-only
// imports count too: a type that points up is a dependency that points up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Bottom up; a folder may import from its own rank's folders only where listed in ALSO. */
export const LAYERS = [
  ['runtime'],                 // loading the kernels, memory, errors, validation
  ['threads'],                 // the worker pool and the parallel kernels (docs/threads.md)
  ['tensor'],                  // Matrix, the array ops, rows of user input
  ['nn'],                      // layers, parameters, losses, optimizers, schedules, the RNG
  ['graph', 'data', 'metrics'], // a network as data and its passes; datasets and CSV; metrics
  ['train'],                   // what every training loop shares: epochs, batches, divergence
  ['cluster'],                 // k-means, mixtures, the autoencoder
  ['mtl'],                     // tasks, architectures, the engine, weighting, the task graph
  ['io'],                      // the model file
  ['model'],                   // MultiTaskModel, ensembles, reports: the public façade
  ['sweep'],                   // sweep(): runs of the façade, one per worker thread
  ['federated'],               // federated training: the client and the Durable Object coordinator
  ['entries', '.'],            // each export condition's entry; api.ts, infer.ts, cli.ts
];
/** Imports between folders of one rank that the layering allows (from → to). */
const ALSO = [['entries', '.'], ['.', 'entries']];

const rankOf = new Map(LAYERS.flatMap((row, r) => row.map((f) => [f, r])));
const folderOf = (file) => { const parts = relative(SRC, file).split(sep); return parts.length > 1 ? parts[0] : '.'; };

function* sources(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

test('src/ folders import only downward (docs/architecture.md)', () => {
  const wrong = [];
  const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^;'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
  for (const file of sources(SRC)) {
    const from = folderOf(file);
    assert.ok(rankOf.has(from), `${relative(SRC, file)}: the folder "${from}" is not in LAYERS (add it where it belongs)`);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      const to = folderOf(normalize(join(dirname(file), spec)));
      if (to === from) continue;
      const up = rankOf.get(to) > rankOf.get(from) || (rankOf.get(to) === rankOf.get(from) && !ALSO.some(([a, b]) => a === from && b === to));
      if (up) wrong.push(`${relative(SRC, file)} (${from}) imports ${spec} (${to})`);
    }
  }
  assert.deepEqual(wrong, [], `imports that point up the layers:\n${wrong.join('\n')}`);
});
