// What the table scripts that write into docs/ share: mean ± std over seeds, and
// replacing the text between a doc's <!-- table:NAME --> … <!-- /table:NAME --> marks.
import { readFile, writeFile } from 'node:fs/promises';

/** "mean ± std" (sample std) of the values, to `digits` decimals. */
export function meanStd(values, digits) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(values.length - 1, 1));
  return `${mean.toFixed(digits)} ± ${std.toFixed(digits)}`;
}

/** Writes `text` between the marks of table `name` in docs/`doc`; throws if the doc lacks them. */
export async function writeDocTable(doc, name, text) {
  const url = new URL(`../docs/${doc}`, import.meta.url);
  const content = await readFile(url, 'utf8');
  const begin = `<!-- table:${name} -->`, end = `<!-- /table:${name} -->`;
  const i = content.indexOf(begin), j = content.indexOf(end);
  if (i < 0 || j < i) throw new Error(`docs/${doc} lacks the ${begin} … ${end} marks`);
  await writeFile(url, `${content.slice(0, i + begin.length)}\n${text}\n${content.slice(j)}`);
}
