import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountIds, availableXof } from '../src/core/ledger.js';
import {
  BACKENDS,
  type TestGateway,
  latestOtp,
  payoutBody,
  startTestGateway,
  walletPayinBody,
} from './harness.js';
import { expectLedgerSound, readLedger } from './ledger-checks.js';

/**
 * Commands racing on the same rows. On PostgreSQL the requests run truly in parallel (a pool of 20
 * connections, `SELECT … FOR UPDATE` in account-id order, ADR 0003); on SQLite they join group
 * commits, one savepoint per command (ADR 0002). Either way the outcome must be the one a serial
 * execution would give: no overdraft, no double posting, no duplicate, no reused OTP.
 */
const PAYOUT_URL = '/pay/v01/withdrawal/create';
const WITHOTP_URL = '/pay/v02/debitwallet/withotp';
const ORANGE = '11';
const MOOV = '12';
const AMOUNT = 1000;
const REQUESTS = 50;
const FUNDED_FOR = 30;
const SAMPLES_MAX = 200;

/** Distinct Orange (22670…) or Moov (22601…) Burkina numbers, none of them a simulator magic number. */
const phoneOf = (operatorId: string, i: number) =>
  `${operatorId === ORANGE ? '22670' : '22601'}${String(100_100 + i)}`;

const outcome = (body: Record<string, unknown>) =>
  body.response_code === '00' ? 'ok' : String(body.response_text);

function tally(bodies: Record<string, unknown>[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const body of bodies) counts[outcome(body)] = (counts[outcome(body)] ?? 0) + 1;
  return counts;
}

/**
 * Runs `work` while reading the ledger over and over, and checks every snapshot: a committed state
 * must never show an overdraft or an unbalanced ledger, not only the final one.
 */
