import { describe, expect, it } from 'vitest';
import { xof } from '../core/money.js';
import type { SimDebit } from '../core/sim-debit.js';
import {
  PAYIN_MAGIC_SUFFIXES,
  SIM_NOTIFICATION_HEADER,
  parseSimulatorNotification,
  payinMagicOf,
  signSimulatorNotification,
  simulatorKey,
} from './simulator-desk.js';
import { MAGIC_SUFFIXES } from './simulator.js';

const KEY = simulatorKey('s'.repeat(32));

function debit(overrides: Partial<SimDebit> = {}): SimDebit {
  return {
    id: 'PSH12345678',
    reference: 'pay_x.1',
    operatorId: '12',
    phone: '22674112233',
    amountXof: xof(5000),
    kind: 'push',
    status: 'completed',
    reason: null,
    operatorReference: 'SIMABC',
    merchantName: 'Shop',
    description: 'Order',
    returnUrl: '',
    createdAtMs: 0,
    decidedAtMs: 0,
    ...overrides,
  };
}

describe('simulator notifications', () => {
  it('parses what it signed', () => {
    expect(parseSimulatorNotification(KEY, '12', signSimulatorNotification(KEY, debit()))).toEqual({
      reference: 'pay_x.1',
      outcome: { state: 'completed', operatorReference: 'SIMABC' },
    });
    expect(
      parseSimulatorNotification(
        KEY,
        '12',
        signSimulatorNotification(KEY, debit({ status: 'failed', reason: 'declined' })),
      )?.outcome,
    ).toEqual({
      state: 'failed',
      reason: 'declined',
      operatorReference: 'SIMABC',
    });
  });

  it('refuses a changed field, another key, another operator, a missing or malformed signature', () => {
    const genuine = signSimulatorNotification(KEY, debit({ status: 'failed', reason: 'declined' }));
    const body = genuine.body as Record<string, string>;
    expect(
      parseSimulatorNotification(KEY, '12', { ...genuine, body: { ...body, status: 'completed' } }),
    ).toBeUndefined();
    expect(
      parseSimulatorNotification(KEY, '12', { ...genuine, body: { ...body, reference: 'pay_y.1' } }),
    ).toBeUndefined();
    expect(parseSimulatorNotification(simulatorKey('t'.repeat(32)), '12', genuine)).toBeUndefined();
    expect(parseSimulatorNotification(KEY, '11', genuine)).toBeUndefined();
    expect(parseSimulatorNotification(KEY, '12', { headers: {}, body })).toBeUndefined();
    expect(
      parseSimulatorNotification(KEY, '12', { headers: { [SIM_NOTIFICATION_HEADER]: 'zz' }, body }),
    ).toBeUndefined();
    expect(parseSimulatorNotification(KEY, '12', { ...genuine, body: 'text' })).toBeUndefined();
    expect(
      parseSimulatorNotification(KEY, '12', { ...genuine, body: { ...body, reason: 1 } }),
    ).toBeUndefined();
  });
});

describe('payin magic numbers', () => {
  it('keep the payout table and add 0001 for an approval without a human', () => {
    for (const [suffix, outcome] of Object.entries(MAGIC_SUFFIXES))
      expect(PAYIN_MAGIC_SUFFIXES[suffix as keyof typeof PAYIN_MAGIC_SUFFIXES]).toEqual(outcome);
    expect(payinMagicOf('22670000001')).toEqual({ state: 'completed' });
    expect(payinMagicOf('22670000005')).toEqual({ state: 'pending' });
    expect(payinMagicOf('22670000006')).toBeUndefined();
  });
});
