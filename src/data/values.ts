// Cell values → numbers and category strings, by one strict rule shared by
// Dataset and Preprocessor.
//
// Numbers: a cell's text is trimmed; empty (or one of the `naValues`) is
// missing; otherwise it must be a plain decimal number — optional sign, digits
// with an optional `.`, optional exponent: `42`, `-0.5`, `.5`, `1e3`, `+2.5E-3`.
// Nothing else: no `0x10`, `Infinity`, `1,5`, `1_000`, `12kg` (no locale
// tricks, no partial parses as parseFloat does). JS numbers are taken as they
// are; NaN, null and undefined are missing; ±Infinity is an error. A number
// among the `naValues` (`'-999'`) marks that number missing however it comes:
// `-999.0` in a file, or −999 in a JSON row sent to predict.
//
// Categories (categorical features, binary/multiclass/multilabel labels): text
// is trimmed; empty (or one of the `naValues`) is missing. JS numbers become
// their shortest text (`String(3)` = "3"), booleans "true"/"false"; NaN, null
// and undefined are missing.

// Linear time: \d+(?:\.\d*)? cannot split a run of digits two ways (\d+\.?\d* could, in n
// ways, so a long run of digits followed by a bad character took O(n²) backtracking:
// a 1 MB cell would have blocked the thread for minutes).
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** What a cell became: a value, missing, or invalid (the caller reports it). */
export const INVALID: unique symbol = Symbol('invalid');

/** Parses number text by the strict rule: NaN for missing, INVALID for anything else that is not a finite number. */
export function parseNumberText(text: string, naValues: readonly string[]): number | typeof INVALID {
  const t = text.trim();
  if (t === '' || naValues.includes(t)) return NaN;
  if (!NUMBER.test(t)) return INVALID;
  const v = Number(t);
  return Number.isFinite(v) ? missingNumber(v, naValues) : INVALID;
}

/** The numbers among each list of naValues (null: none), found once per list: every numeric cell asks. */
const naNumbers = new WeakMap<readonly string[], ReadonlySet<number> | null>();

/** v, or NaN if it is one of the numbers among naValues. */
function missingNumber(v: number, naValues: readonly string[]): number {
  if (naValues.length === 0) return v;
  let numbers = naNumbers.get(naValues);
  if (numbers === undefined) {
    const found = naValues.filter((t) => NUMBER.test(t.trim())).map(Number);
    naNumbers.set(naValues, numbers = found.length > 0 ? new Set(found) : null);
  }
  return numbers !== null && numbers.has(v) ? NaN : v;
}

/** A JS value as a number: NaN for missing, INVALID for anything else that is not a finite number. */
export function toNumber(value: unknown, naValues: readonly string[]): number | typeof INVALID {
  if (typeof value === 'number') return Number.isNaN(value) ? NaN : Number.isFinite(value) ? missingNumber(value, naValues) : INVALID;
  if (typeof value === 'string') return parseNumberText(value, naValues);
  if (value === null || value === undefined) return NaN;
  return INVALID;
}

/** A JS value as a category: null for missing, INVALID for objects, arrays, symbols… */
export function toCategory(value: unknown, naValues: readonly string[]): string | null | typeof INVALID {
  if (typeof value === 'string') {
    const t = value.trim();
    return t === '' || naValues.includes(t) ? null : t;
  }
  if (typeof value === 'number') return Number.isNaN(value) ? null : String(value);
  if (typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return null;
  return INVALID;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The order of classes and categories: numerically when every value is a
 * number by the strict rule ("2" before "10"), else by UTF-16 code units (the
 * same everywhere; no locale). Returns a new sorted array.
 */
export function sortLabels(values: Iterable<string>): string[] {
  const list = [...values];
  const numbers = list.map((v) => parseNumberText(v, []));
  if (numbers.every((v) => typeof v === 'number' && !Number.isNaN(v))) {
    const keyed = list.map((v, i) => ({ v, k: numbers[i] as number }));
    keyed.sort((a, b) => a.k - b.k || compareText(a.v, b.v));
    return keyed.map((e) => e.v);
  }
  return list.sort(compareText);
}

/** Names in an error message: quoted, at most `max` of them. */
export function listNames(names: readonly string[], max = 30): string {
  const shown = names.slice(0, max).map((n) => JSON.stringify(n)).join(', ');
  return names.length > max ? `${shown}, … (${names.length - max} more)` : shown;
}
