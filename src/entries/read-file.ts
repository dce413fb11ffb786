// File reading for the default entries, where the runtime turns out to have a
// file system. Kept out of src/runtime so the browser and Worker bundles never
// carry it.

interface ProcessWithBuiltins {
  getBuiltinModule(id: 'fs/promises'): { readFile(url: URL): Promise<Uint8Array> };
}

/**
 * The default entries' reader, where the runtime has Node's file system (Node,
 * Bun, Deno), else undefined: reached through process.getBuiltinModule, never an
 * import of node:fs, so that a bundler for any platform (esbuild
 * --platform=neutral) takes the default entries as they are.
 */
export function builtinReadFile(): ((url: URL) => Promise<Uint8Array>) | undefined {
  const proc = (globalThis as { process?: Partial<ProcessWithBuiltins> }).process;
  if (typeof proc?.getBuiltinModule !== 'function') return undefined;
  return (url) => (proc as ProcessWithBuiltins).getBuiltinModule('fs/promises').readFile(url);
}
