// PostgreSQL array literals for bound parameters. Both drivers accept a `text[]` or `int[]` parameter as the
// array's text form, and building it here costs one join per column: node-postgres builds the same text from a JS
// array element by element (two regular-expression replaces and a string concatenation each), which made the
// send batch's thirteen array parameters the largest allocation on the send path. The result is a parameter
// value, never SQL: it travels bound, like any other string.

const NEEDS_ESCAPE = /["\\]/;

/** `{"a","b",NULL}`: each element quoted (so commas, braces, spaces and the word NULL stay data), `"` and `\` escaped. */
export function textArrayLiteral(values: readonly (string | null)[]): string {
  let plain = true;
  for (const v of values) {
    if (v === null || NEEDS_ESCAPE.test(v)) {
      plain = false;
      break;
    }
  }
  if (plain) return values.length === 0 ? '{}' : `{"${values.join('","')}"}`;
  const parts = values.map((v) => (v === null ? 'NULL' : `"${v.replace(/[\\"]/g, '\\$&')}"`));
  return `{${parts.join(',')}}`;
}

/** `{1,2,3}`. Integers only: anything else would not parse as the array it claims to be. */
export function intArrayLiteral(values: readonly number[]): string {
  for (const v of values) if (!Number.isSafeInteger(v)) throw new TypeError('intArrayLiteral takes safe integers');
  return `{${values.join(',')}}`;
}
