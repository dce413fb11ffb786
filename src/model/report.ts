// Plain-text tables for terminals: evaluations and the task-affinity matrix.

import type { TaskAffinity } from '../mtl/affinity.js';
import type { Evaluation } from '../mtl/evaluate.js';
import { ArgumentError } from '../runtime/errors.js';
import { show } from '../runtime/validate.js';

/** Right-aligned columns, a rule under the header. */
export function textTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// Every metric a task kind reports (src/mtl/kinds.ts), in this order; a column only where some task has it.
const METRICS = ['loss', 'accuracy', 'f1', 'auc', 'logLoss', 'nll', 'pinball', 'coverage', 'intervalWidth', 'mae', 'rmse', 'r2'] as const;

export function formatEvaluation(e: Evaluation): string {
  const tasks = (e as { tasks?: unknown } | null | undefined)?.tasks;
  if (typeof tasks !== 'object' || tasks === null || Object.values(tasks).some((t) => typeof t !== 'object' || t === null)) {
    throw new ArgumentError(`formatEvaluation: expected what model.evaluate returns ({ loss, tasks: { name: metrics } }), got ${show(e)}`);
  }
  const present = METRICS.filter((m) => Object.values(e.tasks).some((t) => typeof (t as unknown as Record<string, unknown>)[m] === 'number'));
  const rows = Object.entries(e.tasks).map(([name, t]) => [
    name, String(t!.rows), // every value was checked to be an object above
    ...present.map((m) => fmt((t as unknown as Record<string, number | undefined>)[m])),
  ]);
  return textTable(['task', 'rows', ...present], rows);
}

export function formatAffinity(a: TaskAffinity): string {
  const ok = typeof a === 'object' && a !== null && Array.isArray(a.tasks) && Array.isArray(a.matrix) && Array.isArray(a.groups) &&
    a.matrix.length === a.tasks.length && a.matrix.every((r) => Array.isArray(r) && r.length === a.tasks.length) && a.groups.every(Array.isArray);
  if (!ok) throw new ArgumentError(`formatAffinity: expected what model.taskAffinity() returns ({ tasks, matrix, groups }), got ${show(a)}`);
  const rows = a.tasks.map((name, s) => [name, ...a.tasks.map((_, t) => (s === t ? '—' : Number.isNaN(a.matrix[s]![t]!) ? 'n/a' : a.matrix[s]![t]!.toFixed(2)))]);
  return `task affinity (mean cosine of the tasks' gradients on the shared representation):\n${textTable(['', ...a.tasks], rows)}\n` +
    `suggested groups: ${a.groups.map((g) => `{${g.join(', ')}}`).join(' ')}`;
}

export function fmt(v: number | undefined, digits = 4): string {
  if (v === undefined) return '';
  if (Number.isNaN(v)) return 'n/a';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return v.toFixed(a >= 100 ? 1 : digits);
}
