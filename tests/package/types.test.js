// The package's types as a strict TypeScript user meets them, and the
// package's metadata as the linters read it: the tarball installed in a fresh
// project and compiled (fixtures/types/) under every tsconfig below —
// `strict`, `noUncheckedIndexedAccess`, `exactOptionalPropertyTypes`, our .d.ts
// files checked too (no skipLibCheck) — and publint and @arethetypeswrong/cli
// on the tarball.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { consumerProject, writeFiles, BIN, REPO } from './helpers/project.js';
import { run, describeRun } from '../runtimes/helpers/process.js';

const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const STRICT = { strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true, skipLibCheck: false, noEmit: true, target: 'ES2022' };
const ESM_FILES = ['model.ts', 'infer.ts'];

/** Each config as a user of that setting writes it; `lib` without DOM has no WebAssembly, URL or Response types at all. */
export const CONFIGS = {
  'node16, ES2022 + @types/node (Node)': { module: 'node16', moduleResolution: 'node16', lib: ['ES2022'], types: ['node'], files: ESM_FILES },
  'node16, ES2022 + DOM': { module: 'node16', moduleResolution: 'node16', lib: ['ES2022', 'DOM'], types: [], files: ESM_FILES },
  'bundler, ES2022 + DOM (a web app)': { module: 'esnext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [], files: ESM_FILES },
  'bundler, ES2022 only (no DOM, no @types/node)': { module: 'esnext', moduleResolution: 'bundler', lib: ['ES2022'], types: [], files: ESM_FILES },
  'nodenext, CommonJS require() of the package': { module: 'nodenext', moduleResolution: 'nodenext', lib: ['ES2022'], types: ['node'], files: ['require.cts'] },
};

let project;

describe('the packed tarball\'s types and metadata', { concurrency: 2 }, () => {
  before(async () => {
    const fixtures = new URL('./fixtures/types/', import.meta.url);
    const files = {};
    for (const f of await readdir(fixtures)) files[f] = await readFile(new URL(f, fixtures), 'utf8');
    for (const [name, { files: include, ...options }] of Object.entries(CONFIGS)) {
      files[`tsconfig.${slug(name)}.json`] = JSON.stringify({ compilerOptions: { ...STRICT, ...options }, files: include });
    }
    project = await consumerProject({ files, link: ['@types/node'] });
  });
  after(() => project?.cleanup());

  for (const name of Object.keys(CONFIGS)) {
    test(`tsc, strict: ${name}`, async () => {
      const r = await run(process.execPath, [TSC, '-p', `tsconfig.${slug(name)}.json`], { cwd: project.dir, timeoutMs: 120_000 });
      assert.equal(r.code, 0, describeRun(`tsc (${name})`, r));
    });
  }

  test('publint --strict: no error, warning or suggestion', async () => {
    const r = await run(join(BIN, 'publint'), ['run', project.pack.file, '--strict', '--level', 'suggestion'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, describeRun('publint', r));
    assert.match(r.stdout, /All good!/, describeRun('publint', r));
  });

  test('@arethetypeswrong/cli: every subpath resolves to its types, for an ES-module package', async () => {
    // The esm-only profile leaves out what an ES-module package cannot give:
    // require() under TypeScript's node16 mode, and node10 resolution, which
    // knows no "exports". require() under nodenext is compiled above.
    const r = await run(join(BIN, 'attw'), [project.pack.file, '--profile', 'esm-only', '--format', 'json'], { timeoutMs: 120_000 });
    const report = describeRun('attw', r);
    assert.equal(r.code, 0, report);
    const { analysis } = JSON.parse(r.stdout);
    const subpaths = Object.keys(analysis.entrypoints);
    assert.deepEqual(subpaths.sort(), ['.', './embedded', './federated', './federated/coordinator', './infer', './infer.wasm', './infer/embedded', './manytask.wasm', './package.json'], report);
    const problems = analysis.problems.filter((p) => !['node10', 'node16-cjs'].includes(p.resolutionKind));
    assert.deepEqual(problems, [], report);
  });
});

function slug(name) {
  return name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
}
