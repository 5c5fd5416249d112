import type { BulkItemKind, PayoutBatch, PayoutBatchItem } from '../core/bulk-payout.js';
import { newId } from '../core/ids.js';
import { commandFor } from './request-context.js';
import type { Xof } from '../core/money.js';
import { type Result, type ResultCode, fail, ok } from '../core/result-codes.js';
import type { Payout } from '../core/payout.js';
import {
  findBatchToResume,
  insertBatch as insertBatchRow,
  insertBatchItem,
  markBatchProcessed,
} from '../store/bulk-payouts.js';
import { type Tx, uniqueViolation } from '../store/database.js';
import type { WithClock, WithDb } from './context.js';
import { claimKey, settleKey } from './idempotency.js';
import { type PayoutDeps, type PayoutRequest, createCustomerPayout } from './payout-customer.js';
import { createMerchantPayout } from './payout-merchant.js';
import { type Project } from '../core/project.js';
import { ipAllowed } from './projects.js';

/**
 * Bulk payouts, `POST /cauri/v1/payouts/bulk` (ADR 0025): up to 1,000 payouts in one request, each
 * one an ordinary customer or merchant payout made by the same commands as the single endpoints,
 * with its own result and its own callback.
 *
 * Transactions: the batch row (and the `Idempotency-Key`'s record, pointing at it) commits first,
 * in a command of its own. Each item is then its own command: its payout, its ledger transfers,
 * its outbox row and its item row commit together, so one refused item rolls back nothing of the
 * others. The item row's primary key (batch, index) makes an item happen at most once: a retry
 * with the same key after a crash finds the batch, skips the items that have their row, and runs
 * the rest; two runs of the same batch at once collide on the key and the loser rolls back.
 */
export const BULK_ITEMS_MAX = 1_000;
/**
 * Items in flight at once. The store group-commits concurrent commands, so a window of commands is
 * much faster than one at a time; the bound keeps a batch from filling the store's queue ahead of
 * other merchants' single requests for long.
 */
export const BULK_ITEMS_IN_FLIGHT_MAX = 128;
export const BULK_ENDPOINT = 'payouts/bulk';
/** A refusal's detail as stored; the envelope shows at most 300 characters of it anyway. */
const RESULT_DETAIL_LENGTH_MAX = 300;

/** One item as the HTTP layer read it: a request to run, or the refusal its validation produced. */
export interface BulkItemInput {
  kind: BulkItemKind;
  amountXof: Xof | null;
  customer: string;
  request: Result<PayoutRequest>;
}

export interface OpenedBatch {
  batch: PayoutBatch;
  /** Indexes of the items that already have their row (a resumed batch). */
  doneIndexes: Set<number>;
}

/**
 * Creates the batch, or finds it again: with a key, a request with the same key and body resumes
 * the batch it created (ADR 0016's claim, recorded with the batch id); another body is refused.
 * The whole request is refused when no item could pass: payouts off, or a denied IP.
 */
export async function openBatch(
  deps: WithDb & WithClock,
  tx: Tx,
  project: Project,
  p: { key: string | undefined; hash: string; itemCount: number; callbackUrl: string; clientIp: string },
): Promise<Result<OpenedBatch>> {
  if (!project.payoutEnabled) return fail('payout_disabled');
  if (!ipAllowed(project, p.clientIp))
    return fail('ip_denied', `IP ${p.clientIp} is not allowed for this project`);
  const nowMs = deps.clock.nowMs();
  if (p.key !== undefined) {
    const owner = { projectId: project.id, key: p.key };
    const claim = await claimKey(tx, deps.db.dialect, owner, BULK_ENDPOINT, p.hash, nowMs);
    if (claim.kind === 'conflict') return fail('idempotency_conflict');
    if (claim.kind === 'replay') return resumeBatch(tx, project.id, claim.response);
    const batch = await insertBatch(tx, project, p, nowMs);
    await settleKey(tx, owner, { succeeded: true, body: { batch_id: batch.id } });
    return ok({ batch, doneIndexes: new Set() });
  }
  return ok({ batch: await insertBatch(tx, project, p, nowMs), doneIndexes: new Set() });
}

async function insertBatch(
  tx: Tx,
  project: Project,
  p: { key: string | undefined; hash: string; itemCount: number; callbackUrl: string },
  nowMs: number,
): Promise<PayoutBatch> {
  const batch: PayoutBatch = {
    id: newId('pob', nowMs),
    projectId: project.id,
    idempotencyKey: p.key ?? null,
    requestHash: p.hash,
    itemCount: p.itemCount,
    callbackUrl: p.callbackUrl,
    status: 'processing',
    createdAtMs: nowMs,
    processedAtMs: null,
  };
  await insertBatchRow(tx, batch);
  return batch;
}

