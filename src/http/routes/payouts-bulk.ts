import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { WithProjectCache } from '../../commands/context.js';
import { IDEMPOTENCY_KEY_LENGTH_MAX, requestHash } from '../../commands/idempotency.js';
import {
  BULK_ENDPOINT,
  BULK_ITEMS_MAX,
  type BulkItemInput,
  type OpenedBatch,
  openBatch,
  processBatch,
} from '../../commands/payout-bulk.js';
import { type BatchView, readBatch } from '../../store/bulk-payouts.js';
import { batchCounts, batchTotals } from '../../commands/payout-bulk-view.js';
import type { PayoutDeps } from '../../commands/payout-customer.js';
import { type Project } from '../../core/project.js';
import { authenticate } from '../../commands/projects.js';
import { checkUrl } from '../../core/checkout.js';
import { parseAmountXof } from '../../core/money.js';
import { type Result, type Wiki, fail, ok, wikiUrl } from '../../core/result-codes.js';
import { errorEnvelope } from '../envelope.js';
import { PayoutCommande, firstError, text } from '../schemas.js';
import { CAURI_V1_READ_WIKI, cauriV1, success } from './cauri-v1.js';
import { envelopeOf, idempotencyKeyOf } from './common.js';
import { parsePayoutCommande } from './withdrawal-create.js';

/**
 * Bulk payouts, a Cauri extension (ADR 0025):
 *
 *   POST /cauri/v1/payouts/bulk             up to 1,000 payouts, each with its own result
 *   GET  /cauri/v1/payouts/bulk/{batchId}   the batch now: each item's payout status, counts, totals
 *
 * Each item is the body of a single payout (`commande` of withdrawal/create, spec §2.6) flattened,
 * with `kind`: `customer` (withdrawal/create) or `merchant` (straight/payout). It is validated and
 * processed exactly as that endpoint would, and answered with that endpoint's codes.
 */
const POST_WIKI: Wiki = 'createWithdrawal';
/**
 * 1,000 items of a few hundred bytes each do not fit the gateway's default body limit (64 KiB):
 * this route alone takes up to 2 MiB, still bounded, and the JSON guard still applies.
 */
export const BULK_BODY_LIMIT_BYTES = 2 * 1024 * 1024;
const BATCH_ID = /^pob_[a-z2-7]{26}$/;

export const BulkItem = Type.Object({
  kind: Type.Union([Type.Literal('customer'), Type.Literal('merchant')]),
  ...PayoutCommande.properties.commande.properties,
});
export const BulkRequest = Type.Object({
  items: Type.Array(Type.Unknown(), { minItems: 1, maxItems: BULK_ITEMS_MAX }),
  callback_url: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
});
const bulkItem = Compile(BulkItem);
const bulkRequest = Compile(BulkRequest);

/** What the bulk routes need: a payout's dependencies and the project cache that authenticates. */
type BulkDeps = PayoutDeps & WithProjectCache;

export function registerPayoutBulkRoutes(app: FastifyInstance, deps: BulkDeps): void {
  app.post(
    '/cauri/v1/payouts/bulk',
    { bodyLimit: BULK_BODY_LIMIT_BYTES, config: { wiki: POST_WIKI } },
    (request) => createBatch(deps, request),
  );
  app.get(
    '/cauri/v1/payouts/bulk/:batchId',
    { config: { wiki: CAURI_V1_READ_WIKI } },
    (request: FastifyRequest<{ Params: { batchId: string } }>) =>
      cauriV1(deps, request, CAURI_V1_READ_WIKI, async (tx, project) => {
        const { batchId } = request.params;
        const view = BATCH_ID.test(batchId) ? await readBatch(tx, batchId, project.id) : undefined;
        if (!view) return errorEnvelope(CAURI_V1_READ_WIKI, 'not_found', 'No such batch');
        return batchBody(view, true);
      }),
  );
}

async function createBatch(deps: BulkDeps, request: FastifyRequest): Promise<unknown> {
  const parsed = parseBulkRequest(request.body);
  const key = idempotencyKeyOf(request);
  const opened = await deps.db.command(async (tx): Promise<Result<OpenedBatch & { project: Project }>> => {
    const auth = await authenticate(tx, request.headers.apikey, request.headers.authorization, deps.projects);
    if (!auth.ok) return auth;
    if (key === false)
      return fail('invalid_input', `Idempotency-Key must have 1 to ${IDEMPOTENCY_KEY_LENGTH_MAX} characters`);
    if (!parsed.ok) return parsed;
    const hash = requestHash(BULK_ENDPOINT, request.body);
    const batch = await openBatch(deps, tx, auth.value, {
      key,
      hash,
      itemCount: parsed.value.items.length,
      callbackUrl: parsed.value.callbackUrl,
      clientIp: request.ip,
    });
    return batch.ok ? ok({ ...batch.value, project: auth.value }) : batch;
  });
  if (!opened.ok) return envelopeOf(POST_WIKI, opened);
  if (!parsed.ok) throw new Error('unreachable: a batch opened for a refused request');
  await processBatch(deps, opened.value.project, request.ip, opened.value, parsed.value.items, request.id);
  const view = await deps.db.command((tx) => readBatch(tx, opened.value.batch.id, opened.value.project.id));
  if (!view) throw new Error(`batch ${opened.value.batch.id} vanished`);
  return batchBody(view, false);
}

