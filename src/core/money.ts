import { assert } from './assert.js';

/** An amount of West African CFA francs. XOF has no minor unit, so this is always a safe integer. */
export type Xof = number & { readonly __brand: 'Xof' };

/** The largest amount a single command may carry: far above any operator's cap, far below 2^53. */
export const AMOUNT_MAX_XOF = 1_000_000_000_000 as Xof;

export function xof(value: number): Xof {
  assert(Number.isSafeInteger(value), `amount ${value} is not a safe integer`);
  return value as Xof;
}

export function addXof(a: Xof, b: Xof): Xof {
  return xof(a + b);
}

export function subXof(a: Xof, b: Xof): Xof {
  return xof(a - b);
}

/**
 * Parses an amount as real clients send it (spec §2.1 "Type leniency", official-sdks §1):
 * a JSON integer, an integral float such as Dart's `5000.0`, or a string of digits such as the
 * old PHP sample's `"2000"`. Anything else (fractions, exponents, negatives, huge values) is
 * refused: the caller maps `undefined` to the endpoint's input error.
 */
export function parseAmountXof(raw: unknown): Xof | undefined {
  let value: number;
  if (typeof raw === 'number') {
    value = raw;
  } else if (typeof raw === 'string') {
    const trimmed = raw.trim();
    if (!/^\d{1,13}(\.0+)?$/.test(trimmed)) return undefined;
    value = Number(trimmed);
  } else {
    return undefined;
  }
  if (!Number.isSafeInteger(value) || value < 0 || value > AMOUNT_MAX_XOF) return undefined;
  return value as Xof;
}
