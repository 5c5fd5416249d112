import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWallet } from '../src/commands/wallets.js';
import { balancesWithProof, verifyAgainstPostings } from '../src/console/balances.js';
import { DAY_MS } from '../src/store/console-stats.js';
import { type Counts, type DashboardStats, dashboardStats, successRate } from '../src/console/stats.js';
import { accountIds } from '../src/core/ledger.js';
import type { Tx } from '../src/store/database.js';
import {
  BACKENDS,
  type TestGateway,
  latestOtp,
  payoutBody,
  startTestGateway,
  walletPayinBody,
} from './harness.js';
import { ORANGE, otpFor, walletPayin } from './http-helpers.js';
import { expectLedgerSound, readLedger } from './ledger-checks.js';
import { E1, E2, checkoutBody, straightBody } from './payin-helpers.js';

/**
 * The console's data (src/console/stats.ts) after real payins and payouts made through the app, on
 * two UTC days, several operators, two projects: exact counts and volumes, a balanced ledger, and
 * cached balances that agree with the transfers until someone edits an account row by hand.
 */
const PHONE = '22670111111';
const NAMED_PHONE = '22670222222';
/** Orange Burkina simulator magic numbers for payouts (src/operators/simulator.ts). */
const PAYOUT_DECLINED = '22670110002';
const PAYOUT_NO_ANSWER = '22670110005';
/** Airtel Niger ("27") magic numbers for direct payins: completed, declined, pending. */
const AIRTEL = '27';
const PAYIN_OK = '22796110001';
const PAYIN_DECLINED = '22796110002';
const PAYIN_PENDING = '22796110005';
const WALLET = '0';

function counts(created: number, completed: number, failed: number, volumeXof: number): Counts {
  return { created, completed, failed, volumeXof };
}
const ZERO = counts(0, 0, 0, 0);

