// Hostile model files (issue #8, item 4): reading, forging and mutating the
// model file of src/io/format.ts, for tests/unit/harden-modelfile.test.js.
//
// Every forged file here carries a *valid* CRC-32 (the checksum is recomputed
// after the edit), so the parser behind the checksum is what gets exercised;
// only the `raw` mutations leave the checksum as it was.
//
// A mutation is { kind, expect, mayOverflow, label, apply(bytes) → bytes }:
//   expect 'same'  the file must be refused, or load as a model that predicts
//                  exactly what the original predicts (the edit does not touch
//                  anything a prediction reads);
//   expect 'valid' the edit may describe another valid model (different weights,
//                  activation, statistics, class names…): refused, or loaded by
//                  either loader, and then both loaders agree to the bit;
//   mayOverflow    the edit changed numbers the network's arithmetic is scaled by
//                  (weights, int8 scales, input or target statistics): legal but
//                  extreme values (a weight of 3.4e38, a column mean of 3.5e38)
//                  may overflow float32 in the forward pass, as an input far
//                  outside the training data does. Otherwise predictions must be
//                  finite.
import fc from 'fast-check';
import { parseFile, view, withCrc, withHeader, withHeaderBytes, withHeaderText } from './model-file.js';

// ---- which header fields a prediction reads ----

/**
 * Whether an edit at `path` (an array of keys) may change what the model predicts.
 * The prediction reads the architecture (not its dropout), the tasks' names, kinds,
 * inputsFrom and heads, the schema's task widths and class names, the preprocessing,
 * the regression statistics and the parameter table (with its int8 scales); the rest
 * (metadata, seed, training state, optimizer, weighting, affinity, version string,
 * feature names) is not read by predict.
 */
export function pathMayChangePredictions(path) {
  const [top, a, b, c] = path;
  if (['metadata', 'manytask', 'seed', 'weighting', 'weightingState', 'optimizer', 'relatedness', 'affinityOptions', 'gradients', 'affinity', 'steps'].includes(top)) return false;
  if (top === 'architecture' && a === 'dropout') return false;
  if (top === 'tasks' && b !== undefined && !['name', 'kind', 'inputsFrom', 'headUnits', 'headActivation'].includes(b)) return false;
  if (top === 'schema' && a === 'featureNames' && b !== undefined) return false; // a name, not the count
  void c;
  return true;
}

// ---- JSON edits ----

/** Every path in a JSON value (containers and leaves), depth first. */
export function jsonPaths(value, path = [], out = []) {
  out.push(path);
  if (Array.isArray(value)) value.forEach((v, i) => jsonPaths(v, [...path, i], out));
  else if (value !== null && typeof value === 'object') for (const k of Object.keys(value)) jsonPaths(value[k], [...path, k], out);
  return out;
}
const getAt = (obj, path) => path.reduce((o, k) => o?.[k], obj);

const DEEP = 'deep nesting';
/** Values a hostile header puts anywhere. DEEP stands for 20,000 nested arrays (spliced into the text). */
export const WEIRD = [
  0, -1, 1, 0.5, 2, 3, 4, 7, 8, 64, 65536, 65537, 2 ** 20, 2 ** 24, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2,
  1e9, 1e21, 1e38, 3.5e38, 1e39, 1e300, 1.7976931348623157e308, -1e308, 5e-324, 1e-45, 1e-300, -5, -0.5,
  null, true, false, '', 'x', '0', '1', 'NaN', 'Infinity', '-Infinity', '1e400', 'relu', 'swish', 'mmoe', 'ple', 'crossStitch',
  'regression', 'multiclass', 'clustering', 'toString', '__proto__', 'constructor', 'hasOwnProperty', 'a.b', 'f32', 'int8',
  [], [0], [1], [1e9], [-1], [null], [[]], ['x'], [2 ** 31], {}, { a: 1 }, { mean: 'x', std: 1 }, { mean: 0, std: 1e308 },
  { width: 2 ** 30 }, { name: 'x', shape: [1, 1], offset: 0 }, 'x'.repeat(100_000), Array.from({ length: 10_000 }, (_, i) => i),
  DEEP,
];
const weirdArb = fc.constantFrom(...WEIRD.map((_, i) => i)).map((i) => WEIRD[i]);

