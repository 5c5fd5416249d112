import { describe, expect, it } from 'vitest';
import type { SimDebitTable } from '../store/schema-payin-surface.js';
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

function row(overrides: Partial<SimDebitTable> = {}): SimDebitTable {
  return {
    id: 'PSH12345678',
    reference: 'pay_x.1',
    operator_id: '12',
    phone: '22674112233',
    amount_xof: 5000,
    kind: 'push',
    status: 'completed',
    reason: null,
    operator_reference: 'SIMABC',
    merchant_name: 'Shop',
    description: 'Order',
    return_url: '',
    created_at_ms: 0,
    decided_at_ms: 0,
    ...overrides,
  };
}

describe('simulator notifications', () => {
  it('parses what it signed', () => {
    expect(parseSimulatorNotification(KEY, '12', signSimulatorNotification(KEY, row()))).toEqual({
      reference: 'pay_x.1',
      outcome: { state: 'completed', operatorReference: 'SIMABC' },
    });
    expect(
      parseSimulatorNotification(
        KEY,
        '12',
        signSimulatorNotification(KEY, row({ status: 'failed', reason: 'declined' })),
      )?.outcome,
    ).toEqual({
      state: 'failed',
      reason: 'declined',
      operatorReference: 'SIMABC',
    });
  });

  it('refuses a changed field, another key, another operator, a missing or malformed signature', () => {
    const genuine = signSimulatorNotification(KEY, row({ status: 'failed', reason: 'declined' }));
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