describe.each(BACKENDS)('console stats on %s', (backend) => {
  let gw: TestGateway;
  let dayA: number;
  const read = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => gw.gw.db.command(fn);

  async function directPayin(phone: string, amount: number, ref: string): Promise<void> {
    const created = await gw.call('POST', E2, {
      body: straightBody(phone, { amount, customData: { transaction_id: ref } }),
    });
    expect(created.response_code).toBe('00');
  }

  async function payout(phone: string, amount: number, topUpWallet: 0 | 1): Promise<void> {
    const created = await gw.call('POST', '/pay/v01/withdrawal/create', {
      body: payoutBody(phone, amount, { top_up_wallet: topUpWallet }),
    });
    expect(created.response_code).toBe('00');
  }

  async function otherProjectWalletPayin(phone: string, amount: number): Promise<void> {
    const headers = gw.other.headers;
    await otpFor(gw, phone, amount, headers);
    const otp = await latestOtp(gw, phone);
    const created = await gw.call('POST', '/pay/v02/debitwallet/withotp', {
      body: walletPayinBody(phone, amount, otp, { transaction_id: 'OTHER-1' }),
      headers,
    });
    expect(created.response_code).toBe('00');
  }

  /** Day A: one completed payout, wallet payins for both projects, one direct payin completed and one declined. */
  async function dayOne(): Promise<void> {
    await gw.wallet(PHONE, 10_000);
    await gw.wallet(PAYOUT_DECLINED, 0);
    await gw.wallet(PAYOUT_NO_ANSWER, 0);
    await gw.gw.db.command((tx) => createWallet(tx, NAMED_PHONE, 'Awa Ouédraogo', gw.clock.nowMs()));
    await gw.fundSub(ORANGE, 100_000);
    await walletPayin(gw, PHONE, 2000, { transaction_id: 'A-1' });
    await otherProjectWalletPayin(PHONE, 1200);
    await directPayin(PAYIN_OK, 5000, 'A-2');
    await directPayin(PAYIN_DECLINED, 3000, 'A-3');
    await payout(PHONE, 1500, 1);
  }

  /** Day B: three held payouts (posted, voided, still held), a wallet payin, two payins left pending. */
  async function dayTwo(): Promise<void> {
    await payout(PAYOUT_DECLINED, 4000, 0);
    await payout(PAYOUT_NO_ANSWER, 2500, 0);
    await payout(PHONE, 1000, 0);
    expect(await gw.dispatcher.runOnce()).toBe(3);
    await walletPayin(gw, PHONE, 700, { transaction_id: 'B-1' });
    await directPayin(PAYIN_PENDING, 4000, 'B-2');
    const hosted = await gw.call('POST', E1, {
      body: checkoutBody({ customData: { transaction_id: 'B-3' } }),
    });
    expect(hosted.response_code).toBe('00');
  }

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    dayA = Math.floor(gw.clock.nowMs() / DAY_MS) * DAY_MS;
    await dayOne();
    gw.clock.advance(DAY_MS);
    await dayTwo();
  });
  afterAll(async () => gw.destroy());

  describe('dashboardStats', () => {
    let stats: DashboardStats;
    beforeAll(async () => {
      stats = await read((tx) => dashboardStats(tx, { nowMs: gw.clock.nowMs(), days: 3 }));
    });

    it('has one point per UTC day, the empty day as zeros', () => {
      expect(stats.fromMs).toBe(dayA - DAY_MS);
      expect(stats.toMs).toBe(dayA + 2 * DAY_MS);
      expect(stats.days.map((d) => d.dayStartMs)).toEqual([dayA - DAY_MS, dayA, dayA + DAY_MS]);
      expect(stats.days[0]).toEqual({ dayStartMs: dayA - DAY_MS, payins: ZERO, payouts: ZERO });
    });

    it('counts created, completed, failed and the completed volume per day', () => {
      expect(stats.days[1]).toEqual({
        dayStartMs: dayA,
        payins: counts(4, 3, 1, 8200),
        payouts: counts(1, 1, 0, 1500),
      });
      expect(stats.days[2]).toEqual({
        dayStartMs: dayA + DAY_MS,
        payins: counts(3, 1, 0, 700),
        payouts: counts(3, 1, 1, 1000),
      });
      expect(stats.totals).toEqual({ payins: counts(7, 4, 1, 8900), payouts: counts(4, 2, 1, 2500) });
    });

    it('splits by operator, aligned with the days, payins without an operator last', () => {
      const byId = (id: string | null) => stats.operators.find((op) => op.operatorId === id);
      expect(stats.operators.map((op) => op.operatorId)).toEqual([WALLET, ORANGE, AIRTEL, null]);
      expect(byId(WALLET)).toMatchObject({
        operatorName: 'LIGDICASH',
        totals: { payins: counts(3, 3, 0, 3900), payouts: ZERO },
      });
      expect(byId(WALLET)?.days.map((d) => d.payins)).toEqual([
        ZERO,
        counts(2, 2, 0, 3200),
        counts(1, 1, 0, 700),
      ]);
      expect(byId(ORANGE)).toMatchObject({
        operatorName: 'ORANGE BURKINA',
        totals: { payins: ZERO, payouts: counts(4, 2, 1, 2500) },
      });
      expect(byId(ORANGE)?.days.map((d) => d.payouts)).toEqual([
        ZERO,
        counts(1, 1, 0, 1500),
        counts(3, 1, 1, 1000),
      ]);
      expect(byId(AIRTEL)?.days.map((d) => d.payins)).toEqual([
        ZERO,
        counts(2, 1, 1, 5000),
        counts(1, 0, 0, 0),
      ]);
      expect(byId(null)).toMatchObject({
        operatorName: 'No operator yet',
        totals: { payins: counts(1, 0, 0, 0), payouts: ZERO },
      });
    });

    it('leaves pending ones out of the success rate', () => {
      expect(successRate(stats.totals.payins)).toBe(4 / 5);
      expect(successRate(stats.totals.payouts)).toBe(2 / 3);
      expect(successRate(ZERO)).toBeUndefined();
      expect(successRate(stats.days[2]?.payins ?? ZERO)).toBe(1);
    });

    it('filters by project', async () => {
      const other = await read((tx) =>
        dashboardStats(tx, { nowMs: gw.clock.nowMs(), days: 3, projectId: gw.other.id }),
      );
      expect(other.totals).toEqual({ payins: counts(1, 1, 0, 1200), payouts: ZERO });
      const mine = await read((tx) =>
        dashboardStats(tx, { nowMs: gw.clock.nowMs(), days: 3, projectId: gw.project.id }),
      );
      expect(mine.days[1]?.payins).toEqual(counts(3, 2, 1, 7000));
    });

    it('cuts days at midnight UTC', async () => {
      const lastMsOfA = await read((tx) => dashboardStats(tx, { nowMs: dayA + DAY_MS - 1, days: 1 }));
      expect(lastMsOfA.days).toEqual([
        { dayStartMs: dayA, payins: counts(4, 3, 1, 8200), payouts: counts(1, 1, 0, 1500) },
      ]);
      const firstMsOfB = await read((tx) => dashboardStats(tx, { nowMs: dayA + DAY_MS, days: 1 }));
      expect(firstMsOfB.totals).toEqual({ payins: counts(3, 1, 0, 700), payouts: counts(3, 1, 1, 1000) });
    });

    it('bounds the period to 1..90 days', async () => {
      expect(
        (await read((tx) => dashboardStats(tx, { nowMs: gw.clock.nowMs(), days: 500 }))).days,
      ).toHaveLength(90);
      expect(
        (await read((tx) => dashboardStats(tx, { nowMs: gw.clock.nowMs(), days: 0 }))).days,
      ).toHaveLength(1);
    });
  });

  describe('balancesWithProof and verifyAgainstPostings', () => {
    it('groups every account and proves the ledger balances', async () => {
      const view = await read((tx) => balancesWithProof(tx));
      expect(view.truncated).toBe(false);
      expect(view.accountsShown).toBe(view.proof.accountsTotal);
      expect(view.proof).toMatchObject({ balanced: true, postedBalanceSumXof: 0 });
      expect(view.proof.debitsPostedXof).toBe(view.proof.creditsPostedXof);
      // Held: the payout to the number that never answers and the direct payin still pending.
      expect(view.proof.debitsPendingXof).toBe(2500 + 4000);
      expect(view.proof.creditsPendingXof).toBe(2500 + 4000);
      const all = [
        ...view.projects.flatMap((p) => p.accounts),
        ...view.wallets,
        ...view.operators,
        ...view.system,
      ];
      expect(all.reduce((sum, line) => sum + line.postedXof, 0)).toBe(0);

      expect(view.projects.map((p) => p.projectName)).toEqual(['Other shop', 'Test shop']);
      const shop = view.projects[1];
      expect(shop?.accounts.map((a) => a.operatorId)).toEqual([WALLET, ORANGE, AIRTEL]);
      expect(shop?.accounts[1]).toMatchObject({
        accountId: accountIds.subaccount(gw.project.id, ORANGE),
        operatorName: 'ORANGE BURKINA',
        postedXof: 97_500,
        debitsPendingXof: 2500,
        availableXof: 95_000,
      });
      expect(shop?.accounts[2]).toMatchObject({
        postedXof: 5000,
        creditsPendingXof: 4000,
        availableXof: 5000,
      });
      expect(view.wallets.find((w) => w.phone === PHONE)).toMatchObject({
        postedXof: 10_000 - 2000 - 1200 + 1500 - 700,
        availableXof: 7600,
      });
      expect(view.wallets.find((w) => w.phone === NAMED_PHONE)).toMatchObject({
        holderName: 'Awa Ouédraogo',
        postedXof: 0,
      });
      expect(view.operators.find((o) => o.operatorId === ORANGE)).toMatchObject({
        postedXof: -100_000 + 1000,
        creditsPendingXof: 2500,
      });
      expect(view.system.map((s) => s.accountId)).toEqual([accountIds.funding]);
    });

    it('caps the list but still proves over every account', async () => {
      const view = await read((tx) => balancesWithProof(tx, { accountsMax: 3 }));
      expect(view).toMatchObject({ accountsShown: 3, truncated: true, proof: { balanced: true } });
      expect(view.proof.accountsTotal).toBeGreaterThan(3);
    });

    it('finds the cached sums equal to those recomputed from the transfers', async () => {
      // The simulation's own check, in JavaScript, agrees that the ledger is sound.
      expectLedgerSound(await readLedger(gw.gw.db), 'after the flows');
      const check = await read((tx) => verifyAgainstPostings(tx));
      const view = await read((tx) => balancesWithProof(tx));
      expect(check).toEqual({ accountsChecked: view.proof.accountsTotal, mismatches: [], truncated: false });
    });

    // Last: it corrupts the database the other tests read.
    it('reports an account row edited by hand, and the proof no longer balances', async () => {
      const wallet = accountIds.wallet(PHONE);
      const sub = accountIds.subaccount(gw.project.id, ORANGE);
      await gw.gw.db.command(async (tx) => {
        await sql`update accounts set credits_posted_xof = credits_posted_xof + 7 where id = ${wallet}`.execute(
          tx,
        );
        await sql`update accounts set debits_pending_xof = 0 where id = ${sub}`.execute(tx);
      });
      const check = await read((tx) => verifyAgainstPostings(tx));
      expect(check.mismatches).toEqual([
        {
          accountId: sub,
          cached: {
            debitsPostedXof: 2500,
            creditsPostedXof: 100_000,
            debitsPendingXof: 0,
            creditsPendingXof: 0,
          },
          recomputed: {
            debitsPostedXof: 2500,
            creditsPostedXof: 100_000,
            debitsPendingXof: 2500,
            creditsPendingXof: 0,
          },
        },
        {
          accountId: wallet,
          cached: {
            debitsPostedXof: 3900,
            creditsPostedXof: 11_507,
            debitsPendingXof: 0,
            creditsPendingXof: 0,
          },
          recomputed: {
            debitsPostedXof: 3900,
            creditsPostedXof: 11_500,
            debitsPendingXof: 0,
            creditsPendingXof: 0,
          },
        },
      ]);
      const view = await read((tx) => balancesWithProof(tx));
      expect(view.proof).toMatchObject({ balanced: false, postedBalanceSumXof: 7 });
    });
  });
});
