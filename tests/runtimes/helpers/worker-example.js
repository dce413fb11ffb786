// Shared by the Worker example's tests: penguin rows as a client sends them, what
// the Worker should answer for them, and Miniflare started with the Worker's output kept.
import { Miniflare } from 'miniflare';

/** Miniflare running `workers` (on 127.0.0.1), and what the Worker printed so far (for failure messages). */
export async function startMiniflare(workers) {
  let output = '';
  const mf = new Miniflare({
    cf: false,
    handleRuntimeStdio(stdout, stderr) {
      stdout.setEncoding('utf8').on('data', (d) => { output += d; });
      stderr.setEncoding('utf8').on('data', (d) => { output += d; });
    },
    workers,
  });
  await mf.ready;
  return { mf, output: () => output };
}

export const FEATURES = ['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'island'];

/** Penguin rows as a client sends them: the four features, numbers as numbers, missing as null. */
export function penguinRows(csv) {
  const [head, ...lines] = csv.trim().split('\n');
  const cols = head.split(',');
  return lines.map((line) => {
    const cells = Object.fromEntries(line.split(',').map((v, i) => [cols[i], v]));
    return Object.fromEntries(FEATURES.map((f) => [f, cells[f] === '' ? null : f === 'island' ? cells[f] : Number(cells[f])]));
  });
}

/** What the Worker answers, computed in Node by the full MultiTaskModel from the same file. */
export function expected(model, rows) {
  const out = {};
  for (const [task, p] of Object.entries(model.predict(rows))) {
    if (p.kind === 'regression') out[task] = { values: Array.from(p.values) };
    else if (p.kind === 'multilabel') out[task] = { labels: p.labels, probabilities: p.probabilities };
    else out[task] = { classes: p.classes, probabilities: p.kind === 'binary' ? Array.from(p.probabilities) : p.probabilities };
  }
  return out;
}

/**
 * A user's Worker project in a temporary folder — `src/worker.js` (the source
 * given), the model or ensemble file beside it as a Data module, manytask linked
 * as its package — bundled as wrangler bundles it and started in Miniflare.
 * Returns the bundle's inputs, the Miniflare instance and the Worker's output;
 * `close()` stops it and removes the folder.
 */
export async function startWorkerWithFile({ name, worker, file, bytes }) {
  const [{ mkdtemp, mkdir, writeFile, symlink, rm }, { tmpdir }, { join }, { REPO }, { bundleWorkerProject }] = await Promise.all([
    import('node:fs/promises'), import('node:os'), import('node:path'), import('./process.js'), import('./wrangler-bundle.js'),
  ]);
  const dir = await mkdtemp(join(tmpdir(), `manytask-${name}-`));
  let started = null;
  try {
    await mkdir(join(dir, 'node_modules'), { recursive: true });
    await mkdir(join(dir, 'src'), { recursive: true });
    await symlink(REPO, join(dir, 'node_modules', 'manytask'), 'dir');
    const ext = file.slice(file.lastIndexOf('.'));
    await writeFile(join(dir, 'wrangler.toml'), `name = "${name}"\nmain = "src/worker.js"\ncompatibility_date = "2025-01-01"\nrules = [\n  { type = "Data", globs = ["**/*${ext}"], fallthrough = true },\n]\n`);
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: `${name}-worker`, type: 'module', private: true }));
    await writeFile(join(dir, 'src', 'worker.js'), worker);
    await writeFile(join(dir, file), bytes);
    const b = await bundleWorkerProject(dir, join(dir, 'dist'));
    started = await startMiniflare([b.worker]);
    return { inputs: b.inputs, mf: started.mf, output: started.output, close: async () => { await started.mf.dispose(); await rm(dir, { recursive: true, force: true }); } };
  } catch (err) {
    await started?.mf.dispose();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
