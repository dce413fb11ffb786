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
