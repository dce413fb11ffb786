// The kernel modules beside dist/manytask.wasm (npm run build calls this):
//  - gemm-relaxed.wasm: the GEMM with relaxed-SIMD multiply-adds
//    (init({ fast: true })), on the memory of manytask.wasm's instance.
// `flags` are the release target's asc options (asconfig.json), as for infer.wasm.
//
// manytask.wasm and gemm-relaxed.wasm import their memory and are built for
// one thread; the worker pool (src/threads/) runs the same bytes on a shared
// memory, with the memory import rewritten to a shared one when it loads them
// (src/threads/shared-module.ts). Each instance on a shared memory must keep
// nothing of its own in that memory (AssemblyScript's runtime is not
// thread-safe, and instantiating a module writes its data segments again):
// checkShareable fails the build if a module can allocate (the stub runtime's
// __alloc/__new present), if the relaxed GEMM (which shares manytask.wasm's
// memory) has any data segment, or if a kernel file reserves static scratch
// (memory.data) outside gemm.ts, whose scratch is per instance in these builds.
import { readFile, readdir } from 'node:fs/promises';

/** asc flags of a module the threads can share: an imported memory, the GEMM's scratch per instance. */
export const SHAREABLE_FLAGS = ['--importMemory', '--use', 'GEMM_SCRATCH_PER_INSTANCE=1'];

const VARIANTS = [
  { entry: 'relaxed.ts', out: 'gemm-relaxed', enable: 'simd,relaxed-simd', memory: ['--initialMemory', '0'], data: 'none' },
];

export const VARIANT_FILES = VARIANTS.map((v) => `${v.out}.wasm`);

export async function buildKernelVariants(asc, flags) {
  await checkStaticScratch();
  const base = flags.filter((f, i) => f !== '--enable' && flags[i - 1] !== '--enable');
  for (const v of VARIANTS) {
    const args = [
      v.entry, '--baseDir', 'assembly', '--outFile', `../build/${v.out}.wasm`, '--textFile', `../build/${v.out}.wat`,
      ...base, '--enable', v.enable, ...v.memory, ...SHAREABLE_FLAGS,
    ];
    const r = await asc.main(args);
    if (r.error) throw new Error(`asc ${v.out}: ${r.stderr.toString()}`);
    await checkShareable(v.out, v.data);
  }
}

/**
 * Fails unless build/<name>.wat can run on a memory other instances share: it
 * imports its memory, never allocates, and (data 'none') has no data segment.
 * With data 'constant', its segments are constant tables that every
 * instantiation writes again with the same bytes.
 */
export async function checkShareable(name, data) {
  const wat = await readFile(`build/${name}.wat`, 'utf8');
  if (!/\(import "env" "memory" \(memory /.test(wat)) throw new Error(`${name}.wasm does not import its memory: the worker threads cannot share it`);
  if (/\$~lib\/rt\/|__alloc|__new\b/.test(wat)) throw new Error(`${name}.wasm can allocate (AssemblyScript's runtime is not thread-safe): no kernel may allocate`);
  const segments = (wat.match(/^\s*\(data /gm) ?? []).length;
  if (data === 'none' && segments > 0) throw new Error(`${name}.wasm has ${segments} data segment(s): it shares another module's memory and must have none`);
}

// Static scratch (memory.data) in a kernel file would be shared by every thread.
async function checkStaticScratch() {
  for (const f of await readdir('assembly')) {
    if (!f.endsWith('.ts') || f === 'gemm.ts') continue;
    const src = await readFile(`assembly/${f}`, 'utf8');
    if (/memory\.data\s*[<(]/.test(src)) {
      throw new Error(`assembly/${f} reserves static memory (memory.data): every thread would share it; take scratch from the caller`);
    }
  }
}
