import { describe, expect, it } from 'vitest';
import { AssertionError, oneOf } from './assert.js';

describe('oneOf', () => {
  const STATUSES = ['pending', 'completed'] as const;

  it('returns a listed value as the list type', () => {
    const status: 'pending' | 'completed' = oneOf(STATUSES, 'completed', 'payin status', 'pay_1');
    expect(status).toBe('completed');
  });

  it('throws an assertion naming the field and the row for anything else', () => {
    expect(() => oneOf(STATUSES, 'refunded', 'payin status', 'pay_1')).toThrow(AssertionError);
    expect(() => oneOf(STATUSES, 'refunded', 'payin status', 'pay_1')).toThrow(
      'payin status of pay_1 is unknown: refunded',
    );
  });
});
