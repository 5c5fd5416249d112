import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CauriClient,
  type CauriError,
  ERROR_MEANINGS,
  type Result,
  parseCallback,
  parseRefundCallback,
} from '../client/src/index.js';
import { encodeCallback, refundCallbackPayload } from '../src/core/callbacks.js';
import { type TestGateway, startTestGateway } from './harness.js';
import { walletPayin } from './http-helpers.js';

/** The typed client's refund methods against a live Cauri over real HTTP (ADR 0024). */
const PHONE = '22670111111';

let gw: TestGateway;
let client: CauriClient;

beforeAll(async () => {
  gw = await startTestGateway('sqlite');
  await gw.wallet(PHONE, 100_000);
  const baseUrl = await gw.app.listen({ host: '127.0.0.1', port: 0 });
  client = new CauriClient({
    apiKey: gw.project.apikey,
    apiToken: gw.project.token,
    baseUrl,
    timeoutMs: 5_000,
  });
});
afterAll(async () => gw.destroy());

function value<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.error)}`);
  return result.value;
}

function error<T>(result: Result<T>): CauriError {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('CauriClient refunds', () => {
  it("refunds in part, reads the refund back, lists the payin's refunds, and replays an idempotency key", async () => {
    const payin = await walletPayin(gw, PHONE, 4000);
    const token = String(payin.token);
    const first = value(
      await client.refund(
        { payin: token, amount: 1500, reason: 'Damaged', merchantRefundReference: 'CL-1' },
        { idempotencyKey: 'cl-key-1' },
      ),
    );
    expect(first).toMatchObject({
      status: 'completed',
      amount: 1500,
      method: 'wallet',
      payinToken: token,
      merchantRefundReference: 'CL-1',
      reason: 'Damaged',
      customer: PHONE,
    });
    expect(first.refundId).toMatch(/^rf_/);
    expect(
      value(
        await client.refund(
          { payin: token, amount: 1500, reason: 'Damaged', merchantRefundReference: 'CL-1' },
          { idempotencyKey: 'cl-key-1' },
        ),
      ),
    ).toEqual(first);
    expect(value(await client.getRefund(first.refundId))).toEqual(first);
    const rest = value(
      await client.refund({ payin: token, reason: 'The rest', merchantRefundReference: 'CL-2' }),
    );
    expect(rest.amount).toBe(2500);
    const listed = value(await client.listRefunds(token));
    expect(listed).toMatchObject({
      payinToken: token,
      payinStatus: 'completed',
      payinAmount: 4000,
      refundedAmount: 4000,
      refundableAmount: 0,
    });
    expect(listed.refunds.map((r) => r.refundId)).toEqual([first.refundId, rest.refundId]);
  });

  it('reports the refund codes as business errors with their meaning', async () => {
    const payin = await walletPayin(gw, PHONE, 1000);
    const token = String(payin.token);
    expect(
      error(
        await client.refund({
          payin: token,
          amount: 1001,
          reason: 'Too much',
          merchantRefundReference: 'CL-3',
        }),
      ),
    ).toMatchObject({
      kind: 'business',
      code: '07',
      family: 'confirmInvoice',
      meaning: ERROR_MEANINGS.confirmInvoice['07'],
    });
    value(await client.refund({ payin: token, reason: 'All', merchantRefundReference: 'CL-4' }));
    expect(
      error(await client.refund({ payin: token, reason: 'Again', merchantRefundReference: 'CL-5' })),
    ).toMatchObject({ code: '06', meaning: 'Payin already refunded in full' });
    expect(error(await client.getRefund('rf_nosuchrefund'))).toMatchObject({ code: '02' });
  });
});

describe('refund callbacks in the client', () => {
  it('parses both encodings of a refund callback, and keeps it apart from payment callbacks', () => {
    const payload = refundCallbackPayload({
      id: 'rf_abc',
      status: 'completed',
      method: 'operator',
      amount_xof: 1200,
      customer: '22670112233',
      operator_id: '11',
      operator_reference: 'SIM1',
      reason: 'Late',
      merchant_reference: 'RF-9',
      status_reason: null,
      updated_at_ms: Date.UTC(2026, 10, 22, 12),
      payin_token: 'eyJ0.x.y',
    });
    for (const encoding of ['json', 'form'] as const) {
      const parsed = parseRefundCallback(
        encodeCallback(payload, encoding),
        encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
      );
      expect(parsed).toEqual({
        ok: true,
        value: expect.objectContaining({
          refundId: 'rf_abc',
          status: 'completed',
          amount: 1200,
          payinToken: 'eyJ0.x.y',
          merchantRefundReference: 'RF-9',
          operatorReference: 'SIM1',
        }) as unknown,
      });
      expect(
        parseCallback(
          encodeCallback(payload, encoding),
          encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
        ),
      ).toEqual({ ok: false, error: 'a refund callback: parse it with parseRefundCallback' });
    }
    expect(
      parseRefundCallback(JSON.stringify({ status: 'completed', amount: 5 }), 'application/json'),
    ).toEqual({ ok: false, error: 'not a refund callback' });
  });
});
