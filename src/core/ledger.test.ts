import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssertionError } from './assert.js';
import {
  type AccountBalance,
  type AccountKind,
  type Transfer,
  type TransferKind,
  accountIds,
  applyTransfer,
  assertAccountInvariants,
  availableXof,
  ledgerTotals,
  postedBalanceXof,
} from './ledger.js';
import { type Xof, xof } from './money.js';

function account(
  id: string,
  kind: AccountKind,
  sums: Partial<Record<'dp' | 'cp' | 'dq' | 'cq', number>> = {},
): AccountBalance {
  return {
    id,
    kind,
    mustNotOverdraw: kind === 'wallet' || kind === 'subaccount',
    debitsPostedXof: xof(sums.dp ?? 0),
    creditsPostedXof: xof(sums.cp ?? 0),
    debitsPendingXof: xof(sums.dq ?? 0),
    creditsPendingXof: xof(sums.cq ?? 0),
  };
}

let counter = 0;
function transfer(
  kind: TransferKind,
  debit: AccountBalance,
  credit: AccountBalance,
  amount: number,
  pendingId: string | null = null,
): Transfer {
  counter += 1;
  return {
    id: `tr_${counter}`,
    kind,
    debitAccountId: debit.id,
    creditAccountId: credit.id,
    amountXof: amount as Xof,
    pendingId,
  };
}

function applied(
  debit: AccountBalance,
  credit: AccountBalance,
  t: Transfer,
): { debit: AccountBalance; credit: AccountBalance } {
  const result = applyTransfer(debit, credit, t);
  if (!result.ok) throw new Error(`transfer refused: ${result.reason}`);
  return result;
}

const sums = (a: AccountBalance) => [
  a.debitsPostedXof,
  a.creditsPostedXof,
  a.debitsPendingXof,
  a.creditsPendingXof,
];

