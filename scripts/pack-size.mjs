// npm run size:pack — what the npm tarball is made of: npm's own account of the
// packed and unpacked size (`npm pack --dry-run --json` of the built package),
// and each part's share, measured as gzip -9 of the part's files one after
// another (what the tarball's gzip sees, less tar's headers). docs/packaging.md
// gives the table; tests/package/tarball.test.js bounds the packed size.
//
// `packReport()` and `partsOf()` are what the table is made from.
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Bytes, npm's packed size. Issue #17 aims at 150 KB, which the library's own
 * JS (149 KB gzip) and the README (25 KB) exceed before any kernel is counted:
 * docs/packaging.md gives the parts and what each way of cutting them measured.
 * This bound is the size reached with a little room: 431.6 KB, then 456.8 KB
 * with GMM restarts side by side and ensemble members on job workers, embeddings
 * under every architecture with hashing buckets, the transformer trunk and training
 * on micro-shards run by the workers (their code, kernels and docs); then 424.5 KB
 * with one kernel module for one thread and the worker threads (the threads make
 * its memory import shared as they load it: 32.4 KB less), 425.4 KB with
 * docs/packaging.md's account of it; then 427.1 KB with the training step's
 * reduction and optimizer update in pieces on the pool (their code and
 * docs/threads.md); then 428.0 KB with LTB's and cross-stitch's kernels (in
 * manytask.wasm and its embedded copy) and docs/threads.md on them and on an update
 * that a worker interrupts; then 429.6 KB with the step's sums, gradient check and
 * update as one job in two phases, the pool's waiting, and docs/threads.md on them;
 * then 430.0 KB when a smaller optim.ts renamed its chunk (esbuild names chunks by
 * their hash, and a tarball's files go in name order: gzip found fewer matches
 * across the reordered files, +306 bytes for JS 55 bytes smaller); then 431.0 KB
 * (430,980 bytes) with predict's faster paths, the optimizer's second state
 * buffer, docs/threads.md on what bounds the update and on the step's times, and
 * the clusters' count without a Set; then 431.4 KB (431,412 bytes) with the warm
 * pool's GEMM split and docs/threads.md on it and on a step's late jobs; then
 * 438.6 KB (438,628 bytes) with the refusals a user's exploration asked for (holes
 * in rows, far GMM rows and its kernel, clustering weights and options beyond
 * float32, the CLI's atomic saves and cell-naming messages) and their rows in
 * docs/reliability.md (438,674 with numbers among naValues); then 448.7 KB (448,698
 * bytes) with a second exploration's fixes: the federated join's comparison of what
 * gives the weights their meaning (src/federated/meaning.ts), the weighting state's
 * rollback and checks, addTask's growth rules, and the docs and README on them
 * (docs/threads.md on PyTorch's BLAS, metaLearn's messages and one rule for a task's outputs among them);
 * then 472.9 KB (472,919 bytes) with a third exploration's fixes (task specs and
 * losses checked by kind, encoded(), evaluate's statistics and finiteness, the
 * clusters centred in float64, the low-level API's pointer checks and frozen
 * tensors, the CLI's id columns, --max-deviation and --out checks) and the
 * README, docs/reliability.md and type comments on them; then 477.9 KB (477,892
 * bytes) with the clustering models' frame at the column medians and their checks
 * of what float32 holds around it (+4,960 bytes: the code, and docs/reliability.md,
 * the README and docs/packaging.md on it); then 480.3 KB (480,251 bytes) with that
 * check's screen (the groupStats kernel and the reasoning's code) and the medians'
 * Floyd–Rivest selection over 2,048 rows (+2,359 bytes, with docs/reliability.md and
 * docs/packaging.md on them).
 * A change that ships more raises it by its measured delta.
 */
export const PACK_BUDGET = 480_359;

/** The parts, in the table's order; a file goes to the first part whose test it passes. */
export const PARTS = [
  { name: 'JS: the library (entries and shared chunks)', test: (f) => /^dist\/(?!cli|federated|embedded|infer-embedded)[^/]*\.js$/.test(f) },
  { name: 'JS: manytask/federated and its coordinator', test: (f) => /^dist\/federated[^/]*\.js$/.test(f) },
  { name: 'JS: the CLI', test: (f) => f === 'dist/cli.js' },
  { name: 'embedded entries (kernels gzipped in the JS)', test: (f) => /^dist\/(infer-)?embedded\.js$/.test(f) },
  { name: 'manytask.wasm (one thread and the worker threads)', test: (f) => f === 'dist/manytask.wasm' },
  { name: 'gemm-relaxed.wasm', test: (f) => /^dist\/gemm-relaxed/.test(f) },
  { name: 'infer.wasm', test: (f) => f === 'dist/infer.wasm' },
  { name: 'types (dist/types/)', test: (f) => f.startsWith('dist/types/') },
  { name: 'docs/ (the README links them)', test: (f) => f.startsWith('docs/') },
  { name: 'README, LICENSE, package.json', test: () => true },
];

/** npm's account of the tarball of the package as it is built now: { size, unpackedSize, entryCount, files }. */
export function packReport() {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out)[0];
}

/** Each part's files, unpacked bytes, and gzip -9 bytes of its files concatenated. */
export async function partsOf(files) {
  const rows = PARTS.map((p) => ({ name: p.name, files: [], unpacked: 0, gzip: 0 }));
  for (const f of files) rows[PARTS.findIndex((p) => p.test(f.path))].files.push(f.path);
  for (const r of rows) {
    const bytes = await Promise.all(r.files.map((f) => readFile(new URL(f, pathToFileURL(root)))));
    const all = Buffer.concat(bytes);
    r.unpacked = all.length;
    r.gzip = gzipSync(all, { level: 9 }).length;
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const pack = packReport();
  const rows = await partsOf(pack.files);
  const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
  console.log('| part | files | unpacked | gzip |\n| --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.name} | ${r.files.length} | ${kb(r.unpacked)} | ${kb(r.gzip)} |`);
  const sum = rows.reduce((a, r) => a + r.gzip, 0);
  console.log(`\nnpm pack: ${kb(pack.size)} packed, ${kb(pack.unpackedSize)} unpacked, ${pack.entryCount} files (the parts' gzip sizes add up to ${kb(sum)}). KB = 1000 bytes.`);
}
