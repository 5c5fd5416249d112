import { describe, expect, it } from 'vitest';
import { AssertionError } from './assert.js';
import {
  DISPATCH_ATTEMPTS_MAX,
  DISPATCH_RETRY_MAX_MS,
  DISPATCH_RETRY_MS,
  type DispatchState,
  type PayoutStatus,
  dispatchMove,
  payoutReasonProse,
  payoutTransition,
  retryDelayMs,
  stillPending,
} from './payout.js';

const STATUSES: readonly PayoutStatus[] = ['pending', 'completed', 'notcompleted'];
const DISPATCH_STATES: readonly DispatchState[] = ['none', 'queued', 'sent', 'review', 'done'];

describe('payoutTransition', () => {
  it('lets a pending payout complete, fail, or stay pending with a new reason', () => {
    for (const to of STATUSES) expect(() => payoutTransition('pending', to)).not.toThrow();
  });

  it('refuses any move of a final payout, to itself included', () => {
    for (const from of ['completed', 'notcompleted'] as const)
      for (const to of STATUSES) expect(() => payoutTransition(from, to)).toThrow(AssertionError);
  });
});

describe('dispatchMove', () => {
  const allowed: ReadonlyArray<readonly [DispatchState, DispatchState]> = [
    ['queued', 'sent'],
    ['queued', 'review'],
    ['queued', 'done'],
    ['sent', 'sent'],
    ['sent', 'review'],
    ['sent', 'done'],
    ['review', 'review'],
    ['review', 'done'],
  ];

  it('allows the moves the dispatcher, the settlement and the resolver make', () => {
    for (const [from, to] of allowed) expect(() => dispatchMove(from, to)).not.toThrow();
  });

  it('refuses every other move', () => {
    for (const from of DISPATCH_STATES)
      for (const to of DISPATCH_STATES) {
        if (allowed.some(([a, b]) => a === from && b === to)) continue;
        expect(() => dispatchMove(from, to), `${from} -> ${to}`).toThrow(AssertionError);
      }
  });
});

describe('payoutReasonProse', () => {
  it('words each code as the payouts have always recorded it', () => {
    expect(payoutReasonProse({ code: 'awaiting_operator' })).toBe('awaiting operator');
    expect(payoutReasonProse({ code: 'operator_pending_review', attempts: 20 })).toBe(
      'operator still pending after 20 attempts; needs review',
    );
    expect(
      payoutReasonProse({
        code: 'operator_unavailable',
        operatorId: '11',
        downSinceMs: Date.UTC(2026, 0, 2, 3, 4, 5),
      }),
    ).toBe('queued: operator 11 unavailable since 2026-01-02T03:04:05.000Z');
    expect(payoutReasonProse({ code: 'operator_unavailable', operatorId: '11', downSinceMs: null })).toBe(
      'queued: operator 11 unavailable',
    );
    expect(payoutReasonProse({ code: 'operator_failed', operatorReason: 'insufficient funds' })).toBe(
      'insufficient funds',
    );
  });
});

describe('stillPending', () => {
  it('asks again after a doubling back-off while attempts remain', () => {
    expect(stillPending(1, 1_000)).toEqual({
      dispatchState: 'sent',
      dispatchAfterMs: 1_000 + DISPATCH_RETRY_MS,
      statusReasonCode: 'awaiting_operator',
      statusReason: 'awaiting operator',
    });
    expect(retryDelayMs(3)).toBe(4 * DISPATCH_RETRY_MS);
    expect(retryDelayMs(DISPATCH_ATTEMPTS_MAX)).toBe(DISPATCH_RETRY_MAX_MS);
  });

  it('leaves the payout for a person after the last attempt', () => {
    expect(stillPending(DISPATCH_ATTEMPTS_MAX, 0)).toEqual({
      dispatchState: 'review',
      dispatchAfterMs: DISPATCH_RETRY_MAX_MS,
      statusReasonCode: 'operator_pending_review',
      statusReason: `operator still pending after ${DISPATCH_ATTEMPTS_MAX} attempts; needs review`,
    });
  });
});
