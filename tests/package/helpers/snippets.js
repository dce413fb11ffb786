// The code blocks of a Markdown file, with where each one runs
// (tests/package/readme.test.js runs them; docs/packaging.md documents the marks).
//
// Every ```js, ```ts and ```sh block runs. By default a js/ts block runs as an
// ES module in Node and an sh block in bash, both in a fresh project with the
// packed tarball installed. An HTML comment on the line before a block changes that:
//
//   <!-- snippet: given csvText points -->   run in Node with these names defined (GIVEN)
//   <!-- snippet: worker -->                 a Cloudflare Worker module, run in workerd
//   <!-- snippet: browser-worker -->         a module Web Worker, run in Chromium
//   <!-- snippet: fragment — why -->         not run: a fragment, with the reason it cannot run
//
// A mark that is not one of these fails the test, so the list of exceptions
// cannot grow without anyone seeing it.

/** Names a `given` mark may ask for: what each is (tests/package/fixtures/readme-given.mjs defines them). */
export const GIVEN = {
  csvText: { type: 'string', what: 'the text of examples/data/penguins.csv' },
  points: { type: 'number[][]', what: '300 points with 12 features' },
  more: { type: 'number[][]', what: '20 more points like them' },
  sampleWeight: { type: 'number[]', what: 'a weight ≥ 0 for each of the 300 points' },
  chunks: { type: 'number[][][]', what: 'the 300 points in 3 chunks of 100' },
  x: { type: "import('manytask').Matrix", what: 'a 64 × 4 Matrix of features' },
  labels: { type: 'Int32Array', what: '64 class indices (0, 1 or 2) for x' },
};

export const HARNESSES = ['node', 'sh', 'worker', 'browser-worker', 'fragment'];
const LANGS = { js: 'js', javascript: 'js', mjs: 'js', ts: 'ts', typescript: 'ts', sh: 'sh', bash: 'sh', shell: 'sh' };

/**
 * The runnable blocks of `markdown`: { line, lang ('js' | 'ts' | 'sh'), code,
 * harness, given: [names], reason }. Throws on a mark it does not understand.
 */
export function extractSnippets(markdown, file = 'README.md') {
  const lines = markdown.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\S*)\s*$/.exec(lines[i]);
    if (!fence) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`${file}:${i + 1}: a code block that is never closed`);
    const lang = LANGS[fence[1].toLowerCase()];
    const mark = /^<!--\s*snippet:\s*(.*?)\s*-->\s*$/.exec(lines[i - 1] ?? '');
    const at = `${file}:${i + 1}`;
    if (lang) out.push({ line: i + 1, lang, code: lines.slice(i + 1, end).join('\n') + '\n', ...parseMark(mark?.[1], lang, at) });
    else if (mark) throw new Error(`${at}: a snippet mark before a \`\`\`${fence[1]} block, which does not run`);
    i = end;
  }
  return out;
}

function parseMark(text, lang, at) {
  const plain = { harness: lang === 'sh' ? 'sh' : 'node', given: [], reason: null };
  if (text === undefined) return plain;
  const fragment = /^fragment\s*[—:-]\s*(\S.*)$/.exec(text);
  if (fragment) return { harness: 'fragment', given: [], reason: fragment[1] };
  if (/^fragment\b/.test(text)) throw new Error(`${at}: a fragment mark needs its reason: <!-- snippet: fragment — why it cannot run -->`);
  const [head, ...rest] = text.split(/\s+/);
  let harness = plain.harness;
  let words = [head, ...rest];
  if (head === 'worker' || head === 'browser-worker') {
    if (lang === 'sh') throw new Error(`${at}: a ${head} mark on an sh block`);
    harness = head;
    words = rest;
  }
  const given = [];
  if (words.length > 0) {
    if (words[0] !== 'given' || words.length < 2) throw new Error(`${at}: unknown snippet mark "${text}" (known: given NAME…, worker, browser-worker, fragment — REASON)`);
    for (const name of words.slice(1)) {
      if (!Object.hasOwn(GIVEN, name)) throw new Error(`${at}: "given ${name}": no such name (known: ${Object.keys(GIVEN).join(', ')})`);
      given.push(name);
    }
  }
  return { harness, given, reason: null };
}
