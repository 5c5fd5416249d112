import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { balanceChangeXof, compareEntries, csvField } from './statement.js';

describe('statement rules', () => {
  it('moves the posted balance only for postings and posted holds', () => {
    expect(balanceChangeXof('single', 'credit', 500)).toBe(500);
    expect(balanceChangeXof('post_pending', 'debit', 500)).toBe(-500);
    expect(balanceChangeXof('pending', 'debit', 500)).toBe(0);
    expect(balanceChangeXof('void_pending', 'debit', 500)).toBe(0);
  });

  it('orders newest first, the credit side of one transfer before its debit side', () => {
    const entries = [
      { seq: 1, direction: 'debit' as const },
      { seq: 2, direction: 'debit' as const },
      { seq: 2, direction: 'credit' as const },
    ].sort(compareEntries);
    expect(entries).toEqual([
      { seq: 2, direction: 'credit' },
      { seq: 2, direction: 'debit' },
      { seq: 1, direction: 'debit' },
    ]);
  });

  it('quotes fields as RFC 4180 says and defuses formulas (OWASP CSV injection)', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField(null)).toBe('');
    expect(csvField(-1500)).toBe('-1500');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    for (const lead of ['=', '+', '-', '@', '\t', '\r'])
      expect(
        csvField(`${lead}1+1`).startsWith(`'${lead}`) || csvField(`${lead}1+1`).startsWith(`"'${lead}`),
      ).toBe(true);
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
  });

  it('never lets a text field start with a formula character, whatever it holds', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const field = csvField(text);
        const unquoted = field.startsWith('"') ? field.slice(1) : field;
        expect(/^[=+\-@\t\r]/.test(unquoted)).toBe(false);
      }),
    );
  });
});