/** One edit of a parsed header: where (an index into its paths) and what. */
export const jsonEditArb = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom('replace', 'replace', 'replace', 'tweak', 'tweak', 'delete', 'duplicate', 'swap', 'append', 'clear', 'rename', 'retype'),
  value: weirdArb,
  k: fc.nat(),
  factor: fc.constantFrom(1, -1, 2, 0.5, 1e6, 1e-6, 0, 3, 1000, 65536),
  delta: fc.constantFrom(-2, -1, 1, 2, 4, 0.5, 2 ** 31),
});

/**
 * Applies edits to a copy of `header`; returns { text, paths } (the header text,
 * with DEEP spliced in, and the paths edited) or null if nothing could be edited.
 */
export function applyJsonEdits(header, edits) {
  const h = structuredClone(header);
  const paths = [];
  let deep = false;
  for (const e of edits) {
    const all = jsonPaths(h);
    const path = all[e.pick % all.length];
    const parentPath = path.slice(0, -1), key = path.at(-1);
    const parent = path.length === 0 ? null : getAt(h, parentPath);
    const target = getAt(h, path);
    const put = (v) => {
      if (v === DEEP) { deep = true; v = '\u0000DEEP\u0000'; } else v = structuredClone(v);
      if (parent === null) return false;
      parent[key] = v;
      return true;
    };
    let done = false;
    switch (e.op) {
      case 'replace': done = put(e.value); break;
      case 'tweak':
        if (typeof target === 'number') done = put(e.k % 2 ? target * e.factor : target + e.delta);
        else if (typeof target === 'string') done = put(e.k % 3 === 0 ? '' : e.k % 3 === 1 ? `${target}x` : target.toUpperCase());
        else if (typeof target === 'boolean') done = put(!target);
        break;
      case 'delete':
        if (parent === null) break;
        if (Array.isArray(parent)) parent.splice(key, 1); else delete parent[key];
        done = true;
        break;
      case 'duplicate':
        if (Array.isArray(parent)) { parent.splice(key, 0, structuredClone(target)); done = true; }
        break;
      case 'swap':
        if (Array.isArray(parent) && parent.length > 1) {
          const j = e.k % parent.length;
          [parent[key], parent[j]] = [parent[j], parent[key]];
          done = j !== key;
          if (done) paths.push([...parentPath, j]);
        }
        break;
      case 'append':
        if (Array.isArray(target)) { target.push(e.value === DEEP ? 0 : structuredClone(e.value)); done = true; }
        else if (target !== null && typeof target === 'object') { target[`k${e.k % 7}`] = e.value === DEEP ? 0 : structuredClone(e.value); done = true; }
        break;
      case 'clear':
        if (Array.isArray(target)) { target.length = 0; done = true; }
        else if (target !== null && typeof target === 'object') { for (const k of Object.keys(target)) delete target[k]; done = true; }
        break;
      case 'rename':
        if (parent !== null && !Array.isArray(parent) && typeof key === 'string') {
          const keys = Object.keys(parent);
          const other = keys[e.k % keys.length];
          if (other !== key) {
            // Swap the two keys' values (a task's statistics under another task's name…).
            [parent[key], parent[other]] = [parent[other], parent[key]];
            paths.push([...parentPath, other]);
            done = true;
          }
        }
        break;
      case 'retype':
        if (typeof target === 'number') done = put(String(target));
        else if (typeof target === 'string' && target !== '' && Number.isFinite(Number(target))) done = put(Number(target));
        else if (Array.isArray(target)) done = put(Object.fromEntries(target.map((v, i) => [i, v])));
        else if (target !== null && typeof target === 'object') done = put(Object.values(target));
        break;
      default: break;
    }
    if (done) paths.push(path);
  }
  if (paths.length === 0) return null;
  let text = JSON.stringify(h);
  if (deep) text = text.replace('"\\u0000DEEP\\u0000"', `${'['.repeat(20_000)}${']'.repeat(20_000)}`);
  return { text, paths };
}

// ---- mutation arbitraries ----

