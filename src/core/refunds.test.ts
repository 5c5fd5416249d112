import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type Xof, xof } from './money.js';
import { isPartialRefund, refundAmountXof, refundableXof } from './refunds.js';

const payin = (amountXof: number, refundedXof = 0, status = 'completed') => ({
  status,
  amountXof: xof(amountXof),
  refundedXof: xof(refundedXof),
});

describe('refundAmountXof', () => {
  it('defaults to what is left, and takes a smaller amount', () => {
    expect(refundAmountXof(payin(5000), undefined)).toEqual({ ok: true, value: 5000 });
    expect(refundAmountXof(payin(5000, 1200), undefined)).toEqual({ ok: true, value: 3800 });
    expect(refundAmountXof(payin(5000, 1200), 3800 as Xof)).toEqual({ ok: true, value: 3800 });
  });

  it('refuses what the closed list names', () => {
    expect(refundAmountXof(payin(5000, 0, 'pending'), undefined)).toMatchObject({
      ok: false,
      code: 'payin_not_completed',
    });
    expect(refundAmountXof(payin(5000, 0, 'notcompleted'), 10 as Xof)).toMatchObject({
      ok: false,
      code: 'payin_not_completed',
    });
    expect(refundAmountXof(payin(5000, 5000), undefined)).toMatchObject({
      ok: false,
      code: 'payin_fully_refunded',
    });
    expect(refundAmountXof(payin(5000, 1000), 4001 as Xof)).toMatchObject({
      ok: false,
      code: 'refund_exceeds_payin',
    });
    expect(refundAmountXof(payin(5000), 0 as Xof)).toMatchObject({ ok: false, code: 'invalid_input' });
  });

  it('never lets the refunds of a payin add up to more than it paid', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2_000_000 }),
        fc.array(fc.option(fc.integer({ min: 1, max: 2_000_000 })), { maxLength: 30 }),
        (paid, asks) => {
          let refunded = 0;
          for (const ask of asks) {
            const result = refundAmountXof(payin(paid, refunded), ask === null ? undefined : (ask as Xof));
            if (result.ok) refunded += result.value;
            expect(refunded).toBeLessThanOrEqual(paid);
          }
          expect(refundableXof(payin(paid, refunded))).toBe(paid - refunded);
        },
      ),
    );
  });

  it('tells partial refunds from whole ones', () => {
    expect(isPartialRefund(payin(5000), 5000 as Xof)).toBe(false);
    expect(isPartialRefund(payin(5000), 4999 as Xof)).toBe(true);
  });
});
