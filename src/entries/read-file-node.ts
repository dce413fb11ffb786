// File reading for the `node` entries (Node and Bun). Its own module, so that no
// chunk the other entries load mentions node:fs (a bundler for the neutral or
// browser platform would stop at it).

export async function readFileNode(url: URL): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises');
  return readFile(url);
}