const label = (s) => s.length > 140 ? `${s.slice(0, 140)}…` : s;

/** Bit flips and byte overwrites anywhere, the checksum left as it was. */
const rawArb = fc.array(fc.record({ pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }), byte: fc.nat({ max: 255 }), flip: fc.boolean() }), { minLength: 1, maxLength: 4 })
  .map((edits) => ({
    kind: 'raw', expect: 'same',
    label: `raw ${edits.map((e) => (e.flip ? `flip bit ${e.bit} at ${e.pos}` : `byte ${e.byte} at ${e.pos}`)).join(', ')}`,
    apply(bytes) {
      const out = Uint8Array.from(bytes);
      for (const e of edits) {
        const p = e.pos % out.length;
        if (e.flip) out[p] ^= 1 << e.bit; else out[p] = e.byte;
      }
      return out;
    },
  }));

/** The framing (magic, version, flags, header length, encoding and its reserved bytes, weight count, paddings), CRC recomputed. */
const FIELDS = ['magic', 'version', 'flags', 'headerLength', 'encoding', 'reserved', 'count', 'headerPadding', 'weightPadding'];
const framingArb = fc.record({
  field: fc.constantFrom(...FIELDS),
  value: fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 255, 256, 0xffff, 0x7fffffff, 0xffffffff, 2 ** 24, 2 ** 28 + 1), fc.nat({ max: 0xffffffff })),
  delta: fc.integer({ min: -64, max: 64 }),
  useDelta: fc.boolean(),
  k: fc.nat(),
}).map((m) => ({
  kind: 'framing', expect: 'same',
  label: `framing: ${m.field} ${m.useDelta ? `${m.delta >= 0 ? '+' : ''}${m.delta}` : `= ${m.value}`}`,
  apply(bytes) {
    const out = Uint8Array.from(bytes);
    const v = view(out), f = parseFile(bytes);
    const set32 = (at) => v.setUint32(at, m.useDelta ? (v.getUint32(at, true) + m.delta) >>> 0 : m.value >>> 0, true);
    const set16 = (at) => v.setUint16(at, m.useDelta ? (v.getUint16(at, true) + m.delta) & 0xffff : m.value & 0xffff, true);
    const set8 = (at) => { out[at] = m.useDelta ? (out[at] + m.delta) & 0xff : m.value & 0xff; };
    switch (m.field) {
      case 'magic': set8(m.k % 4); break;
      case 'version': set16(4); break;
      case 'flags': set16(6); break;
      case 'headerLength': set32(8); break;
      case 'encoding': set8(f.at); break;
      case 'reserved': set8(f.at + 1 + (m.k % 3)); break;
      case 'count': set32(f.at + 4); break;
      case 'headerPadding': if (f.at > 12 + f.headerLength) set8(12 + f.headerLength + (m.k % (f.at - 12 - f.headerLength))); else return out; break;
      case 'weightPadding': if (f.crcAt > f.bodyEnd) set8(f.bodyEnd + (m.k % (f.crcAt - f.bodyEnd))); else return out; break;
      default: break;
    }
    return withCrc(out);
  },
}));

/** Truncated, extended, or with bytes cut out of or put into the middle; with or without a fresh CRC. */
const lengthArb = fc.record({
  op: fc.constantFrom('truncate', 'extend', 'cut', 'insert'),
  at: fc.nat(),
  count: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 4096 })),
  fill: fc.constantFrom('zero', 'random', 'copy'),
  seed: fc.nat(),
  crc: fc.boolean(),
}).map((m) => ({
  kind: 'length', expect: 'same',
  label: `${m.op} ${m.count} bytes at ${m.at} (${m.fill}${m.crc ? ', CRC recomputed' : ''})`,
  apply(bytes) {
    const fill = (n) => {
      const out = new Uint8Array(n);
      let s = m.seed || 1;
      for (let i = 0; i < n; i++) {
        if (m.fill === 'random') { s = (s * 1103515245 + 12345) >>> 0; out[i] = s >>> 24; } else if (m.fill === 'copy') out[i] = bytes[i % bytes.length];
      }
      return out;
    };
    let out;
    const p = m.at % (bytes.length + 1);
    if (m.op === 'truncate') out = bytes.slice(0, Math.max(0, bytes.length - m.count));
    else if (m.op === 'extend') { out = new Uint8Array(bytes.length + m.count); out.set(bytes); out.set(fill(m.count), bytes.length); }
    else if (m.op === 'cut') out = Uint8Array.from([...bytes.subarray(0, p), ...bytes.subarray(Math.min(bytes.length, p + m.count))]);
    else out = Uint8Array.from([...bytes.subarray(0, p), ...fill(m.count), ...bytes.subarray(p)]);
    return m.crc ? withCrc(out) : out;
  },
}));

