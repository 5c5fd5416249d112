import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PHONE_DIGITS_MAX, PHONE_DIGITS_MIN, normalizePhone } from './phone.js';

/** Phone numbers as E.164 digits without `+` (spec §8.2). */
describe('normalizePhone', () => {
  it.each([
    ['22670123456', 'bare digits'],
    ['+22670123456', 'a plus sign'],
    ['0022670123456', 'the 00 international prefix'],
    ['226 70 12 34 56', 'spaces'],
    ['+226 70 12 34 56', 'a plus sign and spaces'],
    ['00 226 70 12 34 56', '00 and spaces'],
    ['226-70-12-34-56', 'dashes'],
    ['226.70.12.34.56', 'dots'],
    ['  +22670123456\t', 'surrounding white space'],
  ])('reads %s (%s) as 22670123456', (raw) => {
    expect(normalizePhone(raw)).toBe('22670123456');
  });

  it('accepts a JSON number', () => {
    expect(normalizePhone(22670123456)).toBe('22670123456');
  });

  it(`accepts ${PHONE_DIGITS_MIN} to ${PHONE_DIGITS_MAX} digits`, () => {
    expect(normalizePhone('1'.repeat(PHONE_DIGITS_MIN))).toBe('1'.repeat(PHONE_DIGITS_MIN));
    expect(normalizePhone('1'.repeat(PHONE_DIGITS_MAX))).toBe('1'.repeat(PHONE_DIGITS_MAX));
    expect(normalizePhone('1'.repeat(PHONE_DIGITS_MIN - 1))).toBeUndefined();
    expect(normalizePhone('1'.repeat(PHONE_DIGITS_MAX + 1))).toBeUndefined();
  });

  it.each([
    ['an empty string', ''],
    ['letters', 'abcdefghijk'],
    ['digits with a letter', '2267012345a'],
    ['two plus signs', '++22670123456'],
    ['a plus sign inside', '226+70123456'],
    ['parentheses', '(226)70123456'],
    ['a national number too short to be international', '7012345'],
    ['too many digits', '2267012345678901'],
    ['an input longer than 32 characters once trimmed', '22670123456'.split('').join('   ')],
    ['a negative number', -22670123456],
    ['a fractional number', 22670123456.5],
    ['null', null],
    ['undefined', undefined],
    ['an object', { phone: '22670123456' }],
    ['an array', ['22670123456']],
  ])('refuses %s', (_label, raw) => {
    expect(normalizePhone(raw)).toBeUndefined();
  });

  it('returns only 8 to 15 digits, whatever it is given', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[+0 ]{0,3}[\d .-]{0,20}$/)),
        (raw) => {
          const phone = normalizePhone(raw);
          if (phone !== undefined) expect(phone).toMatch(/^\d{8,15}$/);
        },
      ),
    );
  });

  // Inputs whose digits begin with 0 after a `+` (`+00…`, `+0…`) are left out: they normalise to a
  // number beginning with 0, which a second pass would read as an international `00` prefix.
  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^(\+|00)?[1-9][\d ]{7,19}$/), (raw) => {
        const phone = normalizePhone(raw);
        if (phone !== undefined) expect(normalizePhone(phone)).toBe(phone);
      }),
    );
  });
});
