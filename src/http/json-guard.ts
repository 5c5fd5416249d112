/**
 * What a JSON body must not carry, found in its source text before `JSON.parse` builds anything
 * (issue 10, ADR 0015). Node 20's `JSON.parse` gives no access to a literal's source, and code
 * after it (the idempotency hash, `JSON.stringify`) recurses, so one linear pass over the text
 * checks, with no recursion of its own:
 *
 * - nesting deeper than `JSON_DEPTH_MAX` objects and arrays, which would overflow the stack of
 *   whatever walks the parsed value (no LigdiCash body goes past depth 4);
 * - a NUL character (`\u0000`) in any string, key or value: PostgreSQL text cannot hold it and
 *   refuses the whole statement, and no LigdiCash field needs it;
 * - a number written with a fraction or an exponent that reads as a safe integer, such as
 *   `99.99999999999999999` (read as 100) or `1e2`: `parseAmountXof` sees only the value, so it
 *   would take a non-integral amount for an integral one. A fraction of zeros (`1500.0`, what
 *   Dart's `double` and PHP floats print) is kept, as the amount rules accept it as a string too.
 *   Values beyond 2^53 are let through: no rule takes them as integers.
 *
 * Text that is not JSON at all is left to `JSON.parse` to refuse.
 */
export const JSON_DEPTH_MAX = 32;

/** The NUL rule for text that is not JSON (console and payment-page forms, console query strings). */
export function hasNul(value: string): boolean {
  return value.includes('\u0000');
}

export type JsonRefusal = 'too_deep' | 'nul_character' | 'non_integral_number';

export interface JsonGuardOptions {
  /** Whether to apply the number rule (operator notifications are not merchant input). */
  checkNumbers: boolean;
  depthMax?: number;
}

/** A plain integer, or one with a fraction of zeros only: the integral spellings. */
const INTEGRAL_SPELLING = /^-?\d+(\.0+)?$/;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export function scanJson(text: string, options: JsonGuardOptions): JsonRefusal | undefined {
  const depthMax = options.depthMax ?? JSON_DEPTH_MAX;
  let depth = 0;
  let index = 0;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      const end = endOfString(text, index + 1);
      if (end === 'nul') return 'nul_character';
      index = end;
    } else if (code === 0x7b || code === 0x5b) {
      depth++;
      if (depth > depthMax) return 'too_deep';
      index++;
    } else if (code === 0x7d || code === 0x5d) {
      depth--;
      index++;
    } else if (code === 0x2d || (code >= 0x30 && code <= 0x39)) {
      const end = endOfNumber(text, index);
      if (options.checkNumbers && !integralOrNot(text.slice(index, end))) return 'non_integral_number';
      index = end;
    } else if (code === 0) {
      return 'nul_character';
    } else {
      index++;
    }
  }
  return undefined;
}

/** The index after a string's closing quote (or the text's end), or 'nul' when it holds a NUL. */
function endOfString(text: string, start: number): number | 'nul' {
  let index = start;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) return index + 1;
    if (code === 0) return 'nul';
    if (code === BACKSLASH) {
      if (text.charCodeAt(index + 1) === 0x75 && /^0000$/.test(text.slice(index + 2, index + 6)))
        return 'nul';
      index += 2;
    } else {
      index++;
    }
  }
  return index;
}

function endOfNumber(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length && /[0-9.eE+-]/.test(text.charAt(index))) index++;
  return index;
}

/**
 * False for a literal whose value is a safe integer although its spelling is not integral. A
 * malformed literal (`1.2.3`) reads as NaN and passes here; `JSON.parse` refuses it.
 */
function integralOrNot(literal: string): boolean {
  if (INTEGRAL_SPELLING.test(literal) || !/[.eE]/.test(literal)) return true;
  return !Number.isSafeInteger(Number(literal));
}

/** The envelope's description for each refusal. */
export function refusalText(refusal: JsonRefusal, depthMax = JSON_DEPTH_MAX): string {
  switch (refusal) {
    case 'too_deep':
      return `JSON body nested deeper than ${depthMax} levels`;
    case 'nul_character':
      return 'NUL character in the JSON body';
    case 'non_integral_number':
      return 'Number with a fraction or exponent that reads as an integer: send the integer';
  }
}
