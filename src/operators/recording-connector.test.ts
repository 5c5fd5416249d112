import { describe, expect, it } from 'vitest';
import type { Xof } from '../core/money.js';
import type {
  CreditRequest,
  DebitOutcome,
  DebitRequest,
  OperatorConnector,
  OperatorOutcome,
} from './connector.js';
import { exchangeRow } from '../store/operator-exchanges.js';
import {
  EXCHANGE_JSON_CHARS_MAX,
  type OperatorExchange,
  boundedJson,
  subjectOfReference,
} from '../core/operator-exchanges.js';
import { recordExchanges } from './recording-connector.js';
import {
  type SimulatorDesk,
  parseSimulatorNotification,
  signSimulatorNotification,
} from './simulator-desk.js';
import { SimulatorConnector, simulatorDeskOf } from './simulator.js';

const CLOCK = { nowMs: () => 1_700_000_000_000 };
const CREDIT: CreditRequest = {
  reference: 'po_abc',
  operatorId: '11',
  phone: '22670111111',
  amountXof: 5000 as Xof,
};
const DEBIT: DebitRequest = {
  reference: 'pay_abc.2',
  operatorId: '11',
  phone: '22670111111',
  amountXof: 5000 as Xof,
  otp: '123456',
  merchantName: 'Shop',
  description: 'Order',
  returnUrl: '',
};

/** An operator whose answers the test sets; it fails with `failure` when one is set. */
class ScriptedOperator implements OperatorConnector {
  failure: unknown;
  outcome: OperatorOutcome = { state: 'completed', operatorReference: 'OP-1' };
  requestCredit(): Promise<OperatorOutcome> {
    // A connector may reject with anything at all; the decorator must pass on whatever it gets.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return this.failure === undefined ? Promise.resolve(this.outcome) : Promise.reject(this.failure);
  }
  queryStatus(): Promise<OperatorOutcome> {
    return Promise.resolve({ state: 'pending' });
  }
  requestDebit(): Promise<DebitOutcome> {
    return Promise.resolve({ state: 'pending' });
  }
}

/** A credit-only operator, as connectors written before payins are. */
const creditOnly: OperatorConnector = {
  requestCredit: () => Promise.resolve({ state: 'pending' }),
  queryStatus: () => Promise.resolve({ state: 'pending' }),
};

function recorder(): { records: OperatorExchange[]; sink: (exchange: OperatorExchange) => Promise<void> } {
  const records: OperatorExchange[] = [];
  return { records, sink: (exchange) => Promise.resolve(void records.push(exchange)) };
}