describe('applyTransfer', () => {
  const settlement = account('opr:11', 'settlement');

  it('moves posted money with a single transfer, without mutating its inputs', () => {
    const sub = account('sub:p:11', 'subaccount', { cp: 1000 });
    const wallet = account('wal:22670000001', 'wallet');
    const before = { sub: sums(sub), wallet: sums(wallet) };
    const result = applied(sub, wallet, transfer('single', sub, wallet, 400));
    expect(sums(result.debit)).toEqual([400, 1000, 0, 0]);
    expect(sums(result.credit)).toEqual([0, 400, 0, 0]);
    expect(availableXof(result.debit)).toBe(600);
    expect(availableXof(result.credit)).toBe(400);
    expect(sums(sub)).toEqual(before.sub);
    expect(sums(wallet)).toEqual(before.wallet);
  });

  it('reserves money with a pending transfer: the debit side loses availability, the credit side gains none yet', () => {
    const sub = account('sub:p:11', 'subaccount', { cp: 1000 });
    const result = applied(sub, settlement, transfer('pending', sub, settlement, 300));
    expect(sums(result.debit)).toEqual([0, 1000, 300, 0]);
    expect(sums(result.credit)).toEqual([0, 0, 0, 300]);
    expect(availableXof(result.debit)).toBe(700);
    expect(postedBalanceXof(result.debit)).toBe(1000);
    expect(postedBalanceXof(result.credit)).toBe(0);
  });

  it('posts a pending transfer: the reservation becomes a posted movement', () => {
    const sub = account('sub:p:11', 'subaccount', { cp: 1000, dq: 300 });
    const opr = account('opr:11', 'settlement', { cq: 300 });
    const result = applied(sub, opr, transfer('post_pending', sub, opr, 300, 'tr_pending'));
    expect(sums(result.debit)).toEqual([300, 1000, 0, 0]);
    expect(sums(result.credit)).toEqual([0, 300, 0, 0]);
    expect(availableXof(result.debit)).toBe(700);
  });

  it('voids a pending transfer: the reservation disappears and the money is available again', () => {
    const sub = account('sub:p:11', 'subaccount', { cp: 1000, dq: 300 });
    const opr = account('opr:11', 'settlement', { cq: 300 });
    const result = applied(sub, opr, transfer('void_pending', sub, opr, 300, 'tr_pending'));
    expect(sums(result.debit)).toEqual([0, 1000, 0, 0]);
    expect(sums(result.credit)).toEqual([0, 0, 0, 0]);
    expect(availableXof(result.debit)).toBe(1000);
  });

  it('lets a must-not-overdraw account spend exactly what it has, and not one franc more', () => {
    const wallet = account('wal:22670000001', 'wallet', { cp: 500 });
    const sub = account('sub:p:0', 'subaccount');
    expect(availableXof(applied(wallet, sub, transfer('single', wallet, sub, 500)).debit)).toBe(0);
    expect(applyTransfer(wallet, sub, transfer('single', wallet, sub, 501))).toEqual({
      ok: false,
      reason: 'insufficient_funds',
    });
  });

  it('counts pending debits against what a must-not-overdraw account may still spend', () => {
    const sub = account('sub:p:11', 'subaccount', { cp: 1000, dq: 800 });
    const wallet = account('wal:22670000001', 'wallet');
    expect(applyTransfer(sub, settlement, transfer('pending', sub, settlement, 201))).toEqual({
      ok: false,
      reason: 'insufficient_funds',
    });
    expect(applyTransfer(sub, wallet, transfer('single', sub, wallet, 201))).toEqual({
      ok: false,
      reason: 'insufficient_funds',
    });
    expect(applyTransfer(sub, settlement, transfer('pending', sub, settlement, 200)).ok).toBe(true);
  });

  it('lets settlement and system accounts go negative', () => {
    const sub = account('sub:p:11', 'subaccount');
    const funding = account(accountIds.funding, 'system');
    const wallet = account('wal:22670000001', 'wallet');
    const fromSettlement = applied(settlement, sub, transfer('single', settlement, sub, 10_000));
    expect(availableXof(fromSettlement.debit)).toBe(-10_000);
    expect(postedBalanceXof(fromSettlement.debit)).toBe(-10_000);
    const fromFunding = applied(funding, wallet, transfer('single', funding, wallet, 7));
    expect(availableXof(fromFunding.debit)).toBe(-7);
  });

  it('refuses a transfer to the same account and amounts that are not positive', () => {
    const wallet = account('wal:22670000001', 'wallet', { cp: 100 });
    const sub = account('sub:p:0', 'subaccount');
    expect(applyTransfer(wallet, wallet, transfer('single', wallet, wallet, 10))).toEqual({
      ok: false,
      reason: 'same_account',
    });
    expect(applyTransfer(wallet, sub, transfer('single', wallet, sub, 0))).toEqual({
      ok: false,
      reason: 'amount_not_positive',
    });
    expect(applyTransfer(wallet, sub, transfer('single', wallet, sub, -5))).toEqual({
      ok: false,
      reason: 'amount_not_positive',
    });
    expect(applyTransfer(wallet, sub, transfer('single', wallet, sub, NaN))).toEqual({
      ok: false,
      reason: 'amount_not_positive',
    });
  });

  it('asserts when the transfer names other accounts than those passed', () => {
    const wallet = account('wal:22670000001', 'wallet', { cp: 100 });
    const sub = account('sub:p:0', 'subaccount');
    expect(() => applyTransfer(sub, wallet, transfer('single', wallet, sub, 10))).toThrow(AssertionError);
  });

  it('asserts when resolving more than is pending', () => {
    const sub = account('sub:p:11', 'subaccount', { cp: 1000, dq: 100 });
    const opr = account('opr:11', 'settlement', { cq: 100 });
    expect(() => applyTransfer(sub, opr, transfer('void_pending', sub, opr, 101, 'tr_pending'))).toThrow(
      AssertionError,
    );
    expect(() => applyTransfer(sub, opr, transfer('post_pending', sub, opr, 101, 'tr_pending'))).toThrow(
      AssertionError,
    );
  });
});

describe('assertAccountInvariants', () => {
  it('accepts a sound account and rejects negative sums and overdrafts', () => {
    expect(() => assertAccountInvariants(account('wal:1', 'wallet', { cp: 10, dp: 10 }))).not.toThrow();
    expect(() =>
      assertAccountInvariants({ ...account('wal:1', 'wallet'), creditsPendingXof: -1 as Xof }),
    ).toThrow(AssertionError);
    expect(() => assertAccountInvariants(account('wal:1', 'wallet', { cp: 10, dq: 11 }))).toThrow(
      AssertionError,
    );
    expect(() => assertAccountInvariants(account('opr:1', 'settlement', { dp: 11 }))).not.toThrow();
  });
});

