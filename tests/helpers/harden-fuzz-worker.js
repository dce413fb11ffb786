// Requests for the Worker load test (tests/runtimes/harden-worker-load.test.js):
// a fixed-seed mix of valid and malformed POST /predict bodies for the penguins
// model of examples/worker. Each is { label, init (for fetch), expect }:
//   expect { rows }          a valid request: 200, predictions equal Node's for these rows;
//   expect { code }          a malformed one: 400 with { error: { code, message } }, this code.
import fc from 'fast-check';
import { FEATURES } from '../runtimes/helpers/worker-example.js';

export { FEATURES };

const json = (body, type = 'application/json') => ({ method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });

/**
 * Valid variations of real rows: missing values, numbers as text, spaces around a category,
 * values outside the training range but within the Worker's 10 standard deviations of it.
 */
function validRequest(rows, { start, count, edit, k }) {
  const batch = Array.from({ length: count }, (_, i) => ({ ...rows[(start + i * 7) % rows.length] }));
  const r = batch[k % batch.length];
  const num = FEATURES[k % 3];
  switch (edit) {
    case 'nulls': r[num] = null; r.island = null; break;
    case 'text number': r[num] = r[num] === null ? null : ` ${r[num]} `; break;
    case 'category spaces': r.island = r.island === null ? null : ` ${r.island}\t`; break;
    case 'empty text': r[num] = ''; break;
    // 6.6, −6.2 and −5.8 standard deviations from the training means (43.9 ± 5.5, 17.2 ± 2.0, 201 ± 14).
    case 'unusual but in range': r[num] = { bill_length_mm: 80, bill_depth_mm: 5, flipper_length_mm: 120 }[num]; break;
    case 'tiny': r[FEATURES[k % 2]] = 5e-324; break; // a bill of 0 mm: 8.1 and 8.7 standard deviations below the means
    case 'key order': batch[k % batch.length] = Object.fromEntries(Object.entries(r).reverse()); break;
    default: break;
  }
  const types = ['application/json', 'application/json; charset=utf-8', 'text/plain;charset=UTF-8', 'application/vnd.api+json', null];
  const type = types[k % types.length];
  const init = json({ rows: batch });
  if (type === null) delete init.headers['content-type'];
  else init.headers['content-type'] = type;
  return { label: `valid: ${count} rows from ${start}, ${edit}, ${type ?? 'no content-type'}`, init, expect: { rows: batch } };
}

