import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CauriClient, type CauriError, ERROR_MEANINGS, type Result } from '../client/src/index.js';
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
  client = new CauriClient({ apiKey: gw.project.apikey, apiToken: gw.project.token, baseUrl, timeoutMs: 5_000 });
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
  it('refunds in part, reads the refund back, lists the payin\'s refunds, and replays an idempotency key', async () => {
    const payin = await walletPayin(gw, PHONE, 4000);
    const token = String(payin.token);
    const first = value(await client.refund({ payin: token, amount: 1500, reason: 'Damaged', merchantRefundReference: 'CL-1' }, { idempotencyKey: 'cl-key-1' }));
    expect(first).toMatchObject({ status: 'completed', amount: 1500, method: 'wallet', payinToken: token, merchantRefundReference: 'CL-1', reason: 'Damaged', customer: PHONE });
    expect(first.refundId).toMatch(/^rf_/);
    expect(value(await client.refund({ payin: token, amount: 1500, reason: 'Damaged', merchantRefundReference: 'CL-1' }, { idempotencyKey: 'cl-key-1' }))).toEqual(first);
    expect(value(await client.getRefund(first.refundId))).toEqual(first);
    const rest = value(await client.refund({ payin: token, reason: 'The rest', merchantRefundReference: 'CL-2' }));
    expect(rest.amount).toBe(2500);
    const listed = value(await client.listRefunds(token));
    expect(listed).toMatchObject({ payinToken: token, payinStatus: 'completed', payinAmount: 4000, refundedAmount: 4000, refundableAmount: 0 });
    expect(listed.refunds.map((r) => r.refundId)).toEqual([first.refundId, rest.refundId]);
  });

  it('reports the refund codes as business errors with their meaning', async () => {
    const payin = await walletPayin(gw, PHONE, 1000);
    const token = String(payin.token);
    expect(error(await client.refund({ payin: token, amount: 1001, reason: 'Too much', merchantRefundReference: 'CL-3' }))).toMatchObject({
      kind: 'business',
      code: '07',
      family: 'confirmInvoice',
      meaning: ERROR_MEANINGS.confirmInvoice['07'],
    });
    value(await client.refund({ payin: token, reason: 'All', merchantRefundReference: 'CL-4' }));
    expect(error(await client.refund({ payin: token, reason: 'Again', merchantRefundReference: 'CL-5' }))).toMatchObject({ code: '06', meaning: 'Payin already refunded in full' });
    expect(error(await client.getRefund('rf_nosuchrefund'))).toMatchObject({ code: '02' });
  });
});