describe('recordExchanges', () => {
  it('returns the answer and records the call with its timing', async () => {
    const { records, sink } = recorder();
    const recording = recordExchanges(new ScriptedOperator(), sink, CLOCK);
    expect(await recording.requestCredit(CREDIT)).toEqual({ state: 'completed', operatorReference: 'OP-1' });
    expect(await recording.queryStatus('po_abc', '11')).toEqual({ state: 'pending' });
    expect(records).toEqual([
      {
        action: 'credit',
        reference: 'po_abc',
        operatorId: '11',
        request: CREDIT,
        outcome: { state: 'completed', operatorReference: 'OP-1' },
        error: null,
        startedAtMs: CLOCK.nowMs(),
        latencyMs: expect.any(Number) as number,
      },
      {
        action: 'status',
        reference: 'po_abc',
        operatorId: '11',
        request: { reference: 'po_abc', operatorId: '11' },
        outcome: { state: 'pending' },
        error: null,
        startedAtMs: CLOCK.nowMs(),
        latencyMs: expect.any(Number) as number,
      },
    ]);
    expect(records[0]?.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('rethrows a failure unchanged, after recording it', async () => {
    const { records, sink } = recorder();
    const operator = new ScriptedOperator();
    const failure = new Error('connection reset by the operator');
    operator.failure = failure;
    const recording = recordExchanges(operator, sink, CLOCK);
    await expect(recording.requestCredit(CREDIT)).rejects.toBe(failure);
    expect(records).toMatchObject([
      {
        action: 'credit',
        error: 'connection reset by the operator',
        outcome: { error: 'Error', message: 'connection reset by the operator' },
      },
    ]);
    // Something thrown that is not an Error is passed on as it is too.
    operator.failure = 'timeout';
    await expect(recording.requestCredit(CREDIT)).rejects.toBe('timeout');
    expect(records[1]).toMatchObject({ error: 'timeout', outcome: { error: 'string', message: 'timeout' } });
  });

  it('a sink that rejects or throws changes nothing for the caller', async () => {
    const rejecting = recordExchanges(
      new ScriptedOperator(),
      () => Promise.reject(new Error('disk full')),
      CLOCK,
    );
    expect(await rejecting.requestCredit(CREDIT)).toMatchObject({ state: 'completed' });
    const throwing = recordExchanges(
      new ScriptedOperator(),
      () => {
        throw new Error('no database');
      },
      CLOCK,
    );
    expect(await throwing.requestCredit(CREDIT)).toMatchObject({ state: 'completed' });
    const operator = new ScriptedOperator();
    operator.failure = new Error('refused');
    await expect(
      recordExchanges(operator, () => Promise.reject(new Error('disk full')), CLOCK).requestCredit(CREDIT),
    ).rejects.toThrow('refused');
  });

  it("does not keep the customer's USSD payment code", async () => {
    const { records, sink } = recorder();
    await recordExchanges(new ScriptedOperator(), sink, CLOCK).requestDebit?.(DEBIT);
    expect(records).toMatchObject([
      { action: 'debit', reference: 'pay_abc.2', request: { ...DEBIT, otp: '***' } },
    ]);
    expect(JSON.stringify(records)).not.toContain('123456');
  });

  it('leaves out what the wrapped connector cannot do', () => {
    const recording = recordExchanges(creditOnly, recorder().sink, CLOCK);
    expect('requestDebit' in recording).toBe(false);
    expect('parseNotification' in recording).toBe(false);
  });

  it("keeps the simulator's desk reachable, and records genuine notifications only", () => {
    const desk = fakeDesk();
    const { records, sink } = recorder();
    const recording = recordExchanges(new SimulatorConnector(0, desk), sink, CLOCK);
    expect(simulatorDeskOf(recording)).toBe(desk);
    const genuine = signSimulatorNotification(desk.notificationKey, {
      reference: 'pay_abc.1',
      operatorId: '12',
      status: 'completed',
      reason: null,
      operatorReference: 'SIMX',
    });
    expect(recording.parseNotification?.('12', genuine)).toEqual({
      reference: 'pay_abc.1',
      outcome: { state: 'completed', operatorReference: 'SIMX' },
    });
    expect(recording.parseNotification?.('12', { headers: {}, body: genuine.body })).toBeUndefined();
    expect(records).toEqual([
      {
        action: 'notification',
        reference: 'pay_abc.1',
        operatorId: '12',
        request: { body: genuine.body },
        outcome: { state: 'completed', operatorReference: 'SIMX' },
        error: null,
        startedAtMs: CLOCK.nowMs(),
        latencyMs: expect.any(Number) as number,
      },
    ]);
    // The signature header is a credential: it is not recorded.
    expect(JSON.stringify(records)).not.toContain(String(Object.values(genuine.headers)[0]));
  });

  it('a notification whose record fails is still parsed', () => {
    const desk = fakeDesk();
    const recording = recordExchanges(
      new SimulatorConnector(0, desk),
      () => Promise.reject(new Error('closed')),
      CLOCK,
    );
    const notification = signSimulatorNotification(desk.notificationKey, {
      reference: 'po_x',
      operatorId: '11',
      status: 'failed',
      reason: 'declined',
      operatorReference: 'SIMY',
    });
    expect(recording.parseNotification?.('11', notification)?.outcome).toMatchObject({
      state: 'failed',
      reason: 'declined',
    });
  });
});

/** A desk that only checks notifications, with its one key (the simulator asks it since token-secret rotation, ADR 0022). */
function fakeDesk(): SimulatorDesk {
  const notificationKey = 'k'.repeat(64);
  return {
    notificationKey,
    parseNotification: (operatorId: string, raw) =>
      parseSimulatorNotification(notificationKey, operatorId, raw),
  } as Partial<SimulatorDesk> as SimulatorDesk;
}

describe('exchange rows', () => {
  it('belong to the payin or payout of their reference', () => {
    expect(subjectOfReference('po_abc')).toBe('po_abc');
    expect(subjectOfReference('pay_abc.3')).toBe('pay_abc');
    expect(subjectOfReference('pay_abc.3.x')).toBe('pay_abc');
    expect(subjectOfReference('')).toBeNull();
  });

  it('bound their JSON', () => {
    expect(boundedJson({ a: 1 })).toBe('{"a":1}');
    expect(boundedJson(undefined)).toBe('null');
    expect(boundedJson(10n)).toBe('"10"');
    const long = boundedJson({ text: 'x'.repeat(10_000) });
    expect(long).toHaveLength(EXCHANGE_JSON_CHARS_MAX);
    expect(long.endsWith('…')).toBe(true);
    const row = exchangeRow({
      action: 'debit',
      reference: 'pay_abc.1',
      operatorId: '11',
      request: { big: 'y'.repeat(5000) },
      outcome: { state: 'pending' },
      error: null,
      startedAtMs: 5,
      latencyMs: 7,
    });
    expect(row).toMatchObject({
      subject_id: 'pay_abc',
      reference: 'pay_abc.1',
      operator_id: '11',
      action: 'debit',
      outcome: '{"state":"pending"}',
      error: null,
      started_at_ms: 5,
      latency_ms: 7,
    });
    expect(row.id).toMatch(/^opx_[2-7a-z]{26}$/);
    expect(row.request).toHaveLength(EXCHANGE_JSON_CHARS_MAX);
  });
});
