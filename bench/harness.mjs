// Shared benchmark plumbing: alternating repetitions, medians, tables.
import { performance } from 'node:perf_hooks';

/** Runs fn `iters` times and returns seconds per call. */
export function timeIt(fn, iters) {
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) fn();
  return (performance.now() - t0) / 1000 / iters;
}

/** Picks an iteration count so one batch of fn takes about `targetMs`. */
export function calibrate(fn, targetMs = 60) {
  let iters = 1;
  for (;;) {
    const t = timeIt(fn, iters) * iters * 1000;
    if (t >= targetMs / 4 || iters >= 1 << 24) return Math.max(1, Math.round((iters * targetMs) / Math.max(t, 1e-3)));
    iters *= 4;
  }
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Times several contenders on the same job, alternating them `reps` times so
 * drift in machine load hits all alike; returns the median seconds per call each.
 */
export function compare(contenders, { reps = 7, targetMs = 60 } = {}) {
  const iters = contenders.map((c) => { c.fn(); c.fn(); return calibrate(c.fn, targetMs); });
  const samples = contenders.map(() => []);
  for (let r = 0; r < reps; r++) {
    contenders.forEach((c, i) => samples[i].push(timeIt(c.fn, iters[i])));
  }
  return samples.map(median);
}

/** Prints a Markdown table (and returns its text). */
export function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padStart(widths[i])).join(' | ') + ' |';
  const text = [line(headers), '|' + widths.map((w) => '-'.repeat(w + 1) + ':').join('|') + '|', ...rows.map(line)].join('\n');
  console.log(text);
  return text;
}
