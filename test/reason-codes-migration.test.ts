import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xof } from '../src/core/money.js';
import type { Payin } from '../src/core/payin.js';
import type { Payout } from '../src/core/payout.js';
import { backfillReasonCodes } from '../src/store/migration-0019-reason-codes.js';
import { payinToRow } from '../src/store/payin-rows.js';
import { payoutToRow } from '../src/store/payout-rows.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';

/**
 * Migration 0019 gives the payins and payouts written before reason codes existed the code their
 * prose was written for (ADR 0028), so that code deciding on codes reads old rows right: a payin
 * cancelled last month is still `customer_cancelled` on the payment page.
 */
const PAYIN_PROSE: ReadonlyArray<readonly [string, 'pending' | 'notcompleted', string]> = [
  ['cancelled by the customer', 'notcompleted', 'customer_cancelled'],
  ['payment page expired unused after 24 hours', 'notcompleted', 'page_expired'],
  ['the customer left the payment page while Orange Burkina was asked', 'pending', 'customer_left'],
  ['operator call failed (socket hang up); its status will be queried', 'pending', 'operator_call_failed'],
  ['attempt 2 refused by the operator: declined', 'pending', 'attempt_refused'],
  ['operator still pending after 6 status queries; needs review', 'pending', 'operator_pending_review'],
  ['operator still pending at status query 2 (2026-01-01T00:00:00.000Z)', 'pending', 'operator_pending'],
  ['awaiting Moov Burkina', 'pending', 'awaiting_operator'],
  ['insufficient funds on the payer account', 'notcompleted', 'operator_failed'],
];

const PAYOUT_PROSE: ReadonlyArray<readonly [string, 'pending' | 'notcompleted', string]> = [
  ['awaiting operator', 'pending', 'awaiting_operator'],
  ['operator still pending after 5 attempts; needs review', 'pending', 'operator_pending_review'],
  ['queued: operator 11 unavailable since 2026-01-01T00:00:00.000Z', 'pending', 'operator_unavailable'],
  ['declined: number not registered', 'notcompleted', 'operator_failed'],
];

function oldPayin(projectId: string, index: number, reason: string, status: Payin['status']): Payin {
  return {
    id: `pay_old${index}`,
    number: `90000000000${index}`,
    token: `token-${index}`,
    projectId,
    requestId: `req-${index}`,
    kind: 'hosted',
    status,
    amountXof: xof(1_000),
    customer: null,
    operatorId: null,
    description: '',
    customData: '{}',
    externalId: '',
    merchantTransactionId: null,
    callbackUrl: '',
    logfile: '',
    hash: '',
    statusReason: reason,
    statusReasonCode: null,
    createdAtMs: 1,
    updatedAtMs: 1,
    refundedXof: xof(0),
  };
}

function oldPayout(projectId: string, index: number, reason: string, status: Payout['status']): Payout {
  return {
    id: `po_old${index}`,
    number: `80000000000${index}`,
    token: `token-po-${index}`,
    projectId,
    requestId: `req-po-${index}`,
    kind: 'merchant',
    topUpWallet: false,
    status,
    amountXof: xof(1_000),
    customer: '22670000000',
    operatorId: '11',
    description: '',
    customData: '{}',
    externalId: `ext-${index}`,
    merchantTransactionId: null,
    callbackUrl: '',
    logfile: '',
    hash: '',
    pendingTransferId: null,
    dispatchState: 'queued',
    dispatchAttempts: 0,
    dispatchAfterMs: 0,
    dispatchOwner: null,
    operatorReference: null,
    statusReason: reason,
    statusReasonCode: null,
    createdAtMs: 1,
    updatedAtMs: 1,
  };
}

describe.each(BACKENDS)('migration 0019, reason codes of old rows, on %s', (backend) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(backend);
  });
  afterAll(async () => {
    await gw.destroy();
  });

  it('gives each old payin and payout the code its prose was written for', async () => {
    const projectId = gw.project.id;
    const codes = await gw.gw.db.command(async (tx) => {
      for (const [index, [reason, status]] of PAYIN_PROSE.entries()) {
        await tx
          .insertInto('payins')
          .values(payinToRow(oldPayin(projectId, index, reason, status)))
          .execute();
      }
      for (const [index, [reason, status]] of PAYOUT_PROSE.entries()) {
        await tx
          .insertInto('payouts')
          .values(payoutToRow(oldPayout(projectId, index, reason, status)))
          .execute();
      }
      await backfillReasonCodes(tx as unknown as Kysely<unknown>);
      const payins = await tx
        .selectFrom('payins')
        .select(['status_reason', 'status_reason_code'])
        .where('id', 'like', 'pay_old%')
        .execute();
      const payouts = await tx
        .selectFrom('payouts')
        .select(['status_reason', 'status_reason_code'])
        .where('id', 'like', 'po_old%')
        .execute();
      return [...payins, ...payouts].map((r) => [r.status_reason, r.status_reason_code]);
    });
    const expected = [...PAYIN_PROSE, ...PAYOUT_PROSE].map(([reason, , code]) => [reason, code]);
    expect(codes).toEqual(expect.arrayContaining(expected));
    expect(codes).toHaveLength(expected.length);
  });
});
