import type { TransferKind } from './ledger.js';

/**
 * The merchant statement's pure rules (ADR 0023): what one ledger transfer looks like from one of
 * the project's sub-accounts, the order of entries and their cursor keys, and the CSV encoding.
 */

/** How an entry moved the sub-account: only `posting` and `hold_posted` change the posted balance. */
export type EntryKind = 'posting' | 'hold' | 'hold_posted' | 'hold_voided';

export const ENTRY_KINDS: Readonly<Record<TransferKind, EntryKind>> = {
  single: 'posting',
  pending: 'hold',
  post_pending: 'hold_posted',
  void_pending: 'hold_voided',
};

export type Direction = 'debit' | 'credit';

/** The side of the transfer the sub-account is on; a cursor key orders credit before debit within one transfer. */
export const SIDES: Readonly<Record<Direction, 0 | 1>> = { debit: 0, credit: 1 };

export interface StatementEntry {
  transferId: string;
  /** Order of application (migration 0017): entries sort by (seq, side), newest first. */
  seq: number;
  operatorId: string;
  direction: Direction;
  kind: EntryKind;
  /** Why the money moved, as the ledger records it: `wallet_payment`, `payout_hold`, `subaccount_funding`, … */
  type: string;
  amountXof: number;
  /** What the entry did to the posted balance: ± amount for postings, 0 for holds and their voids. */
  balanceChangeXof: number;
  /** The sub-account's posted balance once the entry applied. */
  balanceAfterXof: number;
  subjectType: 'payin' | 'payout' | null;
  subjectId: string | null;
  subjectToken: string | null;
  merchantTransactionId: string | null;
  createdAtMs: number;
}

/** The posted balance change of one side of a transfer. */
export function balanceChangeXof(kind: TransferKind, direction: Direction, amountXof: number): number {
  if (kind !== 'single' && kind !== 'post_pending') return 0;
  return direction === 'credit' ? amountXof : -amountXof;
}

/** Newest first: by seq, then credit side before debit side (a transfer between two of the project's sub-accounts). */
export function compareEntries(
  a: Pick<StatementEntry, 'seq' | 'direction'>,
  b: Pick<StatementEntry, 'seq' | 'direction'>,
): number {
  if (a.seq !== b.seq) return b.seq - a.seq;
  return SIDES[b.direction] - SIDES[a.direction];
}

export const CSV_COLUMNS = [
  'created_at',
  'operator_id',
  'direction',
  'kind',
  'type',
  'amount_xof',
  'balance_change_xof',
  'balance_after_xof',
  'transfer_id',
  'subject_type',
  'subject_id',
  'subject_token',
  'merchant_transaction_id',
] as const;

/**
 * One CSV field (RFC 4180 §2): quoted when it holds a comma, a quote or a line break, quotes
 * doubled. Text that a spreadsheet would run as a formula (starting with = + - @, a tab or a
 * carriage return; OWASP "CSV Injection") gets a leading apostrophe. Numbers are written as they
 * are: the gateway formats them, and a negative integer is no formula.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function csvRow(entry: StatementEntry): string {
  const cells: (string | number | null)[] = [
    new Date(entry.createdAtMs).toISOString(),
    entry.operatorId,
    entry.direction,
    entry.kind,
    entry.type,
    entry.amountXof,
    entry.balanceChangeXof,
    entry.balanceAfterXof,
    entry.transferId,
    entry.subjectType,
    entry.subjectId,
    entry.subjectToken,
    entry.merchantTransactionId,
  ];
  return cells.map(csvField).join(',');
}

/** The whole document: a header row, then one row per entry, each line ending CRLF (RFC 4180 §2.1). */
export function statementCsv(entries: readonly StatementEntry[]): string {
  return [CSV_COLUMNS.join(','), ...entries.map(csvRow)].map((line) => `${line}\r\n`).join('');
}
