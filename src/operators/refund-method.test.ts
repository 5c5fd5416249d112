import { describe, expect, it } from 'vitest';
import { type OperatorConnector, refundMethod } from './connector.js';

/** How a refund reaches the payer (ADR 0024), decided from the connector alone. */
const base: OperatorConnector = {
  requestCredit: () => Promise.resolve({ state: 'pending' }),
  queryStatus: () => Promise.resolve({ state: 'pending' }),
};

describe('refundMethod', () => {
  it("takes the operator's refund where the connector has one for the operator and amount", () => {
    const refunding: OperatorConnector = { ...base, refund: () => Promise.resolve({ state: 'pending' }) };
    expect(refundMethod(refunding, '11', true)).toBe('operator');
    const wholeOnly: OperatorConnector = { ...refunding, refunds: (_operatorId, partial) => !partial };
    expect(refundMethod(wholeOnly, '39', false)).toBe('operator');
    expect(refundMethod(wholeOnly, '39', true)).toBe('payout');
  });

  it('falls back to a payout where the connector pays out, and to none where it does not', () => {
    expect(refundMethod(base, '15', false)).toBe('payout');
    const debitOnly: OperatorConnector = { ...base, serves: (_operatorId, action) => action === 'debit' };
    expect(refundMethod(debitOnly, '15', false)).toBeUndefined();
  });
});
