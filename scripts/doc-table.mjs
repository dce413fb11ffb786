// What the table scripts that write into docs/ share: mean ± std over seeds, and
// replacing the text between a doc's <!-- table:NAME --> … <!-- /table:NAME --> marks.
import { readFile, writeFile } from 'node:fs/promises';

/** The mean and the sample standard deviation (n − 1) of values over seeds. */
export const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
export const std = (a) => { const m = mean(a); return Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / Math.max(a.length - 1, 1)); };

/** "mean ± std" (sample std) of the values, to `digits` decimals. */
export function meanStd(values, digits) {
  return `${mean(values).toFixed(digits)} ± ${std(values).toFixed(digits)}`;
}

/** Replaces what lies between the marks `begin` and `end` of docs/`doc` with `text`; throws if the doc lacks them. */
export async function replaceBetween(doc, begin, end, text) {
  const url = new URL(`../docs/${doc}`, import.meta.url);
  const content = await readFile(url, 'utf8');
  const i = content.indexOf(begin), j = content.indexOf(end);
  if (i < 0 || j < i) throw new Error(`docs/${doc} lacks the ${begin} … ${end} marks`);
  await writeFile(url, `${content.slice(0, i + begin.length)}${text}${content.slice(j)}`);
}

/** Writes `text` between the marks of table `name` in docs/`doc`: <!-- table:NAME --> … <!-- /table:NAME -->. */
export function writeDocTable(doc, name, text) {
  return replaceBetween(doc, `<!-- table:${name} -->`, `<!-- /table:${name} -->`, `\n${text}\n`);
}
