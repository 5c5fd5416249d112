import { normalizePhone } from '../core/phone.js';
import { unverifiedTokenClaims } from '../core/tokens.js';
import {
  type SearchCriteria,
  type TransactionKind,
  type TransactionRow,
  findTransactions,
} from '../store/console-transactions.js';
import type { Tx } from '../store/database.js';

/**
 * What the operator console reads about payins and payouts: a search over both, and the full story
 * of one transaction (its state changes, ledger transfers, operator exchanges and callbacks). This
 * file turns a search form into criteria and merges the two tables' results; the queries, and the
 * story, are read models in store/console-transactions.ts. The HTTP side is src/http/console/.
 */
export const SEARCH_LIMIT_MAX = 200;

export interface TransactionFilter {
  kind?: TransactionKind;
  token?: string;
  requestId?: string;
  /** Any spelling `normalizePhone` accepts (`+226 70 …`); compared with the stored `customer`. */
  phone?: string;
  merchantTransactionId?: string;
  status?: string;
  operatorId?: string;
  projectId?: string;
  /** Created at or after this instant. */
  fromMs?: number;
  /** Created at or before this instant. */
  toMs?: number;
  /** Created strictly before this instant: the cursor of the next page. */
  beforeMs?: number;
}

/** Payins, then payouts, newest first, at most `limit` (capped at SEARCH_LIMIT_MAX) of them. */
export async function searchTransactions(
  tx: Tx,
  filter: TransactionFilter,
  limit: number,
): Promise<TransactionRow[]> {
  const rowsMax = Math.min(
    Math.max(Number.isFinite(limit) ? Math.trunc(limit) : SEARCH_LIMIT_MAX, 1),
    SEARCH_LIMIT_MAX,
  );
  const criteria = criteriaOf(filter);
  if (criteria === undefined) return [];
  const found: TransactionRow[] = [];
  for (const table of ['payins', 'payouts'] as const) {
    const kind = table === 'payins' ? 'payin' : 'payout';
    if (criteria.kinds.includes(kind)) found.push(...(await findTransactions(tx, table, criteria, rowsMax)));
  }
  return found.sort(newestFirst).slice(0, rowsMax);
}

/** The filter as columns to match; undefined when nothing can match (a token that is not one). */
function criteriaOf(filter: TransactionFilter): SearchCriteria | undefined {
  let kinds: TransactionKind[] = filter.kind === undefined ? ['payin', 'payout'] : [filter.kind];
  const equal: SearchCriteria['equal'] = [];
  if (filter.token !== undefined) {
    // A token names its transaction's number (a unique index) and whether it is a payin or a
    // payout; the token itself is compared too, so the unverified decoding decides nothing alone.
    const claim = unverifiedTokenClaims(filter.token);
    if (claim === undefined) return undefined;
    kinds = kinds.filter((kind) => kind === claim.kind);
    equal.push(['number', claim.number], ['token', filter.token]);
  }
  if (filter.phone !== undefined)
    equal.push(['customer', normalizePhone(filter.phone) ?? filter.phone.trim()]);
  if (filter.requestId !== undefined) equal.push(['request_id', filter.requestId]);
  if (filter.merchantTransactionId !== undefined)
    equal.push(['merchant_transaction_id', filter.merchantTransactionId]);
  if (filter.status !== undefined) equal.push(['status', filter.status]);
  if (filter.operatorId !== undefined) equal.push(['operator_id', filter.operatorId]);
  if (filter.projectId !== undefined) equal.push(['project_id', filter.projectId]);
  return { kinds, equal, fromMs: filter.fromMs, toMs: filter.toMs, beforeMs: filter.beforeMs };
}

function newestFirst(a: TransactionRow, b: TransactionRow): number {
  return b.createdAtMs - a.createdAtMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
