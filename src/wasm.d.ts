// `import wasm from './manytask.wasm'` in the workerd entries: wrangler's
// CompiledWasm rule gives a WebAssembly.Module.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}

// `import packed from './manytask.wasm?embed'` in the embedded entries: the
// module gzipped and base64-encoded by scripts/build.mjs (see embedded-wasm.ts).
declare module '*.wasm?embed' {
  const packed: string;
  export default packed;
}