async function whileSampling<T>(
  gw: TestGateway,
  work: () => Promise<T>,
): Promise<{ result: T; samples: number }> {
  let done = false;
  let samples = 0;
  let failure: Error | undefined;
  // Bounded, so that a hung command fails the test instead of keeping the database busy forever.
  const sampler = (async () => {
    try {
      while (!done && samples < SAMPLES_MAX) {
        expectLedgerSound(await readLedger(gw.gw.db), `sample ${samples}`);
        samples += 1;
      }
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
  })();
  let result: T;
  try {
    result = await work();
  } finally {
    done = true;
    await sampler;
  }
  if (failure !== undefined) throw failure;
  return { result, samples };
}

describe.each(BACKENDS)('concurrency on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
  });
  afterEach(async () => gw.destroy());

  it.each([1, 0])(
    `${REQUESTS} concurrent payouts with top_up_wallet %i against one sub-account funded for ${FUNDED_FOR}: exactly ${FUNDED_FOR} pass`,
    async (topUpWallet) => {
      const phones = Array.from({ length: REQUESTS }, (_, i) => phoneOf(ORANGE, i));
      for (const phone of phones) await gw.wallet(phone, 0);
      await gw.fundSub(ORANGE, FUNDED_FOR * AMOUNT);
      const subId = accountIds.subaccount(gw.project.id, ORANGE);

      const { result: bodies, samples } = await whileSampling(gw, () =>
        Promise.all(
          phones.map((phone) =>
            gw.call('POST', PAYOUT_URL, { body: payoutBody(phone, AMOUNT, { top_up_wallet: topUpWallet }) }),
          ),
        ),
      );
      expect(samples).toBeGreaterThan(0);
      expect(tally(bodies)).toEqual({ ok: FUNDED_FOR, 'Echec (Code04)': REQUESTS - FUNDED_FOR });
      for (const body of bodies)
        if (body.response_code !== '00') expect(body.description).toBe('Merchant balance low');

      const ledger = await readLedger(gw.gw.db);
      expectLedgerSound(ledger, 'after the race');
      const sub = ledger.accounts.get(subId);
      expect(sub && availableXof(sub)).toBe(0);
      const payouts = ledger.payouts.filter((p) => p.project_id === gw.project.id);
      expect(payouts).toHaveLength(FUNDED_FOR);
      // No double posting: one transfer per successful payout, each from the sub-account.
      const moved = ledger.transfers.filter(
        (t) => t.debit_account_id === subId && (t.kind === 'single' || t.kind === 'pending'),
      );
      expect(moved).toHaveLength(FUNDED_FOR);
      expect(new Set(moved.map((t) => t.subject_id)).size).toBe(FUNDED_FOR);
      expect(moved.every((t) => Number(t.amount_xof) === AMOUNT)).toBe(true);

      if (topUpWallet === 1) {
        const credited = phones
          .map((phone) => ledger.accounts.get(accountIds.wallet(phone)))
          .map((w) => (w ? availableXof(w) : -1));
        expect(credited.filter((x) => x === AMOUNT)).toHaveLength(FUNDED_FOR);
        expect(credited.filter((x) => x === 0)).toHaveLength(REQUESTS - FUNDED_FOR);
        expect(payouts.every((p) => p.status === 'completed')).toBe(true);
      } else {
        expect(sub?.debitsPendingXof).toBe(FUNDED_FOR * AMOUNT);
        expect(payouts.every((p) => p.status === 'pending')).toBe(true);
        // The dispatcher settles every hold once, even when two passes race.
        const handled = await Promise.all([gw.dispatcher.runOnce(), gw.dispatcher.runOnce()]);
        expect(handled[0] + handled[1]).toBe(FUNDED_FOR);
        const settled = await readLedger(gw.gw.db);
        expectLedgerSound(settled, 'after dispatch');
        const after = settled.accounts.get(subId);
        expect([after?.debitsPendingXof, after?.debitsPostedXof, after && availableXof(after)]).toEqual([
          0,
          FUNDED_FOR * AMOUNT,
          0,
        ]);
        expect(
          settled.payouts
            .filter((p) => p.project_id === gw.project.id)
            .every((p) => p.status === 'completed'),
        ).toBe(true);
      }
    },
    60_000,
  );

  it.each([1, 0])(
    `${REQUESTS} concurrent payouts (top_up_wallet %i) with one custom_data.transaction_id: exactly one passes, the rest get Code07`,
    async (topUpWallet) => {
      // Half the payouts go to Orange numbers, half to Moov, so that on PostgreSQL some race on
      // different sub-account locks and only the unique index can stop them.
      const phones = Array.from({ length: REQUESTS }, (_, i) => phoneOf(i % 2 === 0 ? ORANGE : MOOV, i));
      for (const phone of phones) await gw.wallet(phone, 0);
      await gw.fundSub(ORANGE, 1_000_000);
      await gw.fundSub(MOOV, 1_000_000);

      const { result: bodies } = await whileSampling(gw, () =>
        Promise.all(
          phones.map((phone) =>
            gw.call('POST', PAYOUT_URL, {
              body: payoutBody(phone, AMOUNT, {
                top_up_wallet: topUpWallet,
                custom_data: { transaction_id: 'ORDER-42' },
              }),
            }),
          ),
        ),
      );
      expect(tally(bodies)).toEqual({ ok: 1, 'Echec (Code07)': REQUESTS - 1 });

      const ledger = await readLedger(gw.gw.db);
      expectLedgerSound(ledger, 'after the race');
      const payouts = ledger.payouts.filter((p) => p.project_id === gw.project.id);
      expect(payouts.map((p) => p.merchant_transaction_id)).toEqual(['ORDER-42']);
      const subIds = [
        accountIds.subaccount(gw.project.id, ORANGE),
        accountIds.subaccount(gw.project.id, MOOV),
      ];
      const moved = ledger.transfers.filter(
        (t) => subIds.includes(t.debit_account_id) && (t.kind === 'single' || t.kind === 'pending'),
      );
      expect(moved.map((t) => t.subject_id)).toEqual([payouts[0]?.id]);
      const left = subIds
        .map((id) => ledger.accounts.get(id))
        .reduce((sum, a) => sum + (a ? availableXof(a) : 0), 0);
      expect(left).toBe(2_000_000 - AMOUNT);
    },
    60_000,
  );

  it('concurrent withotp requests with one OTP: only one payment passes', async () => {
    const phone = '22670123456';
    await gw.wallet(phone, 100_000);
    expect(await gw.call('GET', `/pay/v02/debitotp/${phone}/${AMOUNT}`)).toMatchObject({ error: false });
    const otp = await latestOtp(gw, phone);
    const body = walletPayinBody(phone, AMOUNT, otp);

    const { result: bodies } = await whileSampling(gw, () =>
      Promise.all(Array.from({ length: 20 }, () => gw.call('POST', WITHOTP_URL, { body }))),
    );
    expect(tally(bodies)).toEqual({ ok: 1, 'Echec (Code15)': 19 });

    const ledger = await readLedger(gw.gw.db);
    expectLedgerSound(ledger, 'after the race');
    const wallet = ledger.accounts.get(accountIds.wallet(phone));
    expect(wallet && availableXof(wallet)).toBe(100_000 - AMOUNT);
    expect(ledger.transfers.filter((t) => t.reason === 'wallet_payment')).toHaveLength(1);
    const payins = await gw.gw.db.command((tx) => tx.selectFrom('payins').select('id').execute());
    expect(payins).toHaveLength(1);
  });

  it('concurrent wrong OTP guesses all count: after attemptsMax the right code is refused', async () => {
    const phone = '22670123457';
    await gw.wallet(phone, 100_000);
    await gw.call('GET', `/pay/v02/debitotp/${phone}/${AMOUNT}`);
    const otp = await latestOtp(gw, phone);
    const wrong = Array.from({ length: 20 }, (_, i) =>
      String((Number(otp) + 1 + i) % 1_000_000).padStart(6, '0'),
    );

    const bodies = await Promise.all(
      wrong.map((code) => gw.call('POST', WITHOTP_URL, { body: walletPayinBody(phone, AMOUNT, code) })),
    );
    const attemptsMax = gw.gw.config.otp.attemptsMax;
    // The first attemptsMax guesses are wrong codes; every later one finds the OTP exhausted.
    expect(tally(bodies)).toEqual({ 'Echec (Code15)': attemptsMax, 'Echec (Code16)': 20 - attemptsMax });

    const right = await gw.call('POST', WITHOTP_URL, { body: walletPayinBody(phone, AMOUNT, otp) });
    expect(outcome(right)).toBe('Echec (Code16)');
    const ledger = await readLedger(gw.gw.db);
    expectLedgerSound(ledger, 'after the guesses');
    const wallet = ledger.accounts.get(accountIds.wallet(phone));
    expect(wallet && availableXof(wallet)).toBe(100_000);
  });
});
