import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CUSTOM_DATA_KEYS_MAX,
  CUSTOM_DATA_KEY_LENGTH_MAX,
  CUSTOM_DATA_VALUE_LENGTH_MAX,
  customDataRows,
  externalIdOf,
  logfileFor,
  parseCustomData,
  rowDate,
} from './custom-data.js';

/** Merchant custom data (spec §3.2, official-sdks §1). */
describe('parseCustomData', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['an empty string', ''],
    ["PHP's empty array []", []],
    ['an empty object', {}],
  ])('reads %s as no data', (_label, raw) => {
    expect(parseCustomData(raw)).toEqual({});
  });

  it('keeps strings and turns numbers, booleans and null into strings', () => {
    expect(parseCustomData({ transaction_id: 'ORD-1', qty: 3, price: 2.5, gift: true, note: null })).toEqual({
      transaction_id: 'ORD-1',
      qty: '3',
      price: '2.5',
      gift: 'true',
      note: '',
    });
  });

  it('drops the hash and logfile keys, which Cauri adds itself', () => {
    expect(parseCustomData({ a: '1', hash: 'forged', logfile: 'forged' })).toEqual({ a: '1' });
  });

  it.each([
    ['a non-empty array', [1]],
    ['a string', 'order-1'],
    ['a number', 5],
    ['a boolean', true],
  ])('refuses %s', (_label, raw) => {
    expect(parseCustomData(raw)).toBe('custom_data must be an object');
  });

  it('refuses nested objects and arrays as values', () => {
    expect(parseCustomData({ order: { id: 1 } })).toBe('custom_data.order must be a string');
    expect(parseCustomData({ items: [] })).toBe('custom_data.items must be a string');
  });

  it(`accepts ${CUSTOM_DATA_KEYS_MAX} keys and refuses one more`, () => {
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    expect(Object.keys(parseCustomData(keys(CUSTOM_DATA_KEYS_MAX)))).toHaveLength(CUSTOM_DATA_KEYS_MAX);
    expect(parseCustomData(keys(CUSTOM_DATA_KEYS_MAX + 1))).toBe(
      `custom_data has more than ${CUSTOM_DATA_KEYS_MAX} keys`,
    );
  });

  it(`accepts keys of 1 to ${CUSTOM_DATA_KEY_LENGTH_MAX} characters only`, () => {
    expect(parseCustomData({ ['k'.repeat(CUSTOM_DATA_KEY_LENGTH_MAX)]: 'v' })).toEqual({
      ['k'.repeat(CUSTOM_DATA_KEY_LENGTH_MAX)]: 'v',
    });
    expect(parseCustomData({ ['k'.repeat(CUSTOM_DATA_KEY_LENGTH_MAX + 1)]: 'v' })).toBe(
      'custom_data key length out of range',
    );
    expect(parseCustomData({ '': 'v' })).toBe('custom_data key length out of range');
  });

  it(`accepts values of up to ${CUSTOM_DATA_VALUE_LENGTH_MAX} characters`, () => {
    expect(parseCustomData({ note: 'x'.repeat(CUSTOM_DATA_VALUE_LENGTH_MAX) })).toEqual({
      note: 'x'.repeat(CUSTOM_DATA_VALUE_LENGTH_MAX),
    });
    expect(parseCustomData({ note: 'x'.repeat(CUSTOM_DATA_VALUE_LENGTH_MAX + 1) })).toBe(
      `custom_data.note is longer than ${CUSTOM_DATA_VALUE_LENGTH_MAX}`,
    );
  });

  it('returns, for any object of string values within the limits, the same object', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc
            .string({ minLength: 1, maxLength: CUSTOM_DATA_KEY_LENGTH_MAX })
            .filter((k) => k !== 'hash' && k !== 'logfile' && k !== '__proto__'),
          fc.string({ maxLength: CUSTOM_DATA_VALUE_LENGTH_MAX }),
          { maxKeys: CUSTOM_DATA_KEYS_MAX },
        ),
        (raw) => {
          expect(parseCustomData(raw)).toEqual(raw);
        },
      ),
    );
  });
});

describe('externalIdOf', () => {
  it('concatenates, in order, the values of the keys that contain "id" in any case', () => {
    expect(externalIdOf({ transaction_id: 'T1', note: 'n', user_ID: 'U2', Id: 'X', order: 'o' })).toBe(
      'T1U2X',
    );
  });

  it('is empty when no key contains "id"', () => {
    expect(externalIdOf({})).toBe('');
    expect(externalIdOf({ order: 'o', reference: 'r' })).toBe('');
  });
});

describe('logfileFor', () => {
  it('is 14 digits of UTC date and time followed by 13 hex digits', () => {
    const ms = Date.UTC(2026, 10, 22, 9, 5, 7, 250);
    const logfile = logfileFor(ms);
    expect(logfile).toMatch(/^\d{14}[0-9a-f]{13}$/);
    expect(logfile.slice(0, 14)).toBe('20261122090507');
    // PHP's uniqid(): 8 hex digits of seconds, then 5 of microseconds.
    expect(logfile.slice(14, 22)).toBe(Math.floor(ms / 1000).toString(16));
    expect(parseInt(logfile.slice(22), 16)).toBeGreaterThanOrEqual(250_000);
    expect(parseInt(logfile.slice(22), 16)).toBeLessThan(251_000);
  });

  it('has that shape at any instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2001, 8, 9, 1, 46, 40), max: Date.UTC(2100, 0, 1) }), (ms) => {
        const logfile = logfileFor(ms);
        expect(logfile).toMatch(/^\d{14}[0-9a-f]{13}$/);
        expect(logfile.slice(0, 14)).toBe(new Date(ms).toISOString().slice(0, 19).replace(/[-T:]/g, ''));
        expect(parseInt(logfile.slice(14, 22), 16)).toBe(Math.floor(ms / 1000));
      }),
    );
  });
});

describe('customDataRows', () => {
  it('lists the merchant keys, then hash and logfile, all dated at creation', () => {
    const ms = Date.UTC(2026, 10, 22, 9, 5, 7, 250);
    const date = '2026-11-22 09:05:07.250000';
    expect(rowDate(ms)).toBe(date);
    expect(
      customDataRows({ transaction_id: 'T1', note: 'n' }, { hash: 'h'.repeat(64), logfile: 'L' }, ms),
    ).toEqual([
      { keyof_customdata: 'transaction_id', valueof_customdata: 'T1', datecreation_customdata: date },
      { keyof_customdata: 'note', valueof_customdata: 'n', datecreation_customdata: date },
      { keyof_customdata: 'hash', valueof_customdata: 'h'.repeat(64), datecreation_customdata: date },
      { keyof_customdata: 'logfile', valueof_customdata: 'L', datecreation_customdata: date },
    ]);
  });

  it('has only hash and logfile for empty data', () => {
    expect(customDataRows({}, { hash: 'h', logfile: 'l' }, 0).map((r) => r.keyof_customdata)).toEqual([
      'hash',
      'logfile',
    ]);
  });

  it('keeps a key named __proto__ as a key, without touching the prototype', () => {
    const parsed = parseCustomData(
      JSON.parse('{"__proto__": "x", "constructor": "y", "transaction_id": "T1"}'),
    );
    expect(typeof parsed).toBe('object');
    expect(JSON.stringify(parsed)).toBe('{"__proto__":"x","constructor":"y","transaction_id":"T1"}');
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  });
});
