// as-pect specs for kernel internals no export of the module reaches, run
// inside WebAssembly (tests/assembly/*.spec.ts): each spec is compiled with
// asc and as-pect's transform (as-pect.asconfig.json: SIMD on, as in the
// release build) and run with @as-pect/core. as-pect's own CLI is not used:
// it depends on glob-promise, whose install script installs npm itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';
import { TestContext, EmptyReporter } from '@as-pect/core';
import { instantiate } from '@assemblyscript/loader';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const SPECS = readdirSync(HERE).filter((f) => f.endsWith('.spec.ts')).sort();

/** Compiles one spec; returns the wasm bytes or throws with asc's diagnostics. */
async function compile(spec) {
  const files = new Map();
  let diagnostics = '';
  const stream = { write: (s) => { diagnostics += s; return true; } };
  const { error } = await asc.main([`${HERE}${spec}`, '--config', `${HERE}as-pect.asconfig.json`, '--target', 'noCoverage', '--outFile', 'output.wasm'], {
    writeFile: (name, contents) => files.set(name, contents),
    stdout: stream,
    stderr: stream,
  });
  if (error) throw new Error(`asc ${spec}: ${error.message}\n${diagnostics}`);
  const out = [...files.keys()].find((k) => k.endsWith('output.wasm'));
  assert.ok(out, `asc ${spec} wrote no output.wasm (${[...files.keys()]})`);
  return files.get(out);
}

/** Every test node under `node` with its group path. */
function* tests(node, path = []) {
  for (const child of node.children) {
    const here = child.name ? [...path, child.name] : path;
    if (child.children.length === 0) yield { name: here.join(' › '), node: child };
    else yield* tests(child, here);
  }
}

for (const spec of SPECS) {
  test(`as-pect: tests/assembly/${spec}`, { timeout: 300_000 }, async (t) => {
    const binary = await compile(spec);
    const ctx = new TestContext({ reporter: new EmptyReporter(), binary, fileName: spec });
    const memory = new WebAssembly.Memory({ initial: 10 });
    const module = await instantiate(binary, ctx.createImports({ env: { memory } }));
    ctx.run(module);
    const all = [...tests(ctx.rootNode)];
    const failed = all.filter((x) => !x.node.pass);
    const describe = (x) => `${x.name}: ${x.node.message ?? ''}` +
      (x.node.actual ? ` (actual ${x.node.actual.stringify({ indent: 0 })}, expected ${x.node.expected?.stringify({ indent: 0 })})` : '') +
      (x.node.stackTrace ? `\n${x.node.stackTrace}` : '');
    assert.ok(ctx.testCount > 0 && all.length === ctx.testCount, `${spec}: ${ctx.testCount} tests counted, ${all.length} found`);
    assert.deepEqual(failed.map(describe), [], `${spec}: ${failed.length} of ${ctx.testCount} failed`);
    assert.ok(ctx.pass, `${spec}: as-pect reports a failure (${ctx.errors?.map((e) => e.message).join('; ')})`);
    t.diagnostic(`${spec}: ${ctx.testPassCount}/${ctx.testCount} passed`);
  });
}
