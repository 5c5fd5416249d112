import { assert } from './assert.js';
import { type Xof, xof } from './money.js';

/**
 * The double-entry ledger's pure rules, after TigerBeetle's two-phase transfers (STYLE.md).
 *
 * Every account keeps four running sums. A transfer debits one account and credits another by the
 * same amount, so the ledger balances by construction. A *pending* transfer reserves money (a hold):
 * it counts in `debitsPendingXof`/`creditsPendingXof` until it is posted (the money moves) or voided
 * (the reservation disappears). Rows of transfers are immutable; posting or voiding a pending
 * transfer is a new transfer that refers to it.
 */
export type AccountKind = 'wallet' | 'subaccount' | 'settlement' | 'system';

export interface AccountBalance {
  readonly id: string;
  readonly kind: AccountKind;
  /** Customer wallets and merchant sub-accounts may not spend more than they hold. */
  readonly mustNotOverdraw: boolean;
  readonly debitsPostedXof: Xof;
  readonly creditsPostedXof: Xof;
  readonly debitsPendingXof: Xof;
  readonly creditsPendingXof: Xof;
}

export type TransferKind = 'single' | 'pending' | 'post_pending' | 'void_pending';

export interface Transfer {
  readonly id: string;
  readonly kind: TransferKind;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amountXof: Xof;
  /** For `post_pending` and `void_pending`: the pending transfer resolved. */
  readonly pendingId: string | null;
}

export type TransferRejection = 'insufficient_funds' | 'same_account' | 'amount_not_positive';

/** What an account may still spend: posted credits minus posted and pending debits. */
export function availableXof(account: AccountBalance): Xof {
  return xof(account.creditsPostedXof - account.debitsPostedXof - account.debitsPendingXof);
}

/** The signed posted balance, credit-normal: what the gateway owes the account's holder. */
export function postedBalanceXof(account: AccountBalance): Xof {
  return xof(account.creditsPostedXof - account.debitsPostedXof);
}

function withChanges(
  account: AccountBalance,
  changes: Partial<Record<'dp' | 'cp' | 'dq' | 'cq', number>>,
): AccountBalance {
  return {
    ...account,
    debitsPostedXof: xof(account.debitsPostedXof + (changes.dp ?? 0)),
    creditsPostedXof: xof(account.creditsPostedXof + (changes.cp ?? 0)),
    debitsPendingXof: xof(account.debitsPendingXof + (changes.dq ?? 0)),
    creditsPendingXof: xof(account.creditsPendingXof + (changes.cq ?? 0)),
  };
}

/**
 * Applies one transfer to the two accounts it touches and returns their new balances, or the
 * reason it is refused. It never mutates its inputs. For `post_pending`/`void_pending` the caller
 * passes the pending transfer being resolved, which fixes accounts and amount.
 */
export function applyTransfer(
  debit: AccountBalance,
  credit: AccountBalance,
  transfer: Transfer,
): { ok: true; debit: AccountBalance; credit: AccountBalance } | { ok: false; reason: TransferRejection } {
  if (debit.id === credit.id) return { ok: false, reason: 'same_account' };
  assert(
    transfer.debitAccountId === debit.id && transfer.creditAccountId === credit.id,
    'transfer accounts mismatch',
  );
  const amount: number = transfer.amountXof;
  if (!(amount > 0)) return { ok: false, reason: 'amount_not_positive' };
  let nextDebit: AccountBalance;
  let nextCredit: AccountBalance;
  switch (transfer.kind) {
    case 'single':
      nextDebit = withChanges(debit, { dp: amount });
      nextCredit = withChanges(credit, { cp: amount });
      break;
    case 'pending':
      nextDebit = withChanges(debit, { dq: amount });
      nextCredit = withChanges(credit, { cq: amount });
      break;
    case 'post_pending':
      nextDebit = withChanges(debit, { dq: -amount, dp: amount });
      nextCredit = withChanges(credit, { cq: -amount, cp: amount });
      break;
    case 'void_pending':
      nextDebit = withChanges(debit, { dq: -amount });
      nextCredit = withChanges(credit, { cq: -amount });
      break;
  }
  if (transfer.kind === 'single' || transfer.kind === 'pending') {
    if (debit.mustNotOverdraw && availableXof(nextDebit) < 0)
      return { ok: false, reason: 'insufficient_funds' };
  }
  assertAccountInvariants(nextDebit);
  assertAccountInvariants(nextCredit);
  return { ok: true, debit: nextDebit, credit: nextCredit };
}

/** Invariants every account satisfies before a commit; a breach is a bug, so it aborts. */
export function assertAccountInvariants(account: AccountBalance): void {
  for (const sum of [
    account.debitsPostedXof,
    account.creditsPostedXof,
    account.debitsPendingXof,
    account.creditsPendingXof,
  ]) {
    assert(
      Number.isSafeInteger(sum) && sum >= 0,
      `account ${account.id}: a running sum is negative or unsafe`,
    );
  }
  if (account.mustNotOverdraw) {
    assert(availableXof(account) >= 0, `account ${account.id} would be overdrawn`);
  }
}

/**
 * The ledger's proof of balance: across all accounts, posted debits equal posted credits and
 * pending debits equal pending credits. True for any set of accounts that holds every account.
 */
export function ledgerTotals(accounts: Iterable<AccountBalance>): {
  debitsPostedXof: number;
  creditsPostedXof: number;
  debitsPendingXof: number;
  creditsPendingXof: number;
  balanced: boolean;
} {
  let dp = 0;
  let cp = 0;
  let dq = 0;
  let cq = 0;
  for (const account of accounts) {
    dp += account.debitsPostedXof;
    cp += account.creditsPostedXof;
    dq += account.debitsPendingXof;
    cq += account.creditsPendingXof;
  }
  assert(Number.isSafeInteger(dp + cp + dq + cq), 'ledger totals overflow');
  return {
    debitsPostedXof: dp,
    creditsPostedXof: cp,
    debitsPendingXof: dq,
    creditsPendingXof: cq,
    balanced: dp === cp && dq === cq,
  };
}

/** Account ids are readable and sort in a fixed order, which is the order we lock them in. */
export const accountIds = {
  wallet: (phone: string) => `wal:${phone}`,
  subaccount: (projectId: string, operatorId: string) => `sub:${projectId}:${operatorId}`,
  settlement: (operatorId: string) => `opr:${operatorId}`,
  /** Where sandbox and CLI funding of wallets comes from: money entering the system from outside. */
  funding: 'sys:funding',
} as const;
