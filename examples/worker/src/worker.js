// A Cloudflare Worker that serves a manytask model: POST /predict with
//   { "rows": [ { "bill_length_mm": 46.5, "bill_depth_mm": 15.2, "flipper_length_mm": 219, "island": "Biscoe" }, … ] }
// answers per task, per row:
//   { "predictions": { "species": { "classes": ["Gentoo"], "probabilities": [[0.001, 0.002, 0.997]] },
//                      "sex": { "classes": ["male"], "probabilities": [0.93] },
//                      "body_mass_g": { "values": [5391.2] } } }
// GET /model describes the model (its input columns and tasks). Bad requests get
// 400 with { "error": { "code", "message" } }; a row must hold exactly the
// model's input columns (null for a missing value).
//
// manytask/infer is the inference-only entry (about 17 KB gzip with its .wasm);
// under wrangler its `workerd` export condition imports infer.wasm as a
// WebAssembly.Module (wrangler's default CompiledWasm rule), so `init()` needs
// no argument. model.mtsk is imported as bytes (the Data rule in wrangler.toml).
// Both run once per isolate, at startup, not per request.
import { init, loadModel, ManytaskError } from 'manytask/infer';
import modelFile from '../model.mtsk';

/** Request bodies above this many bytes are refused. */
const MAX_BODY_BYTES = 256 * 1024;
/** Rows per request. */
const MAX_ROWS = 1000;

await init();
const model = loadModel(new Uint8Array(modelFile));
const columns = model.inputColumns;
const names = new Set(columns.map((c) => c.name));
/** Predictions this isolate has answered (reported in a header, to tell isolates apart). */
let served = 0;

class BadRequest extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const json = (body, status = 200, headers = {}) => Response.json(body, { status, headers });
const fail = (status, code, message, headers) => json({ error: { code, message } }, status, headers);

/** The body as text, refusing more than MAX_BODY_BYTES whether or not Content-Length says so. */
async function readBody(request) {
  const declared = Number(request.headers.get('content-length'));
  if (declared > MAX_BODY_BYTES) throw new BadRequest('body_too_large', `the body is ${declared} bytes; the limit is ${MAX_BODY_BYTES}`);
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new BadRequest('body_too_large', `the body is over ${MAX_BODY_BYTES} bytes, the limit`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.byteLength; }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new BadRequest('invalid_json', 'the body is not UTF-8 text');
  }
}

/** The rows of a request, each with exactly the model's input columns. */
function parseRows(text) {
  let body;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new BadRequest('invalid_json', `the body is not valid JSON: ${err.message}`);
  }
  const rows = body?.rows;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !Array.isArray(rows)) {
    throw new BadRequest('invalid_request', 'expected a JSON object { "rows": [ { feature: value, … }, … ] }');
  }
  if (rows.length === 0 || rows.length > MAX_ROWS) throw new BadRequest('invalid_request', `"rows" must hold 1 to ${MAX_ROWS} rows, got ${rows.length}`);
  rows.forEach((row, i) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new BadRequest('invalid_row', `rows[${i}] must be an object of features`);
    const keys = Object.keys(row);
    const unknown = keys.find((k) => !names.has(k));
    if (unknown !== undefined) throw new BadRequest('unknown_feature', `rows[${i}] has ${JSON.stringify(unknown)}, which is not a feature of this model (features: ${[...names].join(', ')})`);
    if (keys.length !== names.size) {
      const missing = columns.filter((c) => !Object.hasOwn(row, c.name)).map((c) => c.name);
      throw new BadRequest('missing_feature', `rows[${i}] has ${keys.length} of the ${names.size} features; missing: ${missing.join(', ')} (give null for an unknown value)`);
    }
  });
  return rows;
}

/** Predictions as JSON: typed arrays become plain arrays. */
function toJSON(predictions) {
  const out = {};
  for (const [task, p] of Object.entries(predictions)) {
    if (p.kind === 'regression') out[task] = { values: Array.from(p.values) };
    else if (p.kind === 'multilabel') out[task] = { labels: p.labels, probabilities: p.probabilities };
    else out[task] = { classes: p.classes, probabilities: p.kind === 'binary' ? Array.from(p.probabilities) : p.probabilities };
  }
  return out;
}

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === '/model') {
      if (request.method !== 'GET') return fail(405, 'method_not_allowed', 'use GET /model', { allow: 'GET' });
      return json({ inputColumns: columns, tasks: model.tasks, metadata: model.metadata });
    }
    if (pathname !== '/predict') return fail(404, 'not_found', 'POST /predict or GET /model');
    if (request.method !== 'POST') return fail(405, 'method_not_allowed', 'use POST /predict', { allow: 'POST' });
    try {
      const rows = parseRows(await readBody(request));
      const predictions = toJSON(model.predict(rows));
      served++;
      return json({ predictions }, 200, { 'x-isolate-predictions': String(served) });
    } catch (err) {
      if (err instanceof BadRequest) return fail(400, err.code, err.message);
      // A value the model cannot read (text in a numeric column, an unseen category…).
      if (err instanceof ManytaskError && err.code === 'E_ARGUMENT') return fail(400, 'invalid_value', err.message);
      return fail(500, 'internal_error', err instanceof Error ? err.message : String(err));
    }
  },
};
