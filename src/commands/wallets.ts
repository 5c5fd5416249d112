import { accountIds, availableXof } from '../core/ledger.js';
import { type Xof, xof } from '../core/money.js';
import { operatorById, operatorForPhone, type PrefixTable } from '../core/operators.js';
import { normalizePhone } from '../core/phone.js';
import { type Result, fail, ok } from '../core/result-codes.js';
import type { Dialect, Tx } from '../store/database.js';
import { ensureAccount, lockAccounts, postTransfers } from '../store/ledger-store.js';
import { projectExists } from '../store/projects.js';
import { type BalanceLine, accountExists, listBalanceLines } from '../store/wallets.js';

/**
 * Customer wallets (LigdiCash accounts, identified by phone) and funding of wallets and merchant
 * sub-accounts. Funding is how money enters Cauri: from the operator's settlement account for a
 * sub-account (the spec's manual Cashin, §1.6) and from the system funding account for a wallet.
 */
export const HOLDER_NAME_LENGTH_MAX = 100;
export const FUNDING_MAX_XOF = 100_000_000_000;

export async function createWallet(
  tx: Tx,
  phoneRaw: string,
  holderName: string | null,
  nowMs: number,
): Promise<Result<{ phone: string; created: boolean }>> {
  const phone = normalizePhone(phoneRaw);
  if (phone === undefined) return fail('invalid_phone', `"${phoneRaw}" is not an international number`);
  if (holderName !== null && holderName.length > HOLDER_NAME_LENGTH_MAX)
    return fail('invalid_input', 'holder name too long');
  const id = accountIds.wallet(phone);
  const existed = await accountExists(tx, id);
  await ensureAccount(tx, { id, kind: 'wallet', phone, holderName, mustNotOverdraw: true }, nowMs);
  return ok({ phone, created: !existed });
}

export async function fundWallet(
  tx: Tx,
  dialect: Dialect,
  phoneRaw: string,
  amountXof: Xof,
  nowMs: number,
): Promise<Result<{ phone: string; balanceXof: Xof }>> {
  const phone = normalizePhone(phoneRaw);
  if (phone === undefined) return fail('invalid_phone');
  if (!(amountXof > 0 && amountXof <= FUNDING_MAX_XOF)) return fail('amount_out_of_range');
  const id = accountIds.wallet(phone);
  if (!(await accountExists(tx, id))) return fail('wallet_not_found', `no wallet for ${phone}`);
  const posted = await postTransfers(
    tx,
    dialect,
    [
      {
        kind: 'single',
        debitAccountId: accountIds.funding,
        creditAccountId: id,
        amountXof,
        reason: 'wallet_funding',
        subjectId: null,
      },
    ],
    nowMs,
  );
  if (!posted.ok) return fail('internal_error');
  const account = (await lockAccounts(tx, dialect, [id])).get(id);
  return ok({ phone, balanceXof: account ? availableXof(account) : xof(0) });
}

export async function fundSubaccount(
  tx: Tx,
  dialect: Dialect,
  projectId: string,
  operatorId: string,
  amountXof: Xof,
  nowMs: number,
): Promise<Result<{ accountId: string; balanceXof: Xof }>> {
  if (!(amountXof > 0 && amountXof <= FUNDING_MAX_XOF)) return fail('amount_out_of_range');
  const operator = operatorById(operatorId);
  if (!operator) return fail('operator_not_identified', `unknown operator id "${operatorId}"`);
  if (!(await projectExists(tx, projectId))) return fail('not_found', `no project ${projectId}`);
  const id = accountIds.subaccount(projectId, operator.id);
  const settlement = accountIds.settlement(operator.id);
  await ensureAccount(
    tx,
    { id, kind: 'subaccount', projectId, operatorId: operator.id, mustNotOverdraw: true },
    nowMs,
  );
  await ensureAccount(
    tx,
    { id: settlement, kind: 'settlement', operatorId: operator.id, mustNotOverdraw: false },
    nowMs,
  );
  const posted = await postTransfers(
    tx,
    dialect,
    [
      {
        kind: 'single',
        debitAccountId: settlement,
        creditAccountId: id,
        amountXof,
        reason: 'subaccount_funding',
        subjectId: null,
      },
    ],
    nowMs,
  );
  if (!posted.ok) return fail('internal_error');
  const account = (await lockAccounts(tx, dialect, [id])).get(id);
  return ok({ accountId: id, balanceXof: account ? availableXof(account) : xof(0) });
}

export function listBalances(
  tx: Tx,
  filter: { projectId?: string | undefined; phone?: string | undefined },
): Promise<BalanceLine[]> {
  return listBalanceLines(tx, filter);
}

/** The operator a phone number belongs to, for messages and checks. */
export function describePhone(phone: string, prefixes: PrefixTable): string {
  return operatorForPhone(phone, prefixes)?.name ?? 'unknown operator';
}
