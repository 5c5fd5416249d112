import { type ErrorFamily, errorMeaning, extractErrorCode } from './codes.js';
import type { BusinessError, PayoutKind } from './types.js';

/**
 * Bulk payouts, a Cauri extension (`POST /cauri/v1/payouts/bulk`, `GET /cauri/v1/payouts/bulk/{id}`):
 * up to 1,000 payouts in one request, each with its own result. An item's refusal is a value in
 * its slot, with the error of the single endpoint it stands for.
 */
export const BULK_PAYOUT_ITEMS_MAX = 1_000;

export interface BulkPayoutItemInput {
  /** `customer`: as createCustomerPayout (withdrawal/create); `merchant`: as createMerchantPayout (straight/payout). */
  kind: PayoutKind;
  amount: number;
  description: string;
  customer: string;
  /** Customer payouts only: credit the LigdiCash wallet (true, the default) or send on to mobile money. */
  topUpWallet?: boolean;
  /** Defaults to the batch's `callbackUrl`, then to the project's. */
  callbackUrl?: string;
  customData?: Record<string, string>;
}

export interface BulkPayoutInput {
  items: BulkPayoutItemInput[];
  /** For the items that name none. */
  callbackUrl?: string;
}

export type BulkItemResult =
  | { index: number; kind: PayoutKind | ''; ok: true; token: string; amount: number | null; customer: string }
  | {
      index: number;
      kind: PayoutKind | '';
      ok: false;
      error: BusinessError;
      amount: number | null;
      customer: string;
    };

export interface BulkPayoutCreated {
  batchId: string;
  /** `processing` while some items have not run (send the same request with the same key again), then `processed`. */
  batchStatus: 'processing' | 'processed';
  itemCount: number;
  acceptedCount: number;
  refusedCount: number;
  createdAt: string;
  items: BulkItemResult[];
}

export type BulkItemStatus = BulkItemResult & {
  status: 'pending' | 'completed' | 'notcompleted' | 'refused';
  statusReason: string;
};

export interface BulkPayoutStatus extends Omit<BulkPayoutCreated, 'items'> {
  processedAt: string | null;
  counts: Record<'pending' | 'completed' | 'notcompleted' | 'refused' | 'unprocessed', number>;
  acceptedAmount: number;
  completedAmount: number;
  items: BulkItemStatus[];
}

type Json = Record<string, unknown>;
const str = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
const num = (value: unknown): number => (typeof value === 'number' ? value : 0);
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function bulkPayoutBody(input: BulkPayoutInput): Json {
  return {
    ...(input.callbackUrl !== undefined ? { callback_url: input.callbackUrl } : {}),
    items: input.items.map((item) => ({
      kind: item.kind,
      amount: item.amount,
      description: item.description,
      customer: item.customer,
      ...(item.kind === 'customer' ? { top_up_wallet: item.topUpWallet === false ? 0 : 1 } : {}),
      ...(item.callbackUrl !== undefined ? { callback_url: item.callbackUrl } : {}),
      custom_data: item.customData ?? {},
    })),
  };
}

function itemOf(raw: unknown): BulkItemResult {
  const item = isObject(raw) ? raw : {};
  const kind = item.kind === 'customer' || item.kind === 'merchant' ? item.kind : '';
  const common = {
    index: num(item.index),
    kind,
    amount: typeof item.amount_xof === 'number' ? item.amount_xof : null,
    customer: str(item.customer),
  } as const;
  if (item.response_code === '00') return { ...common, ok: true, token: str(item.token) };
  const family: ErrorFamily = kind === 'merchant' ? 'createStraightWithdrawal' : 'createWithdrawal';
  const responseText = str(item.response_text);
  const code = extractErrorCode(responseText);
  const error: BusinessError = {
    kind: 'business',
    code,
    family,
    meaning: errorMeaning(family, code),
    description: str(item.description),
    responseText,
    responseCode: str(item.response_code),
    wiki: str(item.wiki),
  };
  return { ...common, ok: false, error };
}

function summaryOf(body: Json): Omit<BulkPayoutCreated, 'items'> {
  return {
    batchId: str(body.batch_id),
    batchStatus: body.batch_status === 'processed' ? 'processed' : 'processing',
    itemCount: num(body.item_count),
    acceptedCount: num(body.accepted_count),
    refusedCount: num(body.refused_count),
    createdAt: str(body.created_at),
  };
}

export function bulkCreated(body: Json): BulkPayoutCreated {
  return { ...summaryOf(body), items: (Array.isArray(body.items) ? body.items : []).map(itemOf) };
}

const STATUSES = ['pending', 'completed', 'notcompleted', 'refused'] as const;

export function bulkStatus(body: Json): BulkPayoutStatus {
  const counts = isObject(body.counts) ? body.counts : {};
  const items = (Array.isArray(body.items) ? body.items : []).map((raw): BulkItemStatus => {
    const item = isObject(raw) ? raw : {};
    const status = STATUSES.find((s) => s === item.status) ?? 'refused';
    return { ...itemOf(raw), status, statusReason: str(item.status_reason) };
  });
  return {
    ...summaryOf(body),
    processedAt: typeof body.processed_at === 'string' ? body.processed_at : null,
    counts: {
      pending: num(counts.pending),
      completed: num(counts.completed),
      notcompleted: num(counts.notcompleted),
      refused: num(counts.refused),
      unprocessed: num(counts.unprocessed),
    },
    acceptedAmount: num(body.accepted_amount_xof),
    completedAmount: num(body.completed_amount_xof),
    items,
  };
}
