import { describe, expect, it } from 'vitest';
import { failureCodeOf, momoReferenceId, outcomeOfTransaction, productOfReference } from './mtn-momo.js';

describe('MTN MoMo pure helpers', () => {
  it('derives one UUIDv4 per reference, the same on every call', () => {
    const id = momoReferenceId('po_0123456789abcdef');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(momoReferenceId('po_0123456789abcdef')).toBe(id);
    expect(momoReferenceId('po_0123456789abcdeg')).not.toBe(id);
    expect(momoReferenceId('pay_abc.1')).not.toBe(momoReferenceId('pay_abc.2'));
  });

  it('tells payouts from payin attempts by the reference', () => {
    expect(productOfReference('po_01JX2ABCDEF')).toBe('disbursement');
    expect(productOfReference('pay_01JX2ABCDEF.3')).toBe('collection');
    expect(productOfReference('pay_01JX2ABCDEF')).toBeUndefined();
    expect(productOfReference('evt_x')).toBeUndefined();
    expect(productOfReference('po_../../x')).toBeUndefined();
  });

  it.each([
    ['NOT_ENOUGH_FUNDS', 'insufficient_funds'],
    ['PAYER_NOT_FOUND', 'payer_not_found'],
    ['PAYEE_NOT_FOUND', 'payee_not_found'],
    ['PAYER_LIMIT_REACHED', 'limit_reached'],
    ['PAYEE_LIMIT_REACHED', 'limit_reached'],
    ['SENDER_ACCOUNT_NOT_ACTIVE', 'account_inactive'],
    ['NOT_ALLOWED', 'not_allowed'],
    ['NOT_ALLOWED_TARGET_ENVIRONMENT', 'not_allowed'],
    ['APPROVAL_REJECTED', 'declined'],
    ['EXPIRED', 'expired'],
    ['COULD_NOT_PERFORM_TRANSACTION', 'operator_error'],
    ['INTERNAL_PROCESSING_ERROR', 'operator_error'],
    ['SOMETHING_NEW', 'operator_error'],
  ])('maps the reason %s to %s', (reason, code) => {
    expect(failureCodeOf(reason)).toBe(code);
    expect(outcomeOfTransaction({ status: 'FAILED', reason }, 'ref')).toMatchObject({
      state: 'failed',
      code,
      reason: `${code}: ${reason}`,
    });
    expect(
      outcomeOfTransaction({ status: 'FAILED', reason: { code: reason, message: 'x' } }, 'ref'),
    ).toMatchObject({ state: 'failed', code });
  });

  it('reads SUCCESSFUL and PENDING, and knows nothing of other bodies', () => {
    expect(
      outcomeOfTransaction({ status: 'SUCCESSFUL', financialTransactionId: '1232581108' }, 'ref'),
    ).toEqual({ state: 'completed', operatorReference: '1232581108' });
    expect(outcomeOfTransaction({ status: 'SUCCESSFUL' }, 'ref')).toEqual({
      state: 'completed',
      operatorReference: 'ref',
    });
    expect(outcomeOfTransaction({ status: 'PENDING' }, 'ref')).toEqual({ state: 'pending' });
    expect(outcomeOfTransaction({ status: 'FAILED' }, 'ref')).toMatchObject({
      state: 'failed',
      code: 'operator_error',
    });
    for (const body of [null, 'SUCCESSFUL', {}, { status: 'successful' }, { status: 42 }])
      expect(outcomeOfTransaction(body, 'ref')).toBeUndefined();
  });
});
