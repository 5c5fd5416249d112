import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RESOLVE_DELAY_MAX_MS,
  checkUrl,
  offeredOperators,
  operatorAccepts,
  paymentPageUrl,
  resolveDelayMs,
  withToken,
} from './checkout.js';
import type { Xof } from './money.js';
import { OPERATORS, operatorById } from './operators.js';

const xof = (n: number) => n as Xof;
const ALL = OPERATORS.map((op) => op.id);

describe('checkout rules', () => {
  it('offers the enabled operators that accept the amount, never the wallet', () => {
    expect(offeredOperators(['0', ...ALL], xof(5000), undefined).map((op) => op.id)).toEqual(ALL);
    expect(offeredOperators(['0', '11', '12'], xof(50), undefined).map((op) => op.id)).toEqual(['11']);
    expect(offeredOperators(ALL, xof(150), undefined).some((op) => op.id === '33')).toBe(false);
    expect(offeredOperators(ALL, xof(5000), operatorById('12')).map((op) => op.id)).toEqual(['12']);
    expect(offeredOperators(['11'], xof(5000), operatorById('12'))).toEqual([]);
  });

  it('applies the per-operator minimums of spec §5', () => {
    const moov = operatorById('12');
    expect(moov && operatorAccepts(moov, xof(99))).toBe(false);
    expect(moov && operatorAccepts(moov, xof(100))).toBe(true);
    expect(moov && operatorAccepts(moov, xof(2_000_001))).toBe(false);
  });

  it.each([
    ['', ''],
    ['https://shop.example/ok?x=1', 'https://shop.example/ok?x=1'],
    ['http://127.0.0.1:3000/r', 'http://127.0.0.1:3000/r'],
    ['javascript:alert(1)', undefined],
    ['data:text/html,x', undefined],
    ['//shop.example', undefined],
    ['https://user:pw@shop.example', undefined],
    ['not a url', undefined],
    [`https://shop.example/${'a'.repeat(2100)}`, undefined],
  ])('checkUrl(%s)', (raw, expected) => {
    expect(checkUrl(raw)).toBe(expected);
  });

  it('adds the token to the merchant URL, keeping its parameters and replacing a token', () => {
    expect(withToken('https://shop.example/r', 'T')).toBe('https://shop.example/r?token=T');
    expect(withToken('https://shop.example/r?order=1&token=old#top', 'a.b-c')).toBe(
      'https://shop.example/r?order=1&token=a.b-c#top',
    );
    expect(paymentPageUrl('http://h:1', 'T')).toBe('http://h:1/directpayment/invoice/T');
  });

  it('waits the deadline, doubling per query, never more than a day', () => {
    expect(resolveDelayMs(600_000, 1)).toBe(600_000);
    expect(resolveDelayMs(600_000, 2)).toBe(1_200_000);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 * 86_400_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (deadline, queries) => {
          const delay = resolveDelayMs(deadline, queries);
          expect(delay).toBeGreaterThanOrEqual(Math.min(deadline, RESOLVE_DELAY_MAX_MS));
          expect(delay).toBeLessThanOrEqual(Math.max(deadline, RESOLVE_DELAY_MAX_MS));
          expect(resolveDelayMs(deadline, queries + 1)).toBeGreaterThanOrEqual(delay);
        },
      ),
    );
  });
});
