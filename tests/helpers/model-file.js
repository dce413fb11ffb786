// Reading and forging manytask model files (src/io/format.ts): the CRC-32, the
// sections of a file, and a file with its header replaced (length, padding and
// checksum made right, so that only the edit is wrong).

let crcTable = null;
/** CRC-32 (IEEE), as src/io/format.ts computes it. */
export function crc32(bytes, start = 0, end = bytes.length) {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** A DataView over exactly these bytes. */
export const view = (b) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Rewrites the last four bytes as the CRC-32 of the rest (in place). */
export function withCrc(bytes) {
  if (bytes.length >= 4) view(bytes).setUint32(bytes.length - 4, crc32(bytes, 0, bytes.length - 4), true);
  return bytes;
}

/** A well-formed file's sections (the file must be one save() wrote). */
export function parseFile(bytes) {
  const v = view(bytes);
  const headerLength = v.getUint32(8, true);
  const headerBytes = bytes.slice(12, 12 + headerLength);
  const at = (12 + headerLength + 3) & ~3; // the weights section
  const encoding = bytes[at];
  const n = v.getUint32(at + 4, true);
  const size = [4, 2, 1][encoding];
  return {
    headerLength, headerBytes, header: JSON.parse(new TextDecoder().decode(headerBytes)),
    at, encoding, n, bodyStart: at + 8, bodyEnd: at + 8 + n * size, size, crcAt: bytes.length - 4,
  };
}

/** The file with its header bytes replaced (header length and CRC follow). */
export function withHeaderBytes(bytes, headerBytes) {
  const f = parseFile(bytes);
  const rest = bytes.subarray(f.at, bytes.length);
  const padded = (12 + headerBytes.length + 3) & ~3;
  const out = new Uint8Array(padded + rest.length);
  out.set(bytes.subarray(0, 8));
  view(out).setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  out.set(rest, padded);
  return withCrc(out);
}

/** The file with its header replaced by `text` (UTF-8). */
export const withHeaderText = (bytes, text) => withHeaderBytes(bytes, new TextEncoder().encode(text));
/** The file with its header replaced by edit(header) (a parsed copy). */
export const withHeader = (bytes, edit) => withHeaderText(bytes, JSON.stringify(edit(parseFile(bytes).header)));