/** Edits of the header text itself (invalid UTF-8, stray bytes, BOM, trailing data), header length and CRC fixed. */
const textArb = fc.record({
  op: fc.constantFrom('insert', 'delete', 'replace', 'bom', 'trail', 'whitespace', 'badutf8'),
  at: fc.nat(),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }),
  count: fc.integer({ min: 1, max: 40 }),
}).map((m) => ({
  kind: 'text', expect: m.op === 'whitespace' ? 'same' : 'valid',
  label: `header text: ${m.op} at ${m.at}`,
  apply(bytes) {
    const h = parseFile(bytes).headerBytes;
    const p = m.at % (h.length + 1);
    let out;
    switch (m.op) {
      case 'insert': out = [...h.subarray(0, p), ...m.bytes, ...h.subarray(p)]; break;
      case 'delete': out = [...h.subarray(0, p), ...h.subarray(Math.min(h.length, p + m.count))]; break;
      case 'replace': out = Array.from(h); for (let i = 0; i < m.bytes.length && p + i < out.length; i++) out[p + i] = m.bytes[i]; break;
      case 'bom': out = [0xef, 0xbb, 0xbf, ...h]; break;
      case 'trail': out = [...h, ...new TextEncoder().encode([' {}', ' 1', '\n', '\u0000', ' ,'][m.count % 5])]; break;
      case 'whitespace': {
        // JSON whitespace between tokens: the same header.
        const text = JSON.stringify(JSON.parse(new TextDecoder().decode(h)), null, m.count % 3 === 0 ? '\t' : m.count % 4);
        out = [...new TextEncoder().encode(`${' '.repeat(m.count % 5)}${text}\n`)];
        break;
      }
      default: out = [...h.subarray(0, p), 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xff, ...h.subarray(p)]; // invalid sequences, an encoded surrogate
    }
    return withHeaderBytes(bytes, Uint8Array.from(out));
  },
}));

/** Structured edits of the header JSON (1–3 at once), CRC recomputed. */
const jsonArb = fc.array(jsonEditArb, { minLength: 1, maxLength: 3 }).map((edits) => {
  let result;
  return {
    kind: 'json',
    get expect() { return result?.paths.some(pathMayChangePredictions) ? 'valid' : 'same'; },
    // Statistics (of the inputs and the regression targets) and int8 scales scale what the network computes:
    // legal but extreme ones (a column mean of 3.5e38) overflow float32 in the forward pass.
    get mayOverflow() { return Boolean(result?.paths.some((q) => q[0] === 'targetStats' || q[0] === 'preprocessor' || (q[0] === 'parameters' && (q.length < 3 || q[2] === 'scale')))); },
    get label() { return label(`header edits ${JSON.stringify(edits.map((e) => [e.op, e.pick, typeof e.value === 'string' && e.value.length > 30 ? `${e.value.slice(0, 8)}…` : Array.isArray(e.value) && e.value.length > 10 ? `[${e.value.length} values]` : e.value]))} at ${JSON.stringify(result?.paths ?? [])}`); },
    apply(bytes) {
      result = applyJsonEdits(parseFile(bytes).header, edits);
      return result === null ? bytes : withHeaderText(bytes, result.text);
    },
  };
});

