import { afterEach, describe, expect, it } from 'vitest';
import { accountIds } from '../src/core/ledger.js';
import type { Xof } from '../src/core/money.js';
import { WaveConflict, transactionState } from '../src/store/command-group.js';
import { ensureAccount, lockAccounts, postTransfers } from '../src/store/ledger-store.js';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway } from './harness.js';
import { ORANGE, subOf, walletOf } from './http-helpers.js';
import { ledgerProblems, readLedger } from './ledger-checks.js';

/**
 * Waves (ADR 0019): payouts queued together run at the same time inside one PostgreSQL group
 * commit, their statements queued on one connection. Commands that share a balance row take
 * turns in the order they took it, so no franc is counted twice; a command that throws, or two
 * that want rows in an order that could deadlock, send the group back to run one command after
 * the other. The same suites run on SQLite, where the option changes nothing.
 */
const PHONES = Array.from({ length: 12 }, (_, i) => `226701${String(20_000 + i).padStart(5, '0')}`);

describe.each(BACKENDS)('waves of payouts on %s', (backend) => {
  let gw: TestGateway;
  afterEach(async () => {
    await gw.destroy();
  });

  async function payout(phone: string, amount: number, transactionId: string, straight = false) {
    const url = straight ? '/pay/v01/straight/payout' : '/pay/v01/withdrawal/create';
    const body = straight
      ? {
          commande: {
            amount,
            description: 'wave',
            customer: phone,
            callback_url: '',
            custom_data: { transaction_id: transactionId },
          },
        }
      : payoutBody(phone, amount, { callback_url: '', custom_data: { transaction_id: transactionId } });
    return gw.call('POST', url, { body });
  }

  it('spends a sub-account to the last franc and no further when 60 payouts share it', async () => {
    gw = await startTestGateway(backend);
    for (const phone of PHONES) await gw.wallet(phone, 0);
    await gw.fundSub(ORANGE, 45 * 1_000);
    // 60 at once, 5 per wallet: each wallet row and the one sub-account row are shared in the wave.
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => payout(PHONES[i % PHONES.length] as string, 1_000, `W-${i}`)),
    );
    const codes = answers.map((a) => a.response_code);
    expect(codes.filter((c) => c === '00')).toHaveLength(45);
    expect(
      answers
        .filter((a) => a.response_code === '01')
        .every(
          (a) => a.response_text === 'Echec (Code05)' || /insufficient|Code0/.test(String(a.response_text)),
        ),
    ).toBe(true);
    expect((await subOf(gw, ORANGE))?.availableXof).toBe(0);
    let credited = 0;
    for (const phone of PHONES) credited += (await walletOf(gw, phone))?.availableXof ?? 0;
    expect(credited).toBe(45_000);
    expect(ledgerProblems(await readLedger(gw.gw.db))).toEqual([]);
  });

  it('mixes customer and merchant payouts in one wave and keeps every hold', async () => {
    gw = await startTestGateway(backend);
    for (const phone of PHONES) await gw.wallet(phone, 0);
    await gw.fundSub(ORANGE, 100_000);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        payout(PHONES[i % PHONES.length] as string, 500 + i, `M-${i}`, i % 2 === 1),
      ),
    );
    expect(answers.map((a) => a.response_code)).toEqual(answers.map(() => '00'));
    const amounts = Array.from({ length: 40 }, (_, i) => 500 + i);
    const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);
    const sub = await subOf(gw, ORANGE);
    // Customer payouts (even) moved their money; merchant payouts (odd) hold theirs.
    expect(sub?.postedXof).toBe(100_000 - sum(amounts.filter((_, i) => i % 2 === 0)));
    expect(sub?.heldXof).toBe(sum(amounts.filter((_, i) => i % 2 === 1)));
    expect(sub?.availableXof).toBe(100_000 - sum(amounts));
    expect(ledgerProblems(await readLedger(gw.gw.db))).toEqual([]);
  });

  it('makes one payout of 20 that share a transaction id in one wave, and refuses the rest as duplicates', async () => {
    gw = await startTestGateway(backend);
    for (const phone of PHONES) await gw.wallet(phone, 0);
    await gw.fundSub(ORANGE, 100_000);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        payout(PHONES[i % PHONES.length] as string, 1_000, i % 2 === 0 ? 'SAME' : `OTHER-${i}`),
      ),
    );
    const same = answers.filter((_, i) => i % 2 === 0);
    expect(same.filter((a) => a.response_code === '00')).toHaveLength(1);
    expect(same.filter((a) => a.response_code === '01').map((a) => a.response_text)).toEqual(
      Array(9).fill('Echec (Code07)'),
    );
    expect(answers.filter((_, i) => i % 2 === 1).map((a) => a.response_code)).toEqual(Array(10).fill('00'));
    expect((await subOf(gw, ORANGE))?.availableXof).toBe(100_000 - 11 * 1_000);
    expect(ledgerProblems(await readLedger(gw.gw.db))).toEqual([]);
  });

  it('runs one by one when two commands of a wave want each other’s rows, and when one throws', async () => {
    gw = await startTestGateway(backend);
    const { db } = gw.gw;
    const nowMs = gw.clock.nowMs();
    const [x, y] = [accountIds.wallet('22670130001'), accountIds.wallet('22670130002')].sort() as [
      string,
      string,
    ];
    await db.command(async (tx) => {
      for (const id of [x, y])
        await ensureAccount(tx, { id, kind: 'wallet', phone: id, mustNotOverdraw: false }, nowMs);
    });
    const conflicts: unknown[] = [];
    /** Takes `first`, then `second` in a second step: the order two commands of a wave must not cross. */
    const crossing = (first: string, second: string, amountXof: number) =>
      db.command(
        async (tx) => {
          await lockAccounts(tx, db.dialect, [first]);
          await new Promise((resolve) => setTimeout(resolve, 5));
          try {
            await lockAccounts(tx, db.dialect, [second]);
          } catch (error) {
            conflicts.push(error);
            throw error;
          }
          const posted = await postTransfers(
            tx,
            db.dialect,
            [
              {
                kind: 'single',
                debitAccountId: first,
                creditAccountId: second,
                amountXof: amountXof as Xof,
                reason: 'test',
                subjectId: null,
              },
            ],
            nowMs,
          );
          return posted.ok;
        },
        { concurrent: true },
      );
    const thrower = db.command(
      async (tx) => {
        await lockAccounts(tx, db.dialect, [x]);
        throw new Error('changed its mind');
      },
      { concurrent: true },
    );
    const results = await Promise.allSettled([crossing(x, y, 7), crossing(y, x, 3), thrower]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    if (backend === 'postgres') expect(conflicts.some((e) => e instanceof WaveConflict)).toBe(true);
    const snapshot = await readLedger(db);
    expect(snapshot.accounts.get(x)?.debitsPostedXof).toBe(7);
    expect(snapshot.accounts.get(x)?.creditsPostedXof).toBe(3);
    expect(ledgerProblems(snapshot)).toEqual([]);
  });

  it('starts every transaction with nothing held', async () => {
    gw = await startTestGateway(backend);
    const sizes = await Promise.all(
      Array.from({ length: 3 }, () =>
        gw.gw.db.command((tx) => Promise.resolve(transactionState(tx).held.size), { concurrent: true }),
      ),
    );
    expect(sizes).toEqual([0, 0, 0]);
  });
});
