// A Cloudflare Worker that serves a manytask model: POST /predict with
//   { "rows": [ { "bill_length_mm": 46.5, "bill_depth_mm": 15.2, "flipper_length_mm": 219, "island": "Biscoe" }, … ] }
// answers per task, per row:
//   { "predictions": { "species": { "classes": ["Gentoo"], "probabilities": [[0.001, 0.002, 0.997]] },
//                      "sex": { "classes": ["male"], "probabilities": [0.93] },
//                      "body_mass_g": { "values": [5391.2] } } }
// GET /model describes the model (its input columns and tasks). Bad requests get
// 400 with { "error": { "code", "message" } }; a row must hold exactly the
// model's input columns (null for a missing value). The body must be JSON: a
// Content-Type, if given, is application/json (or text/plain, what fetch() sends
// for a string body), in UTF-8. A numeric value more than MAX_DEVIATION standard
// deviations from its column's mean in the training data is refused with 400
// out_of_range, naming the row and column: the model knows nothing there, and its
// answer would be a number without meaning (bill_length_mm: 1e30 gave a body mass
// of −7.8e31). No request changes the isolate's state: the model is read-only
// after startup.
//
// manytask/infer is the inference-only entry (19.5 KB gzip with its .wasm, minified);
// under wrangler its `workerd` export condition imports infer.wasm as a
// WebAssembly.Module (wrangler's default CompiledWasm rule), so `init()` needs
// no argument. model.mtsk is imported as bytes (the Data rule in wrangler.toml).
// Both run once per isolate, at startup, not per request.
import { init, loadModel, ManytaskError, OutOfRangeError } from 'manytask/infer';
import modelFile from '../model.mtsk';

/** Request bodies above this many bytes are refused. */
const MAX_BODY_BYTES = 256 * 1024;
/** Rows per request. */
const MAX_ROWS = 1000;
/**
 * How far from the training data a numeric value may be, in standard deviations of
 * its column there: the penguins span about ±3; 10 leaves room for unusual birds.
 */
const MAX_DEVIATION = 10;

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

/** A Content-Type other than JSON (or text/plain) or a charset other than UTF-8 is refused. */
function checkContentType(request) {
  const type = request.headers.get('content-type');
  if (type === null) return;
  const [mime, ...params] = type.split(';').map((s) => s.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith('charset='))?.slice(8).replace(/"/g, '');
  const json = mime === 'application/json' || /^application\/[\w.-]+\+json$/.test(mime) || mime === 'text/plain';
  if (!json || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
    throw new BadRequest('unsupported_content_type', `the body must be JSON in UTF-8 (content-type: application/json), got content-type ${JSON.stringify(type.slice(0, 100))}`);
  }
}

/** A name from the request in a message: quoted, and cut short (a message names it, it does not carry it). */
const quote = (text) => (text.length > 60 ? `${JSON.stringify(text.slice(0, 40))}… (${text.length} characters)` : JSON.stringify(text));

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
    if (unknown !== undefined) throw new BadRequest('unknown_feature', `rows[${i}] has ${quote(unknown)}, which is not a feature of this model (features: ${[...names].join(', ')})`);
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
    else if (p.kind === 'reconstruction') out[task] = { values: p.values, errors: Array.from(p.errors) };
    else if (p.kind === 'clustering') out[task] = { clusters: Array.from(p.clusters), probabilities: p.probabilities };
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
      checkContentType(request);
      const rows = parseRows(await readBody(request));
      // A prediction that is not finite would be the model's fault, not the request's:
      // predict throws NonFinitePredictionError, answered 500 below.
      const predictions = toJSON(model.predict(rows, { maxDeviation: MAX_DEVIATION }));
      served++;
      return json({ predictions }, 200, { 'x-isolate-predictions': String(served) });
    } catch (err) {
      if (err instanceof BadRequest) return fail(400, err.code, err.message);
      if (err instanceof OutOfRangeError) return fail(400, 'out_of_range', err.message);
      // A value the model cannot read (text in a numeric column, an unseen category…).
      if (err instanceof ManytaskError && err.code === 'E_ARGUMENT') return fail(400, 'invalid_value', err.message);
      return fail(500, 'internal_error', err instanceof Error ? err.message : String(err));
    }
  },
};
