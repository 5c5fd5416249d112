import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssertionError } from './assert.js';
import { AMOUNT_MAX_XOF, type Xof, addXof, parseAmountXof, subXof, xof } from './money.js';

/** Amount parsing as real clients send amounts (spec §2.1 "Type leniency", official-sdks §1). */
describe('parseAmountXof', () => {
  it('accepts JSON integers', () => {
    expect(parseAmountXof(5000)).toBe(5000);
    expect(parseAmountXof(0)).toBe(0);
    expect(parseAmountXof(1)).toBe(1);
  });

  it("accepts integral floats such as Dart's 5000.0", () => {
    // `5000.0` is the number 5000 once JSON is parsed; the string form keeps its fraction.
    expect(parseAmountXof(JSON.parse('5000.0'))).toBe(5000);
    expect(parseAmountXof('5000.0')).toBe(5000);
    expect(parseAmountXof('5000.00')).toBe(5000);
  });

  it('accepts digit strings such as the PHP sample\'s "2000", trimmed', () => {
    expect(parseAmountXof('2000')).toBe(2000);
    expect(parseAmountXof(' 2000 ')).toBe(2000);
    expect(parseAmountXof('0002000')).toBe(2000);
  });

  it('accepts the largest amount and refuses one more', () => {
    expect(parseAmountXof(AMOUNT_MAX_XOF)).toBe(AMOUNT_MAX_XOF);
    expect(parseAmountXof(String(AMOUNT_MAX_XOF))).toBe(AMOUNT_MAX_XOF);
    expect(parseAmountXof(AMOUNT_MAX_XOF + 1)).toBeUndefined();
    expect(parseAmountXof(String(AMOUNT_MAX_XOF + 1))).toBeUndefined();
  });

  it.each([
    ['a fraction', 5000.5],
    ['a fractional string', '5000.5'],
    ['a string with a trailing dot', '5000.'],
    ['a negative number', -1],
    ['a negative string', '-1'],
    ['negative zero as a string', '-0'],
    ['a plus sign', '+5'],
    ['an exponent string', '5e3'],
    ['an upper-case exponent string', '5E3'],
    ['a hexadecimal string', '0x10'],
    ['a huge number', 1e15],
    ['an unsafe integer', 2 ** 53],
    ['a 14-digit string', '12345678901234'],
    ['Infinity', Infinity],
    ['NaN', NaN],
    ['the string NaN', 'NaN'],
    ['an empty string', ''],
    ['a blank string', '   '],
    ['digits with spaces inside', '5 000'],
    ['a comma decimal', '5000,0'],
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['a bigint', 5000n],
    ['an object', { amount: 5000 }],
    ['an array', [5000]],
  ])('refuses %s', (_label, raw) => {
    expect(parseAmountXof(raw)).toBeUndefined();
  });

  it('reads back every safe non-negative integer it is given, as a number or as its digits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: AMOUNT_MAX_XOF }), (n) => {
        expect(parseAmountXof(n)).toBe(n);
        expect(parseAmountXof(String(n))).toBe(n);
      }),
    );
  });

  it('refuses every number with a fractional part', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e13, max: 1e13, noNaN: true }), (n) => {
        fc.pre(!Number.isInteger(n));
        expect(parseAmountXof(n)).toBeUndefined();
        expect(parseAmountXof(String(n))).toBeUndefined();
      }),
    );
  });

  it('refuses every negative integer', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000_000_000, max: -1 }), (n) => {
        expect(parseAmountXof(n)).toBeUndefined();
        expect(parseAmountXof(String(n))).toBeUndefined();
      }),
    );
  });

  it('returns only safe integers within bounds, whatever string it is given', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (raw) => {
        const parsed = parseAmountXof(raw);
        if (parsed !== undefined) {
          expect(Number.isSafeInteger(parsed)).toBe(true);
          expect(parsed).toBeGreaterThanOrEqual(0);
          expect(parsed).toBeLessThanOrEqual(AMOUNT_MAX_XOF);
        }
      }),
    );
  });
});

describe('xof arithmetic', () => {
  it('adds and subtracts safe integers', () => {
    expect(addXof(xof(2), xof(3))).toBe(5);
    expect(subXof(xof(2), xof(3))).toBe(-1);
  });

  it('asserts on fractions and unsafe results', () => {
    expect(() => xof(1.5)).toThrow(AssertionError);
    expect(() => xof(NaN)).toThrow(AssertionError);
    expect(() => addXof(xof(Number.MAX_SAFE_INTEGER), xof(1))).toThrow(AssertionError);
    expect(() => subXof(xof(Number.MIN_SAFE_INTEGER), 1 as Xof)).toThrow(AssertionError);
  });
});