/** Weight bytes overwritten or flipped (NaN and infinite patterns among them), CRC recomputed: another model, or refused. */
const weightsArb = fc.array(fc.record({ pos: fc.nat(), byte: fc.nat({ max: 255 }), bit: fc.integer({ min: 0, max: 7 }), how: fc.constantFrom('flip', 'byte', 'nan', 'inf', 'max') }), { minLength: 1, maxLength: 3 })
  .map((edits) => ({
    kind: 'weights', expect: 'valid', mayOverflow: true,
    label: `weights: ${edits.map((e) => `${e.how} at ${e.pos}`).join(', ')}`,
    apply(bytes) {
      const out = Uint8Array.from(bytes);
      const f = parseFile(bytes);
      const span = f.crcAt - f.bodyStart; // the weights and the padding after them
      if (span <= 0) return out;
      for (const e of edits) {
        const p = f.bodyStart + (e.pos % span);
        const w = f.bodyStart + Math.floor((p - f.bodyStart) / f.size) * f.size; // the weight p falls in
        if (e.how === 'flip') out[p] ^= 1 << e.bit;
        else if (e.how === 'byte') out[p] = e.byte;
        else if (w + f.size <= f.bodyEnd) {
          const v = view(out);
          if (f.size === 4) v.setUint32(w, e.how === 'nan' ? 0x7fc00001 : e.how === 'inf' ? 0xff800000 : 0x7f7fffff, true);
          else if (f.size === 2) v.setUint16(w, e.how === 'nan' ? 0x7e01 : e.how === 'inf' ? 0xfc00 : 0x7bff, true);
          else out[w] = e.how === 'nan' ? 0x80 : e.how === 'inf' ? 0x81 : 0x7f; // −128 (outside the format's range), −127, 127
        }
      }
      return withCrc(out);
    },
  }));

/** int8 scales edited (0, negative, NaN-like strings, huge, tiny…), CRC recomputed. */
const scaleArb = fc.record({ pick: fc.nat(), value: fc.constantFrom(0, -0.01, 1e-45, 1e-30, 0.5, 1, 1e10, 1e36, 2.7e36, 3e38, 1e39, 1e308, 'NaN', null, '0.01', 0.1) })
  .map((m) => ({
    kind: 'scale', expect: 'valid', mayOverflow: true,
    label: `int8 scale of entry ${m.pick} = ${m.value}`,
    apply(bytes) {
      const f = parseFile(bytes);
      if (f.encoding !== 2) return bytes;
      return withHeader(bytes, (h) => {
        const t = h.parameters[m.pick % h.parameters.length];
        t.scale = m.value;
        return h;
      });
    },
  }));

/** Any hostile edit; the weights are kinds → the relative frequency of each. */
export function mutationArb(weights = { raw: 1, framing: 2, length: 2, text: 2, json: 8, weights: 2, scale: 1 }) {
  const arbs = { raw: rawArb, framing: framingArb, length: lengthArb, text: textArb, json: jsonArb, weights: weightsArb, scale: scaleArb };
  return fc.oneof(...Object.entries(weights).map(([k, w]) => ({ arbitrary: arbs[k], weight: w })));
}

// ---- comparing predictions ----

/** Predictions as text, every float as its bits (NaN included): equal text = equal predictions. */
export function predictionBits(p) {
  const hex = (x) => { const b = new Float32Array([x]); return new Uint32Array(b.buffer)[0].toString(16); };
  return JSON.stringify(p, (_, v) => {
    if (v instanceof Float32Array || v instanceof Int32Array) return `${v.constructor.name}:${Array.from(v, (x) => (v instanceof Float32Array ? hex(x) : x)).join(',')}`;
    if (typeof v === 'number') return `n:${hex(v)}${Object.is(v, Math.fround(v)) ? '' : `:${v}`}`;
    return v;
  });
}

/** The first non-finite number in a prediction, or probability outside [0, 1], as a path; null if none. */
export function badNumber(p) {
  const walk = (v, path, prob) => {
    if (typeof v === 'number') return !Number.isFinite(v) || (prob && !(v >= 0 && v <= 1)) ? `${path} = ${v}` : null;
    if (v && typeof v === 'object' && !(typeof v === 'string')) {
      for (const [k, x] of Object.entries(v)) {
        const r = walk(x, `${path}.${k}`, prob || k === 'probabilities');
        if (r) return r;
      }
    }
    return null;
  };
  return walk(p, '', false);
}
