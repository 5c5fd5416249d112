import { assert } from '../core/assert.js';
import { availableXof, postedBalanceXof } from '../core/ledger.js';
import { operatorById } from '../core/operators.js';
import {
  type AccountListing,
  POSTING_MISMATCHES_MAX,
  type PostingMismatch,
  type PostingSums,
  ledgerSums,
  listAccounts,
  postingMismatches,
} from '../store/console-stats.js';
import type { Tx } from '../store/database.js';
import { compareOperatorIds } from './operator-order.js';

/**
 * What the operator console shows on its balances page: every account grouped by holder, the
 * proof that the ledger balances, and the check of the cached sums against the postings. Read in
 * the caller's transaction (the queries are in store/console-stats.ts); no HTTP, no HTML.
 */
export { POSTING_MISMATCHES_MAX, type PostingMismatch, type PostingSums };
/** Accounts listed on the balances page; the proof of balance still covers every account. */
export const BALANCE_ACCOUNTS_MAX = 5_000;

/** One account with its running sums and what they mean. */
export interface AccountLine {
  accountId: string;
  /** `subaccount`, `wallet`, `settlement`, `system`, or whatever an unknown row says. */
  kind: string;
  projectId: string | null;
  projectName: string | null;
  operatorId: string | null;
  operatorName: string | null;
  phone: string | null;
  holderName: string | null;
  debitsPostedXof: number;
  creditsPostedXof: number;
  debitsPendingXof: number;
  creditsPendingXof: number;
  /** Credits minus debits posted: what Cauri owes the holder (negative for an operator's settlement). */
  postedXof: number;
  /** Posted minus pending debits (held money): what the holder may still spend. */
  availableXof: number;
}

/** A project's sub-accounts, one per operator. */
export interface ProjectAccounts {
  projectId: string;
  projectName: string;
  accounts: AccountLine[];
  postedXof: number;
  availableXof: number;
}

/**
 * The ledger's proof of balance over every account (core/ledger.ts `ledgerTotals`), summed by the
 * database in one statement, so that it is one consistent snapshot even on PostgreSQL at READ
 * COMMITTED, and covers the accounts the list leaves out.
 */
export interface LedgerProof {
  accountsTotal: number;
  debitsPostedXof: number;
  creditsPostedXof: number;
  debitsPendingXof: number;
  creditsPendingXof: number;
  /** The sum of every account's posted balance; zero when the ledger balances. */
  postedBalanceSumXof: number;
  /** Posted debits equal posted credits and pending debits equal pending credits. */
  balanced: boolean;
}

export interface BalancesView {
  projects: ProjectAccounts[];
  wallets: AccountLine[];
  /** Operators' settlement accounts: money at the operator, outside Cauri. */
  operators: AccountLine[];
  /** `sys:funding` and any account of a kind this page does not know. */
  system: AccountLine[];
  accountsShown: number;
  /** More accounts exist than were listed; wallets (ids `wal:…`, last in id order) go first. */
  truncated: boolean;
  proof: LedgerProof;
}

function accountLine(account: AccountListing): AccountLine {
  const { balance, operatorId } = account;
  return {
    accountId: account.accountId,
    kind: account.kind,
    projectId: account.projectId,
    projectName: account.projectName,
    operatorId,
    operatorName: operatorId === null ? null : (operatorById(operatorId)?.name ?? null),
    phone: account.phone,
    holderName: account.holderName,
    debitsPostedXof: balance.debitsPostedXof,
    creditsPostedXof: balance.creditsPostedXof,
    debitsPendingXof: balance.debitsPendingXof,
    creditsPendingXof: balance.creditsPendingXof,
    postedXof: postedBalanceXof(balance),
    availableXof: availableXof(balance),
  };
}

/**
 * Every account, grouped for the balances page, with the proof that the ledger balances. On
 * PostgreSQL the list and the proof are two statements: a caller that needs them to agree under
 * concurrent writes runs this in a REPEATABLE READ transaction.
 */
export async function balancesWithProof(
  tx: Tx,
  options: { accountsMax?: number } = {},
): Promise<BalancesView> {
  const accountsMax = Math.min(options.accountsMax ?? BALANCE_ACCOUNTS_MAX, BALANCE_ACCOUNTS_MAX);
  const proof = await ledgerProof(tx);
  // Ordered by id, so a truncated list keeps the operators' and projects' accounts and drops wallets.
  const rows = await listAccounts(tx, accountsMax + 1);
  const lines = rows.slice(0, accountsMax).map(accountLine);
  return {
    ...groupAccounts(lines),
    accountsShown: lines.length,
    truncated: rows.length > accountsMax,
    proof,
  };
}

function groupAccounts(
  lines: AccountLine[],
): Pick<BalancesView, 'projects' | 'wallets' | 'operators' | 'system'> {
  const projects = new Map<string, ProjectAccounts>();
  const view = { wallets: [] as AccountLine[], operators: [] as AccountLine[], system: [] as AccountLine[] };
  for (const line of lines) {
    if (line.kind === 'subaccount' && line.projectId !== null) {
      let project = projects.get(line.projectId);
      if (project === undefined) {
        project = {
          projectId: line.projectId,
          projectName: line.projectName ?? line.projectId,
          accounts: [],
          postedXof: 0,
          availableXof: 0,
        };
        projects.set(line.projectId, project);
      }
      project.accounts.push(line);
      project.postedXof += line.postedXof;
      project.availableXof += line.availableXof;
    } else if (line.kind === 'wallet') view.wallets.push(line);
    else if (line.kind === 'settlement') view.operators.push(line);
    else view.system.push(line);
  }
  for (const project of projects.values())
    project.accounts.sort((a, b) => compareOperatorIds(a.operatorId, b.operatorId));
  const byName = [...projects.values()].sort(
    (a, b) => a.projectName.localeCompare(b.projectName) || a.projectId.localeCompare(b.projectId),
  );
  return { projects: byName, ...view };
}

async function ledgerProof(tx: Tx): Promise<LedgerProof> {
  const sums = await ledgerSums(tx);
  const dp = sums.debitsPostedXof;
  const cp = sums.creditsPostedXof;
  const dq = sums.debitsPendingXof;
  const cq = sums.creditsPendingXof;
  assert([dp, cp, dq, cq].every(Number.isSafeInteger), 'ledger totals exceed the safe integer range');
  return {
    accountsTotal: sums.accountsTotal,
    debitsPostedXof: dp,
    creditsPostedXof: cp,
    debitsPendingXof: dq,
    creditsPendingXof: cq,
    postedBalanceSumXof: cp - dp,
    balanced: dp === cp && dq === cq,
  };
}

// ---------------------------------------------------------------- Recomputing from postings

export interface PostingCheck {
  accountsChecked: number;
  /** At most POSTING_MISMATCHES_MAX, by account id. */
  mismatches: PostingMismatch[];
  truncated: boolean;
}

/**
 * Recomputes every account's four running sums from the transfers and compares them with the
 * cached columns (STYLE.md: "a cached balance … can be recomputed from them"). It reads every
 * transfer: an on-demand check, not something to run on each page view.
 */
export async function verifyAgainstPostings(tx: Tx): Promise<PostingCheck> {
  const { accountsChecked, mismatches } = await postingMismatches(tx);
  return {
    accountsChecked,
    mismatches: mismatches.slice(0, POSTING_MISMATCHES_MAX),
    truncated: mismatches.length > POSTING_MISMATCHES_MAX,
  };
}
