// The check every bad-input test makes of the error it expects.
import assert from 'node:assert/strict';
import { ManytaskError } from '../../dist/index.js';

/**
 * An assert.throws validator: the error is a `Class` (and a ManytaskError) with
 * this `code`, its message matches every pattern (one or an array; none to skip),
 * and it has the given own properties (`props`, compared deeply).
 */
export function typedError(Class, code, patterns = [], options = {}) {
  const { props = {}, label = '', ...unknown } = options;
  assert.deepEqual(Object.keys(unknown), [], 'typedError: the options are { props, label }');
  const where = label ? `${label}: ` : '';
  return (err) => {
    assert.ok(err instanceof Class, `${where}expected ${Class.name}, got ${err?.constructor?.name}: ${err?.message}`);
    assert.ok(err instanceof ManytaskError, `${where}not a ManytaskError`);
    assert.equal(err.code, code, label);
    for (const p of [patterns ?? []].flat()) assert.match(err.message, p, label);
    for (const [k, v] of Object.entries(props)) assert.deepEqual(err[k], v, `${where}err.${k}`);
    return true;
  };
}

/** Asserts that fn() throws what typedError describes. */
export function expectError(fn, Class, code, patterns, options) {
  assert.throws(fn, typedError(Class, code, patterns, options), options?.label);
}