async function resumeBatch(tx: Tx, projectId: string, recorded: unknown): Promise<Result<OpenedBatch>> {
  const batchId = (recorded as { batch_id?: unknown } | null)?.batch_id;
  if (typeof batchId !== 'string') return fail('idempotency_conflict');
  const found = await findBatchToResume(tx, batchId, projectId);
  return found === undefined ? fail('idempotency_conflict') : ok(found);
}

/** One item's command: its payout (or its refusal) and its row, in one transaction. */
export async function runBatchItem(
  deps: PayoutDeps,
  tx: Tx,
  project: Project,
  clientIp: string,
  batchId: string,
  index: number,
  item: BulkItemInput,
): Promise<void> {
  const payout = await payoutOf(deps, tx, project, clientIp, item);
  await insertItem(tx, {
    batchId,
    itemIndex: index,
    kind: item.kind,
    amountXof: payout.ok ? payout.value.amountXof : item.amountXof,
    customer: payout.ok ? payout.value.customer : item.customer,
    payoutId: payout.ok ? payout.value.id : null,
    resultCode: payout.ok ? 'ok' : payout.code,
    resultDetail: payout.ok ? '' : (payout.detail ?? '').slice(0, RESULT_DETAIL_LENGTH_MAX),
    createdAtMs: deps.clock.nowMs(),
  });
}

function payoutOf(
  deps: PayoutDeps,
  tx: Tx,
  project: Project,
  clientIp: string,
  item: BulkItemInput,
): Promise<Result<Payout>> {
  if (!item.request.ok) return Promise.resolve(item.request);
  if (item.kind === 'customer') return createCustomerPayout(deps, tx, project, clientIp, item.request.value);
  return createMerchantPayout(deps, tx, project, clientIp, item.request.value);
}

/** An item's row, deferred (store/bulk-payouts.ts): on PostgreSQL it travels with the command's other writes. */
function insertItem(tx: Tx, item: PayoutBatchItem): Promise<void> {
  return insertBatchItem(tx, item);
}

/** A refusal recorded after the item's own command failed on a unique index (see `runItem`). */
async function recordRefusal(
  deps: WithClock,
  tx: Tx,
  batchId: string,
  index: number,
  item: BulkItemInput,
  code: ResultCode,
): Promise<void> {
  await insertItem(tx, {
    batchId,
    itemIndex: index,
    kind: item.kind,
    amountXof: item.amountXof,
    customer: item.customer,
    payoutId: null,
    resultCode: code,
    resultDetail: '',
    createdAtMs: deps.clock.nowMs(),
  });
}

/**
 * Runs one item's command. A unique violation is an answer, not a failure: on the payouts'
 * (project, transaction id) index, another payout won the id (Code07, as for a single payout); on
 * the item's key, another run of this batch recorded the item first. Any other error leaves the
 * item without a row, so the batch stays `processing` and a retry with the same key runs it.
 */
async function runItem(
  deps: PayoutDeps,
  project: Project,
  clientIp: string,
  batchId: string,
  index: number,
  item: BulkItemInput,
  requestId: string | undefined,
): Promise<boolean> {
  try {
    // Like a single payout: the item's writes name the request (ADR 0020), and items run as a
    // wave on PostgreSQL (ADR 0019): a payout and an item row, inserted, touch nothing else.
    await commandFor(
      deps.db,
      requestId,
      (tx) => runBatchItem(deps, tx, project, clientIp, batchId, index, item),
      { concurrent: true },
    );
    return true;
  } catch (error) {
    const violated = uniqueViolation(error);
    if (violated?.includes('payout_batch_items') === true) return true;
    if (violated?.includes('merchant_transaction') !== true) return false;
    try {
      await deps.db.command((tx) => recordRefusal(deps, tx, batchId, index, item, 'duplicate_transaction'));
      return true;
    } catch (second) {
      return uniqueViolation(second)?.includes('payout_batch_items') === true;
    }
  }
}

/**
 * Runs the items that have no row yet, at most BULK_ITEMS_IN_FLIGHT_MAX at once, then marks the
 * batch `processed` once every item has its row. Answers how many items are still without one.
 */
export async function processBatch(
  deps: PayoutDeps,
  project: Project,
  clientIp: string,
  opened: OpenedBatch,
  items: readonly BulkItemInput[],
  requestId?: string,
): Promise<number> {
  const todo = items.flatMap((_, index) => (opened.doneIndexes.has(index) ? [] : [index]));
  let next = 0;
  let missing = 0;
  const lane = async (): Promise<void> => {
    for (let position = next++; position < todo.length; position = next++) {
      const index = todo[position] as number;
      if (
        !(await runItem(
          deps,
          project,
          clientIp,
          opened.batch.id,
          index,
          items[index] as BulkItemInput,
          requestId,
        ))
      )
        missing++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(BULK_ITEMS_IN_FLIGHT_MAX, todo.length) }, lane));
  if (missing === 0 && opened.batch.status !== 'processed')
    await deps.db.command((tx) => markBatchProcessed(tx, opened.batch, deps.clock.nowMs()));
  return missing;
}
