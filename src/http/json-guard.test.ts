import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JSON_DEPTH_MAX, refusalText, scanJson } from './json-guard.js';

/** The source-text checks on JSON bodies (issue 10, ADR 0015). */
const merchant = { checkNumbers: true };

function nested(depth: number, inner = '1'): string {
  let text = inner;
  for (let level = 0; level < depth; level++) text = level % 2 === 0 ? `[${text}]` : `{"k":${text}}`;
  return text;
}

describe('scanJson: depth', () => {
  it(`accepts ${JSON_DEPTH_MAX} levels and refuses one more`, () => {
    expect(scanJson(nested(JSON_DEPTH_MAX), merchant)).toBeUndefined();
    expect(scanJson(nested(JSON_DEPTH_MAX + 1), merchant)).toBe('too_deep');
    expect(scanJson('['.repeat(100_000), merchant)).toBe('too_deep');
  });

  it('counts depth, not the number of containers', () => {
    expect(scanJson(`[${'[],'.repeat(10_000)}[]]`, merchant)).toBeUndefined();
  });

  it('does not count brackets inside strings', () => {
    expect(scanJson(JSON.stringify({ text: '['.repeat(100), escaped: '\\"[[[[' }), merchant)).toBeUndefined();
  });

  it('takes a custom bound', () => {
    expect(scanJson('[[1]]', { ...merchant, depthMax: 1 })).toBe('too_deep');
  });
});

describe('scanJson: NUL characters', () => {
  it.each([
    ['an escaped NUL in a value', JSON.stringify({ commande: { customer: 'a\u0000b' } })],
    ['an escaped NUL in a key', JSON.stringify({ ['k\u0000']: 1 })],
    ['an upper-case escape', '{"a":"\\u0000"}'],
    ['a raw NUL in a string', '{"a":"\u0000"}'],
    ['a raw NUL outside strings', '{"a":1\u0000}'],
  ])('refuses %s', (_label, text) => {
    expect(scanJson(text, merchant)).toBe('nul_character');
  });

  it.each([
    ['an escaped backslash before u0000', '{"a":"\\\\u0000"}'],
    ['other escapes', '{"a":"\\u0001\\u00e9\\n\\"\\\\"}'],
    ['emoji and accents', JSON.stringify({ a: 'Ouédraogo 😀 \uffff' })],
  ])('accepts %s', (_label, text) => {
    expect(scanJson(text, merchant)).toBeUndefined();
  });
});

describe('scanJson: numbers', () => {
  it.each([
    '99.99999999999999999',
    '100.000000000000001',
    '1e2',
    '1E2',
    '1.5e1',
    '150e-1',
    '1e-400',
    '-2.0e0',
    '5000.00000000000000001',
  ])('refuses %s, which reads as an integer', (literal) => {
    expect(Number.isSafeInteger(Number(literal))).toBe(true);
    expect(scanJson(`{"commande":{"amount":${literal}}}`, merchant)).toBe('non_integral_number');
  });

  it.each([
    '1500',
    '1500.0',
    '1500.00',
    '0',
    '-0',
    '0.0',
    '1.5',
    '-2.25',
    '3.14159',
    '1e400',
    '1.0e+25',
    '12345678901234567890',
    '0.1e1000',
  ])('accepts %s', (literal) => {
    expect(scanJson(`{"a":${literal}}`, merchant)).toBeUndefined();
  });

  it('leaves numbers inside strings alone (the amount rules read those)', () => {
    expect(scanJson('{"amount":"1e2","x":"99.99999999999999999"}', merchant)).toBeUndefined();
  });

  it('skips the number rule when asked (operator notifications)', () => {
    expect(scanJson('{"amount":1e2}', { checkNumbers: false })).toBeUndefined();
  });

  it('accepts every integer and every finite value JSON.stringify writes, except integral ones in exponent form', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), (value) => {
        const text = JSON.stringify({ amount: value });
        const literal = JSON.stringify(value);
        const shouldRefuse = /[eE]/.test(literal) && Number.isSafeInteger(value);
        expect(scanJson(text, merchant)).toBe(shouldRefuse ? 'non_integral_number' : undefined);
      }),
      { seed: 10, numRuns: 2000 },
    );
  });
});

describe('scanJson on anything', () => {
  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        expect(() => scanJson(text, merchant)).not.toThrow();
      }),
      { seed: 10, numRuns: 2000 },
    );
  });

  it('words each refusal for the envelope', () => {
    expect(refusalText('too_deep')).toBe(`JSON body nested deeper than ${JSON_DEPTH_MAX} levels`);
    expect(refusalText('nul_character')).toMatch(/NUL/);
    expect(refusalText('non_integral_number')).toMatch(/integer/);
  });
});
