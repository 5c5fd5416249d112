import { type AccountBalance, availableXof } from '../core/ledger.js';
import type { Tx } from './database.js';
import { toBalance } from './ledger-store.js';

/**
 * Reads of the `accounts` table for wallets, funding and the balance listings of the console and
 * the CLI. Balances change only through the ledger (ledger-store.ts); nothing here writes.
 */
export async function accountExists(tx: Tx, accountId: string): Promise<boolean> {
  const row = await tx.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst();
  return row !== undefined;
}

/** One account's balance as the console and the CLI list it. */
export interface BalanceLine {
  accountId: string;
  kind: string;
  projectId: string | null;
  operatorId: string | null;
  phone: string | null;
  postedXof: number;
  availableXof: number;
  heldXof: number;
}

/** How many accounts a balance listing shows at most. */
const BALANCE_LINES_MAX = 10_000;

export async function listBalanceLines(
  tx: Tx,
  filter: { projectId?: string | undefined; phone?: string | undefined },
): Promise<BalanceLine[]> {
  let query = tx.selectFrom('accounts').selectAll().orderBy('id');
  if (filter.projectId !== undefined) query = query.where('project_id', '=', filter.projectId);
  if (filter.phone !== undefined) query = query.where('phone', '=', filter.phone);
  const rows = await query.limit(BALANCE_LINES_MAX).execute();
  return rows.map((row) => {
    const balance = toBalance(row);
    return {
      accountId: row.id,
      kind: row.kind,
      projectId: row.project_id,
      operatorId: row.operator_id,
      phone: row.phone,
      postedXof: balance.creditsPostedXof - balance.debitsPostedXof,
      availableXof: availableXof(balance),
      heldXof: balance.debitsPendingXof,
    };
  });
}

/** Every account's balance, for the ledger's totals. */
export async function allAccountBalances(tx: Tx): Promise<AccountBalance[]> {
  return (await tx.selectFrom('accounts').selectAll().execute()).map(toBalance);
}

/** A customer wallet as the console lists it. */
export interface WalletLine {
  phone: string | null;
  holderName: string | null;
  balance: AccountBalance;
  createdAtMs: number;
}

/** Wallets, newest first, or the one of a phone number. */
export async function listWallets(
  tx: Tx,
  filter: { phone?: string | undefined; limit: number },
): Promise<WalletLine[]> {
  let query = tx
    .selectFrom('accounts')
    .selectAll()
    .where('kind', '=', 'wallet')
    .orderBy('created_at_ms', 'desc')
    .limit(filter.limit);
  if (filter.phone !== undefined) query = query.where('phone', '=', filter.phone);
  const rows = await query.execute();
  return rows.map((row) => ({
    phone: row.phone,
    holderName: row.holder_name,
    balance: toBalance(row),
    createdAtMs: Number(row.created_at_ms),
  }));
}
