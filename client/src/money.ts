/**
 * The merchant's money, a Cauri extension (`GET /cauri/v1/balances`, `GET /cauri/v1/statement`):
 * balances per operator sub-account, and the ledger entries that moved them, newest first.
 * Amounts are whole XOF.
 */
export const STATEMENT_LIMIT_MAX = 1_000;

export interface SubaccountBalance {
  operatorId: string;
  operatorName: string;
  /** What the gateway owes the merchant on this network: posted credits minus posted debits. */
  postedXof: number;
  /** Holds of payouts in flight. */
  heldXof: number;
  /** Payins the operator has not confirmed yet. */
  incomingXof: number;
  /** What payouts may still spend. */
  availableXof: number;
}

export interface Balances {
  balances: SubaccountBalance[];
  totals: { postedXof: number; heldXof: number; incomingXof: number; availableXof: number };
}

export type EntryKind = 'posting' | 'hold' | 'hold_posted' | 'hold_voided';

export interface StatementEntry {
  transferId: string;
  operatorId: string;
  direction: 'credit' | 'debit';
  /** `posting` and `hold_posted` move the posted balance; `hold` and `hold_voided` do not. */
  kind: EntryKind;
  /** Why the money moved: `wallet_payment`, `payin`, `payout_hold`, `payout`, `subaccount_funding`, … */
  type: string;
  amountXof: number;
  balanceChangeXof: number;
  /** The sub-account's posted balance once the entry applied. */
  balanceAfterXof: number;
  subjectType: 'payin' | 'payout' | null;
  subjectId: string | null;
  subjectToken: string | null;
  merchantTransactionId: string | null;
  createdAt: Date;
}

export interface StatementQuery {
  /** Inclusive; a `Date`, or `YYYY-MM-DD` (midnight UTC) or an RFC 3339 date-time. */
  from?: Date | string;
  /** Exclusive. */
  to?: Date | string;
  operatorId?: string;
  /** Transfer reasons to keep, at most 10. */
  types?: string[];
  /** 1 to 1,000; the server's default is 100. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface StatementPage {
  entries: StatementEntry[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

type Json = Record<string, unknown>;
const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value));
const strOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const objects = (value: unknown): Json[] =>
  Array.isArray(value) ? value.filter((v): v is Json => typeof v === 'object' && v !== null) : [];

export function balancesBody(body: Json): Balances {
  const totals = (typeof body.totals === 'object' && body.totals !== null ? body.totals : {}) as Json;
  return {
    balances: objects(body.balances).map((b) => ({
      operatorId: str(b.operator_id),
      operatorName: str(b.operator_name),
      postedXof: num(b.posted_xof),
      heldXof: num(b.held_xof),
      incomingXof: num(b.incoming_xof),
      availableXof: num(b.available_xof),
    })),
    totals: {
      postedXof: num(totals.posted_xof),
      heldXof: num(totals.held_xof),
      incomingXof: num(totals.incoming_xof),
      availableXof: num(totals.available_xof),
    },
  };
}

export function statementBody(body: Json): StatementPage {
  return {
    entries: objects(body.entries).map((e) => ({
      transferId: str(e.transfer_id),
      operatorId: str(e.operator_id),
      direction: e.direction === 'debit' ? 'debit' : 'credit',
      kind: str(e.kind) as EntryKind,
      type: str(e.type),
      amountXof: num(e.amount_xof),
      balanceChangeXof: num(e.balance_change_xof),
      balanceAfterXof: num(e.balance_after_xof),
      subjectType: e.subject_type === 'payin' || e.subject_type === 'payout' ? e.subject_type : null,
      subjectId: strOrNull(e.subject_id),
      subjectToken: strOrNull(e.subject_token),
      merchantTransactionId: strOrNull(e.merchant_transaction_id),
      createdAt: new Date(num(e.created_at_ms)),
    })),
    nextCursor: strOrNull(body.next_cursor),
  };
}

/** The query string of a statement request. */
export function statementQueryString(query: StatementQuery): string {
  const params = new URLSearchParams();
  const instant = (value: Date | string) => (value instanceof Date ? value.toISOString() : value);
  if (query.from !== undefined) params.set('from', instant(query.from));
  if (query.to !== undefined) params.set('to', instant(query.to));
  if (query.operatorId !== undefined) params.set('operator', query.operatorId);
  if (query.types !== undefined && query.types.length > 0) params.set('type', query.types.join(','));
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  if (query.cursor !== undefined) params.set('cursor', query.cursor);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
