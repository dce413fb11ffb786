// The kernel modules beside dist/manytask.wasm (npm run build calls this):
//  - manytask-threads.wasm: every kernel, on an imported shared memory, for the
//    worker pool (src/threads/): one instance per thread;
//  - gemm-relaxed.wasm, gemm-relaxed-threads.wasm: the GEMM with relaxed-SIMD
//    multiply-adds (init({ fast: true })), on the single-thread module's memory
//    or the shared one.
// `flags` are the release target's asc options (asconfig.json), as for infer.wasm.
//
// Each instance on a shared memory must keep nothing of its own in that memory
// (AssemblyScript's runtime is not thread-safe, and instantiating a module
// writes its data segments again): the checks below fail the build if a module
// can allocate (the stub runtime's __alloc/__new present), if the relaxed GEMM
// (which shares the single-thread module's memory) has any data segment, or if
// a kernel file reserves static scratch (memory.data) outside gemm.ts, whose
// scratch is per instance in these builds.
import { readFile, readdir } from 'node:fs/promises';

const VARIANTS = [
  { entry: 'threads.ts', out: 'manytask-threads', enable: 'simd,threads', memory: ['--importMemory', '--sharedMemory', '--maximumMemory', '65536'], data: 'constant' },
  { entry: 'relaxed.ts', out: 'gemm-relaxed', enable: 'simd,relaxed-simd', memory: ['--importMemory', '--initialMemory', '0'], data: 'none' },
  { entry: 'relaxed.ts', out: 'gemm-relaxed-threads', enable: 'simd,relaxed-simd,threads', memory: ['--importMemory', '--sharedMemory', '--initialMemory', '0', '--maximumMemory', '65536'], data: 'none' },
];

export const VARIANT_FILES = VARIANTS.map((v) => `${v.out}.wasm`);

export async function buildKernelVariants(asc, flags) {
  await checkStaticScratch();
  const base = flags.filter((f, i) => f !== '--enable' && flags[i - 1] !== '--enable');
  for (const v of VARIANTS) {
    const args = [
      v.entry, '--baseDir', 'assembly', '--outFile', `../build/${v.out}.wasm`, '--textFile', `../build/${v.out}.wat`,
      ...base, '--enable', v.enable, ...v.memory, '--use', 'GEMM_SCRATCH_PER_INSTANCE=1',
    ];
    const r = await asc.main(args);
    if (r.error) throw new Error(`asc ${v.out}: ${r.stderr.toString()}`);
    const wat = await readFile(`build/${v.out}.wat`, 'utf8');
    if (/\$~lib\/rt\/|__alloc|__new\b/.test(wat)) throw new Error(`${v.out}.wasm can allocate (AssemblyScript's runtime is not thread-safe): no kernel may allocate`);
    const segments = (wat.match(/^\s*\(data /gm) ?? []).length;
    if (v.data === 'none' && segments > 0) throw new Error(`${v.out}.wasm has ${segments} data segment(s): it shares another module's memory and must have none`);
  }
}

// Static scratch (memory.data) in a kernel file would be shared by every thread.
async function checkStaticScratch() {
  for (const f of await readdir('assembly')) {
    if (!f.endsWith('.ts') || f === 'gemm.ts') continue;
    const src = await readFile(`assembly/${f}`, 'utf8');
    if (/memory\.data\s*[<(]/.test(src)) {
      throw new Error(`assembly/${f} reserves static memory (memory.data): every thread of the threaded build would share it; take scratch from the caller`);
    }
  }
}
