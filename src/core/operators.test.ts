import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PREFIXES,
  OPERATORS,
  WALLET_OPERATOR,
  operatorById,
  operatorForPhone,
  validatePrefixTable,
} from './operators.js';

/** Operator identification by number prefix (spec §5, §9 Q11). */
describe('operatorForPhone on the default prefix table', () => {
  it.each([
    ['22670123456', '11', 'Orange Burkina, the documentation example'],
    ['22607123456', '11', 'Orange Burkina, 07'],
    ['22601234567', '12', 'Moov Burkina, 01'],
    ['22675123456', '12', 'Moov Burkina, 75'],
    ['2290142123456', '1', 'MTN Benin, 10-digit plan'],
    ['2290195123456', '2', 'Moov Benin, 10-digit plan'],
    ['2250712345678', '16', "Orange Côte d'Ivoire"],
    ['2250112345678', '14', "Moov Côte d'Ivoire"],
    ['2250512345678', '15', "MTN Côte d'Ivoire"],
    ['224621234567', '33', 'Orange Guinea'],
    ['224661234567', '51', 'MTN Guinea'],
    ['22376123456', '18', 'Orange Mali'],
    ['22796123456', '27', 'Airtel Niger'],
    ['22790123456', '28', 'Zamani Niger'],
    ['22788123456', '29', 'Moov Niger'],
    ['243801234567', '34', 'Orange DRC'],
    ['221771234567', '39', 'Wave Senegal'],
  ])('%s is operator %s (%s)', (phone, operatorId) => {
    expect(operatorForPhone(phone, DEFAULT_PREFIXES)?.id).toBe(operatorId);
  });

  it.each([
    ['2267012345', 'one digit short'],
    ['226701234567', 'one digit long'],
    ['229014212345', 'a Benin number one digit short'],
    ['22942123456', 'a Benin number of the old 8-digit plan'],
    ['225071234567', "a Côte d'Ivoire number one digit short"],
  ])('%s is not identified: %s', (phone) => {
    expect(operatorForPhone(phone, DEFAULT_PREFIXES)).toBeUndefined();
  });

  it.each([
    ['22699123456', 'an unassigned Burkina range'],
    ['22609123456', 'another unassigned Burkina range'],
    ['33612345678', 'a French number'],
    ['14155550123', 'a US number'],
    ['', 'the empty string'],
    ['22', 'two digits'],
  ])('%s is not identified: %s', (phone) => {
    expect(operatorForPhone(phone, DEFAULT_PREFIXES)).toBeUndefined();
  });

  it('maps every default prefix, padded to its operator length, to its operator', () => {
    for (const [prefix, operatorId] of Object.entries(DEFAULT_PREFIXES)) {
      const operator = operatorById(operatorId);
      expect(operator, prefix).toBeDefined();
      if (!operator) continue;
      const length = operator.countryCode.length + operator.nationalLength;
      expect(prefix.startsWith(operator.countryCode), prefix).toBe(true);
      expect(operatorForPhone(prefix.padEnd(length, '3'), DEFAULT_PREFIXES)?.id, prefix).toBe(operatorId);
      expect(operatorForPhone(prefix.padEnd(length + 1, '3'), DEFAULT_PREFIXES), prefix).toBeUndefined();
      expect(operatorForPhone(prefix.padEnd(length - 1, '3'), DEFAULT_PREFIXES), prefix).toBeUndefined();
    }
  });

  it('never identifies the LigdiCash wallet from a number', () => {
    expect(Object.values(DEFAULT_PREFIXES)).not.toContain(WALLET_OPERATOR.id);
  });
});

describe('operatorForPhone on a custom table', () => {
  it('lets the longest matching prefix win', () => {
    const table = { '226': '12', '22670': '11' };
    expect(operatorForPhone('22670123456', table)?.id).toBe('11');
    expect(operatorForPhone('22671123456', table)?.id).toBe('12');
  });

  it('does not fall back to a shorter prefix when the longest one names an operator of another length', () => {
    // 22670… names Orange Burkina (8 national digits): a 12-digit number is wrong, not Moov Benin.
    const table = { '226': '2', '22670': '11' };
    expect(operatorForPhone('226701234567', table)).toBeUndefined();
  });

  it('ignores a prefix naming an unknown operator', () => {
    expect(operatorForPhone('22670123456', { '22670': '999' })).toBeUndefined();
  });
});

describe('validatePrefixTable', () => {
  it('accepts the default table as it is', () => {
    expect(validatePrefixTable(DEFAULT_PREFIXES)).toEqual(DEFAULT_PREFIXES);
  });

  it('accepts prefixes of 3 to 8 digits naming catalogue operators', () => {
    expect(validatePrefixTable({ '226': '11', '22670123': '12' })).toEqual({ '226': '11', '22670123': '12' });
    expect(validatePrefixTable({})).toEqual({});
  });

  it.each([
    ['null', null],
    ['an array', [['226', '11']]],
    ['a string', '{"226":"11"}'],
    ['a number', 226],
  ])('refuses %s', (_label, table) => {
    expect(validatePrefixTable(table)).toBe('must be a JSON object');
  });

  it.each([
    ['two digits', { '22': '11' }],
    ['nine digits', { '226701234': '11' }],
    ['a letter', { '22a': '11' }],
    ['a plus sign', { '+226': '11' }],
  ])('refuses a prefix of %s', (_label, table) => {
    expect(validatePrefixTable(table)).toMatch(/must be 3 to 8 digits$/);
  });

  it.each([
    ['an unknown id', { '226': '999' }],
    ['the wallet id', { '226': WALLET_OPERATOR.id }],
    ['a numeric id', { '226': 11 }],
    ['a null id', { '226': null }],
  ])('refuses %s', (_label, table) => {
    expect(validatePrefixTable(table)).toBe('prefix "226": unknown operator id');
  });
});

describe('the catalogue', () => {
  it('has unique operator ids, the wallet included', () => {
    const ids = [WALLET_OPERATOR, ...OPERATORS].map((op) => op.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^\d+$/);
  });
});
