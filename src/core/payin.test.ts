import { describe, expect, it } from 'vitest';
import { AssertionError } from './assert.js';
import { type PayinReason, type PayinStatus, payinReasonProse, payinTransition } from './payin.js';

const STATUSES: readonly PayinStatus[] = ['pending', 'completed', 'notcompleted'];

describe('payinTransition', () => {
  it('lets a pending payin complete, fail, or stay pending with a new reason', () => {
    for (const to of STATUSES) expect(() => payinTransition('pending', to)).not.toThrow();
  });

  it('refuses every change of a final payin, even to the same status', () => {
    for (const from of ['completed', 'notcompleted'] as const) {
      for (const to of STATUSES) expect(() => payinTransition(from, to)).toThrow(AssertionError);
    }
  });
});

describe('payinReasonProse', () => {
  const cases: Array<[PayinReason, string]> = [
    [{ code: 'awaiting_operator', operatorName: 'AIRTEL NIGER' }, 'awaiting AIRTEL NIGER'],
    [
      { code: 'operator_call_failed', error: 'connect ECONNREFUSED' },
      'operator call failed (connect ECONNREFUSED); its status will be queried',
    ],
    [
      { code: 'attempt_refused', attempt: 2, operatorReason: 'wrong OTP' },
      'attempt 2 refused by the operator: wrong OTP',
    ],
    [
      { code: 'operator_pending', query: 3, atMs: Date.UTC(2026, 0, 2, 3, 4, 5, 6) },
      'operator still pending at status query 3 (2026-01-02T03:04:05.006Z)',
    ],
    [
      { code: 'operator_pending_review', queries: 20 },
      'operator still pending after 20 status queries; needs review',
    ],
    [
      { code: 'customer_left', operatorName: 'the operator' },
      'the customer left the payment page while the operator was asked',
    ],
    [{ code: 'customer_cancelled' }, 'cancelled by the customer'],
    [{ code: 'page_expired' }, 'payment page expired unused after 24 hours'],
    [{ code: 'operator_failed', operatorReason: 'insufficient funds' }, 'insufficient funds'],
  ];

  it.each(cases)('writes %o as the prose Cauri has always written', (reason, prose) => {
    expect(payinReasonProse(reason)).toBe(prose);
  });

  it('keeps 200 characters of an operator call error', () => {
    const prose = payinReasonProse({ code: 'operator_call_failed', error: 'x'.repeat(300) });
    expect(prose).toBe(`operator call failed (${'x'.repeat(200)}); its status will be queried`);
  });
});
