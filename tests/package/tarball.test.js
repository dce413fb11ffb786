// What `npm pack` ships (issue 17 item 7): the files a user needs and nothing
// of the repository's internals, within PACK_BUDGET packed (scripts/pack-size.mjs;
// `npm run size:pack` gives the parts). Besides the size, what is asserted is what
// would be wrong at any size: a link of the README to a file the tarball lacks,
// an import of a file that is not shipped, the tests' entry, source maps
// without their sources, a declaration tree mirroring src/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { tarball, REPO } from './helpers/project.js';
import { PACK_BUDGET, partsOf } from '../../scripts/pack-size.mjs';

const pack = await tarball();
const shipped = new Set(pack.files.map((f) => f.path));

test('the tarball has a LICENSE, the README, package.json and every file package.json names', async () => {
  const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8'));
  for (const f of ['LICENSE', 'README.md', 'package.json']) assert.ok(shipped.has(f), `${f} is not in the tarball`);
  const named = [pkg.main, pkg.types, ...Object.values(pkg.bin)];
  const walk = (v) => (typeof v === 'string' ? named.push(v) : Object.values(v).forEach(walk));
  walk(pkg.exports);
  for (const p of named) assert.ok(shipped.has(posix.normalize(p)), `package.json names ${p}, which the tarball lacks`);
});

test('every docs/ link of the README is a file in the tarball', async () => {
  const readme = await readFile(join(REPO, 'README.md'), 'utf8');
  const links = [...new Set([...readme.matchAll(/\]\((docs\/[^)#\s]+)/g)].map((m) => m[1]))];
  assert.ok(links.length > 5, `the README links ${links.length} docs`);
  for (const l of links) assert.ok(shipped.has(l), `README links ${l}, which the tarball lacks`);
});

test('no tests\' entry, no source maps, and one declaration file per type entry plus the chunks they share', () => {
  assert.ok(!shipped.has('dist/internal.js'), 'dist/internal.js (the tests\' entry) is shipped');
  assert.deepEqual([...shipped].filter((f) => f.endsWith('.map')), []);
  const types = [...shipped].filter((f) => f.startsWith('dist/types/'));
  assert.deepEqual(types.filter((f) => f.split('/').length > 3), [], 'dist/types/ has subdirectories: the declarations are not bundled');
  assert.deepEqual(types.filter((f) => !/^dist\/types\/(index|infer|federated|federated-coordinator|wasm-module|shared-[\w-]+)\.d\.ts$/.test(f)), []);
});

test('every relative import of a shipped .js or .d.ts file is shipped', async () => {
  const missing = [];
  for (const f of shipped) {
    if (!/\.(js|d\.ts)$/.test(f)) continue;
    const text = await readFile(join(REPO, f), 'utf8');
    for (const m of text.matchAll(/(?:from\s*|import\s*\(\s*|import\s*)["'](\.\.?\/[^"']+)["']/g)) {
      let target = posix.join(posix.dirname(f), m[1]);
      if (f.endsWith('.d.ts')) target = target.replace(/\.js$/, '.d.ts');
      if (!shipped.has(target)) missing.push(`${f} → ${m[1]}`);
    }
  }
  assert.deepEqual(missing, []);
});

test(`the tarball is at most ${PACK_BUDGET / 1000} KB packed`, async (t) => {
  const parts = await partsOf(pack.files);
  for (const p of parts) t.diagnostic(`${p.name}: ${p.files.length} files, ${p.unpacked} bytes, ${p.gzip} gzip`);
  // Every shipped file is in a part, and the parts account for the packed size (tar's headers and gzip's
  // window aside): the table docs/packaging.md prints from them describes this tarball.
  assert.equal(parts.reduce((a, p) => a + p.files.length, 0), pack.files.length);
  const sum = parts.reduce((a, p) => a + p.gzip, 0);
  assert.ok(Math.abs(sum - pack.size) < 0.05 * pack.size, `the parts add up to ${sum} bytes gzip, npm packs ${pack.size}`);
  assert.ok(pack.size <= PACK_BUDGET, `npm pack: ${pack.size} bytes packed exceeds ${PACK_BUDGET} (parts: ${parts.map((p) => `${p.name} ${p.gzip}`).join('; ')})`);
});
