// What `npm pack` ships (issue 17 item 7): the files a user needs and nothing
// of the repository's internals. Sizes are not asserted here (docs/packaging.md
// gives them with the command that measures them); what is asserted is what
// would be wrong at any size: a link of the README to a file the tarball lacks,
// an import of a file that is not shipped, the tests' entry, source maps
// without their sources, a declaration tree mirroring src/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { tarball, REPO } from './helpers/project.js';

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