/** Malformed bodies, each with the error code the Worker must answer with. */
function malformedRequest(rows, { kind, k }) {
  const row = { ...rows[k % rows.length] };
  const num = FEATURES[k % 3];
  const { island: _, ...three } = row;
  const bad = (label, init, code) => ({ label: `malformed: ${label}`, kind, init, expect: { code } });
  switch (kind) {
    case 0: return bad('truncated JSON', json(JSON.stringify({ rows: [row] }).slice(0, 5 + (k % 20))), 'invalid_json');
    case 1: return bad('an empty body', json(''), 'invalid_json');
    case 2: return bad('JSON null', json('null'), 'invalid_request');
    case 3: return bad('a JSON array', json([row]), 'invalid_request');
    case 4: return bad('rows an object', json({ rows: row }), 'invalid_request');
    case 5: return bad('no rows', json({ rows: [] }), 'invalid_request');
    case 6: return bad('1,001 rows', json({ rows: Array(1001).fill(row) }), 'invalid_request');
    case 7: return bad('a row that is a number', json({ rows: [row, 7] }), 'invalid_row');
    case 8: return bad('a row that is an array', json({ rows: [Object.values(row)] }), 'invalid_row');
    case 9: return bad('a misspelt feature', json({ rows: [{ ...three, isle: 'Dream' }] }), 'unknown_feature');
    case 10: return bad('an extra feature', json({ rows: [{ ...row, species: 'Adelie' }] }), 'unknown_feature');
    case 11: return bad('a missing feature', json({ rows: [row, three] }), 'missing_feature');
    case 12: return bad('a "__proto__" key', json(`{"rows":[{"__proto__":{"x":1},${JSON.stringify(row).slice(1)}]}`), 'unknown_feature');
    case 13: return bad('text in a numeric column', json({ rows: [{ ...row, [num]: '12kg' }] }), 'invalid_value');
    case 14: return bad(`"${['NaN', 'nan', 'Infinity', '-Infinity', 'NA', '0x10', '1_000', 'null'][k % 8]}" in a numeric column`, json({ rows: [{ ...row, [num]: ['NaN', 'nan', 'Infinity', '-Infinity', 'NA', '0x10', '1_000', 'null'][k % 8] }] }), 'invalid_value');
    case 15: return bad('1e400 (JSON Infinity)', json(`{"rows":[${JSON.stringify(row).replace(/"bill_depth_mm":[^,]*/, '"bill_depth_mm":1e400')}]}`), 'invalid_value');
    case 16: return bad(`${[1e300, -1e308][k % 2]} in ${num} (beyond float32 once standardized)`, json({ rows: [row, { ...row, [num]: [1e300, -1e308][k % 2] }] }), 'invalid_value');
    case 17: return bad('an unseen category', json({ rows: [{ ...row, island: ['Atlantis', 'biscoe', 'NaN', ''.padEnd(5000, 'x')][k % 4] }] }), 'invalid_value');
    case 18: return bad('a category that is an object', json({ rows: [{ ...row, island: { name: 'Dream' } }] }), 'invalid_value');
    case 19: return bad('a 300 KB body', json({ rows: [row], pad: 'x'.repeat(300_000) }), 'body_too_large');
    case 20: {
      const type = ['application/x-www-form-urlencoded', 'text/html', 'multipart/form-data; boundary=x', 'application/xml', 'image/png', 'application/json; charset=utf-16'][k % 6];
      return bad(`content-type ${type}`, json({ rows: [row] }, type), 'unsupported_content_type');
    }
    case 21: return bad('invalid UTF-8', { method: 'POST', headers: { 'content-type': 'application/json' }, body: Uint8Array.from([...new TextEncoder().encode('{"rows":[{"island":"'), 0xc3, 0x28, 0xff, ...new TextEncoder().encode('"}]}')]) }, 'invalid_json');
    case 22: return bad('rows nested 100,000 deep', json(`{"rows":${'['.repeat(100_000)}${']'.repeat(100_000)}}`), 'invalid_row');
    case 23: return bad('a row of 10,000 keys', json({ rows: [Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`f${i}`, i]))] }), 'unknown_feature');
    case 24: return bad('a 200 KB string value', json({ rows: [{ ...row, [num]: '9'.repeat(200_000) }] }), 'invalid_value');
    case 25: return bad('a boolean number', json({ rows: [{ ...row, [num]: true }] }), 'invalid_value');
    case 26: return bad('a feature name of 100 KB', json({ rows: [{ ...three, ['i'.repeat(100_000)]: 'Dream' }] }), 'unknown_feature');
    case 27: {
      // More than 10 standard deviations from the training mean, but computable: 1e30 got 200 and a body mass of −7.8e31.
      const v = [1e6, -250.5, 1e30, 1e38, -3e38][k % 5];
      return bad(`${v} in ${num} (far outside the training data)`, json({ rows: [row, { ...row, [num]: v }] }), 'out_of_range');
    }
    default: return bad('rows a string', json({ rows: 'all of them' }), 'invalid_request');
  }
}
export const MALFORMED_KINDS = 29;

/** `n` requests (seeded): about 60% valid. */
export function requestMix(rows, n, seed) {
  const arb = fc.oneof(
    { weight: 3, arbitrary: fc.record({ start: fc.nat({ max: rows.length - 1 }), count: fc.integer({ min: 1, max: 8 }), edit: fc.constantFrom('none', 'none', 'nulls', 'text number', 'category spaces', 'empty text', 'unusual but in range', 'tiny', 'key order'), k: fc.nat() }).map((v) => validRequest(rows, v)) },
    { weight: 2, arbitrary: fc.record({ kind: fc.nat({ max: MALFORMED_KINDS - 1 }), k: fc.nat() }).map((v) => malformedRequest(rows, v)) },
  );
  return fc.sample(arb, { seed, numRuns: n });
}