describe('ledgerTotals', () => {
  it('is balanced for a balanced set and unbalanced when an account is missing', () => {
    const sub = account('sub:p:11', 'subaccount', { cp: 1000, dq: 300 });
    const opr = account('opr:11', 'settlement', { dp: 1000, cq: 300 });
    expect(ledgerTotals([sub, opr])).toEqual({
      debitsPostedXof: 1000,
      creditsPostedXof: 1000,
      debitsPendingXof: 300,
      creditsPendingXof: 300,
      balanced: true,
    });
    expect(ledgerTotals([sub]).balanced).toBe(false);
    expect(ledgerTotals([]).balanced).toBe(true);
  });

  it('sees a pending imbalance even when posted sums agree', () => {
    const a = account('sub:p:11', 'subaccount', { cp: 10, dq: 5 });
    const b = account('opr:11', 'settlement', { dp: 10, cq: 4 });
    expect(ledgerTotals([a, b]).balanced).toBe(false);
  });
});

/**
 * Any sequence of transfers, applied when accepted, keeps the ledger balanced, keeps every
 * must-not-overdraw account at or above zero, and agrees with a simple model of available money.
 */
describe('ledger property', () => {
  const ids = ['opr:11', 'sys:funding', 'sub:p:11', 'sub:p:0', 'wal:22670000001', 'wal:22670000002'] as const;
  const kindOf = (id: string): AccountKind =>
    id.startsWith('opr:')
      ? 'settlement'
      : id.startsWith('sys:')
        ? 'system'
        : id.startsWith('sub:')
          ? 'subaccount'
          : 'wallet';

  type Op =
    | { kind: 'single' | 'pending'; from: number; to: number; amount: number }
    | { kind: 'post_pending' | 'void_pending'; which: number };

  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constantFrom('single' as const, 'pending' as const),
      from: fc.nat({ max: ids.length - 1 }),
      to: fc.nat({ max: ids.length - 1 }),
      amount: fc.integer({ min: -5, max: 5000 }),
    }),
    fc.record({ kind: fc.constantFrom('post_pending' as const, 'void_pending' as const), which: fc.nat() }),
  );

  it('stays balanced and never overdraws, for any sequence of transfers', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const accounts = new Map(ids.map((id) => [id as string, account(id, kindOf(id))]));
        const available = new Map(ids.map((id) => [id as string, 0]));
        const pending: Transfer[] = [];
        const get = (id: string): AccountBalance => {
          const found = accounts.get(id);
          if (!found) throw new Error(`no account ${id}`);
          return found;
        };
        for (const step of ops) {
          let t: Transfer;
          if (!('which' in step)) {
            t = transfer(step.kind, get(ids[step.from] ?? ''), get(ids[step.to] ?? ''), step.amount);
          } else {
            if (pending.length === 0) continue;
            const [p] = pending.splice(step.which % pending.length, 1);
            if (!p) continue;
            t = { ...p, id: `${p.id}_r`, kind: step.kind, pendingId: p.id };
          }
          const debit = get(t.debitAccountId);
          const credit = get(t.creditAccountId);
          const result = applyTransfer(debit, credit, t);
          const fits = !debit.mustNotOverdraw || (available.get(debit.id) ?? 0) >= t.amountXof;
          if (t.debitAccountId === t.creditAccountId) {
            expect(result).toEqual({ ok: false, reason: 'same_account' });
            continue;
          }
          if (t.amountXof <= 0) {
            expect(result).toEqual({ ok: false, reason: 'amount_not_positive' });
            continue;
          }
          if (t.kind === 'single' || t.kind === 'pending') expect(result.ok).toBe(fits);
          if (!result.ok) continue;
          accounts.set(debit.id, result.debit);
          accounts.set(credit.id, result.credit);
          // The model: singles and holds take availability from the debit side; singles and
          // posted holds give it to the credit side; voided holds give it back to the debit side.
          const amount: number = t.amountXof;
          const d = (id: string, delta: number) => available.set(id, (available.get(id) ?? 0) + delta);
          if (t.kind === 'single') {
            d(debit.id, -amount);
            d(credit.id, amount);
          } else if (t.kind === 'pending') {
            d(debit.id, -amount);
            pending.push(t);
          } else if (t.kind === 'post_pending') {
            d(credit.id, amount);
          } else {
            d(debit.id, amount);
          }
          expect(ledgerTotals(accounts.values()).balanced).toBe(true);
          for (const a of accounts.values()) {
            expect(availableXof(a)).toBe(available.get(a.id));
            if (a.mustNotOverdraw) expect(availableXof(a)).toBeGreaterThanOrEqual(0);
          }
        }
        // Posted balances sum to zero: money only moves between accounts.
        const net = [...accounts.values()].reduce((sum, a) => sum + postedBalanceXof(a), 0);
        expect(net).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