/** The request as a whole, then each item on its own: one item's fault is that item's result. */
export function parseBulkRequest(body: unknown): Result<{ items: BulkItemInput[]; callbackUrl: string }> {
  if (!bulkRequest.Check(body)) {
    const items = (body as { items?: unknown } | null)?.items;
    if (Array.isArray(items) && items.length > BULK_ITEMS_MAX)
      return fail('invalid_input', `items: at most ${BULK_ITEMS_MAX} per batch, got ${items.length}`);
    return fail('invalid_input', firstError(bulkRequest, body));
  }
  const callbackUrl = text(body.callback_url);
  if (checkUrl(callbackUrl) === undefined)
    return fail('invalid_input', 'callback_url must be an http(s) URL');
  const items = body.items.map((raw) => parseItem(raw, callbackUrl));
  refuseRepeatedTransactionIds(items);
  return ok({ items, callbackUrl });
}

function parseItem(raw: unknown, batchCallbackUrl: string): BulkItemInput {
  const fields =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const kind = fields.kind === 'customer' || fields.kind === 'merchant' ? fields.kind : '';
  const customer =
    typeof fields.customer === 'string' || typeof fields.customer === 'number'
      ? String(fields.customer).trim().slice(0, 32)
      : '';
  const amountXof = parseAmountXof(fields.amount) ?? null;
  if (!bulkItem.Check(raw))
    return { kind, amountXof, customer, request: fail('invalid_input', firstError(bulkItem, raw)) };
  // An item without its own callback URL reports to the batch's, else to the project's.
  const callbackUrl = text(raw.callback_url) === '' ? batchCallbackUrl : raw.callback_url;
  return {
    kind,
    amountXof,
    customer,
    request: parsePayoutCommande({ commande: { ...raw, callback_url: callbackUrl } }),
  };
}

/**
 * A transaction id may be used by one payout of a project (Code07). Within one batch the later
 * items that repeat an id are refused here, so that which one wins does not depend on the order
 * in which concurrent commands happen to commit.
 */
function refuseRepeatedTransactionIds(items: BulkItemInput[]): void {
  const seen = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    if (!item.request.ok) continue;
    const id = item.request.value.customData.transaction_id;
    if (id === undefined) continue;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, index);
    else
      item.request = fail('duplicate_transaction', `transaction_id ${id} is already used by item ${first}`);
  }
}

function itemWiki(kind: string): Wiki {
  return kind === 'merchant' ? 'createStraightWithdrawal' : 'createWithdrawal';
}

/**
 * The batch's answer. The create answer (`live` false) holds only what each item's command decided,
 * so that a replay with the same key gets the same answer; the status read adds each payout's
 * status now, the counts and the totals.
 */
export function batchBody(view: BatchView, live: boolean) {
  const { batch } = view;
  const byIndex = new Map(view.items.map((item) => [item.index, item]));
  const items = Array.from({ length: batch.itemCount }, (_, index) => {
    const item = byIndex.get(index);
    if (!item)
      return {
        index,
        kind: '',
        ...errorEnvelope(
          'createWithdrawal',
          'internal_error',
          'Not processed yet: send the request again with the same Idempotency-Key',
        ),
      };
    const result =
      item.resultCode === 'ok'
        ? {
            response_code: '00' as const,
            token: item.token,
            response_text: '',
            description: '',
            wiki: wikiUrl(itemWiki(item.kind)),
          }
        : errorEnvelope(
            itemWiki(item.kind),
            item.resultCode,
            item.resultDetail === '' ? undefined : item.resultDetail,
          );
    const base = { index, kind: item.kind, ...result, amount_xof: item.amountXof, customer: item.customer };
    return live ? { ...base, status: item.status, status_reason: item.statusReason ?? '' } : base;
  });
  const processed = batch.status === 'processed';
  const summary = {
    batch_id: batch.id,
    batch_status: batch.status,
    item_count: batch.itemCount,
    accepted_count: view.items.filter((item) => item.payoutId !== null).length,
    refused_count: view.items.filter((item) => item.payoutId === null).length,
    created_at: new Date(batch.createdAtMs).toISOString(),
  };
  const description = processed
    ? 'Batch processed'
    : 'Batch partly processed: send the request again with the same Idempotency-Key';
  if (!live) return success({ wiki: wikiUrl(POST_WIKI), ...summary, items }, description);
  const totals = batchTotals(view);
  return success(
    {
      wiki: wikiUrl(CAURI_V1_READ_WIKI),
      ...summary,
      processed_at: batch.processedAtMs === null ? null : new Date(batch.processedAtMs).toISOString(),
      counts: batchCounts(view),
      accepted_amount_xof: totals.acceptedXof,
      completed_amount_xof: totals.completedXof,
      items,
    },
    description,
  );
}

export type BulkRequestBody = Static<typeof BulkRequest>;
