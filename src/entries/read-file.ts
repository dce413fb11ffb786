// File reading for the entries that run where there is a file system (Node, Bun,
// and Deno through the default entry). Kept out of src/runtime so the browser
// and Worker bundles never mention node:fs.
import { isNodeLike } from '../runtime/module.js';

export async function readFileNode(url: URL): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises');
  return readFile(url);
}

export const readFileIfNode = isNodeLike() ? readFileNode : undefined;
