import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueWalletOtp, payWithWalletOtp } from '../src/commands/payin-wallet.js';
import { createCustomerPayout } from '../src/commands/payout-customer.js';
import { type Project } from '../src/core/project.js';
import { createProject } from '../src/commands/projects.js';
import { listSms } from '../src/commands/sms.js';
import { accountIds, availableXof } from '../src/core/ledger.js';
import type { Xof } from '../src/core/money.js';
import { type Result, type ResultCode, type Wiki, subCodeFor } from '../src/core/result-codes.js';
import { verifyToken } from '../src/core/tokens.js';
import { DISPATCH_BATCH_MAX } from '../src/workers/payout-dispatcher.js';
import {
  BACKENDS,
  type Backend,
  type TestGateway,
  latestOtp,
  payoutBody,
  startTestGateway,
  walletPayinBody,
} from './harness.js';
import { expectLedgerSound, readLedger } from './ledger-checks.js';

/**
 * A seeded simulation of the ledger (STYLE.md, "Files and tests"; TigerBeetle's VOPR, Blnk's
 * invariant fuzzing). Each run plays a random sequence of commands: wallet creation and funding,
 * sub-account funding, wallet OTP payins (right, wrong and expired codes), customer payouts to the
 * wallet (`top_up_wallet` 1) and to the operator (0), dispatcher passes, where the simulator's
 * magic numbers make some operator transfers fail or stay pending, and clock jumps; each command
 * runs either directly or through HTTP.
 *
 * A small model predicts every command's outcome (success or its exact result code) and the
 * balance of every wallet and sub-account of the run. After every step the test compares the
 * database with the model and checks the ledger's invariants over the whole database
 * (test/ledger-checks.ts): totals balanced, no overdraft, running sums equal to the sums of the
 * transfers, holds equal to the pending payouts.
 *
 * Runs share one gateway per backend (starting one costs a migration), each in a project of its own
 * with customers of its own, so that one run cannot see another's accounts.
 *
 * The seed is fixed, so every test run plays the same sequences. To replay a failure, fast-check
 * prints `seed` and `path`: run with `CAURI_SIM_SEED=<seed> CAURI_SIM_PATH=<path>`. To explore new
 * sequences, set another `CAURI_SIM_SEED` (and `CAURI_SIM_RUNS` for more runs).
 */
const SEED = Number(process.env.CAURI_SIM_SEED ?? 20261122);
const PATH = process.env.CAURI_SIM_PATH;
const RUNS = Number(process.env.CAURI_SIM_RUNS ?? 20);
const STEPS_MIN = 10;
const STEPS_MAX = 22;
/** Runs per gateway: each run's customers carry the run's number in two digits. */
const RUNS_PER_GATEWAY = 100;

const ORANGE = '11';
const MOOV = '12';
const WALLET_OP = '0';

/**
 * The customers of a run: `226` + two digits naming the operator (70, 71 Orange, 01 Moov, 99 no
 * operator) + the run's two digits + four digits that are the simulator's magic numbers (README):
 * 0002, 0003 and 0004 make the operator transfer fail, 0005 keeps it pending for ever, anything
 * else succeeds.
 */
const CUSTOMERS = [
  { head: '70', suffix: '0011', operatorId: ORANGE, fate: 'completed' },
  { head: '70', suffix: '0012', operatorId: ORANGE, fate: 'completed' },
  { head: '70', suffix: '0002', operatorId: ORANGE, fate: 'notcompleted' },
  { head: '70', suffix: '0003', operatorId: ORANGE, fate: 'notcompleted' },
  { head: '70', suffix: '0004', operatorId: ORANGE, fate: 'notcompleted' },
  { head: '70', suffix: '0005', operatorId: ORANGE, fate: 'pending' },
  { head: '71', suffix: '0005', operatorId: ORANGE, fate: 'pending' },
  { head: '01', suffix: '0011', operatorId: MOOV, fate: 'completed' },
  { head: '01', suffix: '0005', operatorId: MOOV, fate: 'pending' },
  // No operator serves 22699…: a payout to it is refused; a wallet payin works.
  { head: '99', suffix: '0011', operatorId: undefined, fate: 'completed' },
] as const;
type Customer = (typeof CUSTOMERS)[number] & { phone: string };
const TRANSACTION_IDS = ['T1', 'T2'] as const;

type Via = 'command' | 'http';

type Step =
  | { t: 'wallet'; who: number; amount: number }
  | { t: 'fundSub'; operatorId: string; amount: number }
  | { t: 'payin'; who: number; amount: number; otp: 'right' | 'wrong' | 'expired'; via: Via }
  | { t: 'payout'; who: number; amount: number; topUp: boolean; transactionId: string | null; via: Via }
  | { t: 'dispatch' }
  | { t: 'advance'; ms: number };

const who = fc.nat({ max: CUSTOMERS.length - 1 });
/** One payout in two names a merchant transaction id, from a set small enough to repeat. */
const transactionId = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom<string | null>(...TRANSACTION_IDS) },
);
const via = fc.constantFrom<Via>('command', 'http');
/** Mostly ordinary amounts, sometimes below the payin (9) or payout (20) minimum. */
const amountFrom = (minXof: number) =>
  fc.oneof(
    { weight: 1, arbitrary: fc.integer({ min: 1, max: minXof - 1 }) },
    { weight: 12, arbitrary: fc.integer({ min: minXof, max: 20_000 }) },
  );
const walletStep = fc.record({
  t: fc.constant('wallet' as const),
  who,
  amount: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50_000 })),
});
const fundSubStep = fc.record({
  t: fc.constant('fundSub' as const),
  operatorId: fc.constantFrom(ORANGE, MOOV, WALLET_OP),
  amount: fc.integer({ min: 1, max: 60_000 }),
});

/**
 * Most customers get a wallet and most sub-accounts some money first, so that the commands after
 * them have money to move; about one in six is left out, for the refusals.
 */
const setup: fc.Arbitrary<Step[]> = fc
  .record({
    wallets: fc.array(fc.option(fc.integer({ min: 0, max: 50_000 }), { freq: 6 }), {
      minLength: CUSTOMERS.length,
      maxLength: CUSTOMERS.length,
    }),
    subs: fc.array(fc.option(fc.integer({ min: 1, max: 60_000 }), { freq: 6 }), {
      minLength: 3,
      maxLength: 3,
    }),
  })
  .map(({ wallets, subs }) => [
    ...wallets.flatMap((amountXof, i): Step[] =>
      amountXof === null ? [] : [{ t: 'wallet', who: i, amount: amountXof }],
    ),
    ...subs.flatMap((amountXof, i): Step[] =>
      amountXof === null
        ? []
        : [{ t: 'fundSub', operatorId: [ORANGE, MOOV, WALLET_OP][i] ?? ORANGE, amount: amountXof }],
    ),
  ]);

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: walletStep },
  { weight: 2, arbitrary: fundSubStep },
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('payin' as const),
      who,
      amount: amountFrom(9),
      otp: fc.constantFrom('right' as const, 'right' as const, 'wrong' as const, 'expired' as const),
      via,
    }),
  },
  {
    weight: 7,
    arbitrary: fc.record({
      t: fc.constant('payout' as const),
      who,
      amount: amountFrom(20),
      topUp: fc.boolean(),
      transactionId,
      via,
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('dispatch' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 7_200_000 }) }),
  },
);

/**
 * Every run ends with two dispatcher passes, the second after the back-off of the payouts the
 * first left pending, so that every hold meets its operator at least once.
 */
const FINALE: Step[] = [{ t: 'dispatch' }, { t: 'advance', ms: 3_600_000 }, { t: 'dispatch' }];

// ---------------------------------------------------------------- the model

interface SubModel {
  availableXof: number;
  heldXof: number;
}

interface PendingPayout {
  amountXof: number;
  subId: string;
  fate: 'completed' | 'notcompleted' | 'pending';
  dispatched: boolean;
}

/** What the test expects the database to hold for the run's project and customers. */
class Model {
  readonly wallets = new Map<string, number>();
  readonly subs = new Map<string, SubModel>();
  readonly pending = new Map<string, PendingPayout>();
  readonly usedTransactionIds = new Set<string>();
  payins = 0;
  payouts = 0;

  constructor(readonly projectId: string) {}

  subId(operatorId: string): string {
    return accountIds.subaccount(this.projectId, operatorId);
  }

  sub(operatorId: string): SubModel {
    const id = this.subId(operatorId);
    const found = this.subs.get(id) ?? { availableXof: 0, heldXof: 0 };
    this.subs.set(id, found);
    return found;
  }

  /**
   * The outcome `issueWalletOtp` must have (payin-wallet.ts): a missing wallet and a short balance
   * are not told apart by debitotp (ADR 0016).
   */
  expectIssue(_phone: string, amountXof: number): ResultCode | 'ok' {
    if (amountXof < 9 || amountXof > 2_000_000) return 'amount_out_of_range';
    return 'ok';
  }

  /** The outcome of `payWithWalletOtp` after an issued code: the code is judged before the wallet. */
  expectPay(phone: string, amountXof: number, otp: 'right' | 'wrong' | 'expired'): ResultCode | 'ok' {
    const wallet = this.wallets.get(phone);
    if (otp === 'expired') return 'otp_expired';
    // A number without a wallet never receives a code: whatever is presented is wrong.
    if (otp === 'wrong' || wallet === undefined) return 'otp_invalid';
    if (wallet < amountXof) return 'insufficient_wallet_balance';
    return 'ok';
  }

  /** The outcome `createCustomerPayout` must have, in the order it checks (payout-customer.ts). */
  expectPayout(customer: Customer, amountXof: number, transactionId: string | null): ResultCode | 'ok' {
    if (amountXof < 20 || amountXof > 1_000_000) return 'amount_out_of_range';
    if (!this.wallets.has(customer.phone)) return 'wallet_not_found';
    if (customer.operatorId === undefined) return 'operator_not_identified';
    if (transactionId !== null && this.usedTransactionIds.has(transactionId)) return 'duplicate_transaction';
    const sub = this.subs.get(this.subId(customer.operatorId));
    if (sub === undefined) return 'subaccount_missing';
    if (sub.availableXof < amountXof) return 'subaccount_insufficient';
    return 'ok';
  }
}

// ---------------------------------------------------------------- the runner

/** The envelope's `response_text` for a code, or '00' for success. */
function wireOutcome(wiki: Wiki, expected: ResultCode | 'ok'): string {
  return expected === 'ok' ? '00' : `Echec (Code${subCodeFor(wiki, expected).code})`;
}

function outcomeOf<T>(result: Result<T>): ResultCode | 'ok' {
  return result.ok ? 'ok' : result.code;
}

function outcomeOfBody(body: Record<string, unknown>): string {
  return body.response_code === '00' ? '00' : String(body.response_text);
}

/** How often each outcome occurred, so that the test can insist that the sequences reached them all. */
const seen = new Map<string, number>();
const saw = (outcome: string) => seen.set(outcome, (seen.get(outcome) ?? 0) + 1);

class Simulation {
  readonly customers: Customer[];

  private constructor(
    readonly gw: TestGateway,
    readonly project: Project,
    private readonly headers: Record<string, string>,
    run: number,
    readonly model = new Model(project.id),
  ) {
    const rr = String(run).padStart(2, '0');
    this.customers = CUSTOMERS.map((c) => ({ ...c, phone: `226${c.head}${rr}${c.suffix}` }));
  }

  static async start(gw: TestGateway, run: number): Promise<Simulation> {
    const created = await gw.gw.db.command((tx) =>
      createProject(
        tx,
        { name: `Simulated shop ${run}`, payinEnabled: true, payoutEnabled: true, allowedIps: ['127.0.0.1'] },
        gw.clock.nowMs(),
      ),
    );
    if (!created.ok) throw new Error(`project creation failed: ${created.code}`);
    const { project, apiToken } = created.value;
    const headers = {
      apikey: project.apikey,
      authorization: `Bearer ${apiToken}`,
      accept: 'application/json',
      'content-type': 'application/json',
    };
    return new Simulation(gw, project, headers, run);
  }

  private customer(index: number): Customer {
    const found = this.customers[index];
    if (!found) throw new Error(`no customer ${index}`);
    return found;
  }

  private post(url: string, body: unknown) {
    return this.gw.call('POST', url, { body, headers: this.headers });
  }

  async run(s: Step): Promise<void> {
    switch (s.t) {
      case 'wallet': {
        const { phone } = this.customer(s.who);
        await this.gw.wallet(phone, s.amount);
        this.model.wallets.set(phone, (this.model.wallets.get(phone) ?? 0) + s.amount);
        return;
      }
      case 'fundSub':
        await this.gw.fundSub(s.operatorId, s.amount, this.project.id);
        this.model.sub(s.operatorId).availableXof += s.amount;
        return;
      case 'payin':
        return this.payin(s);
      case 'payout':
        return this.payout(s);
      case 'dispatch':
        return this.dispatch();
      case 'advance':
        this.gw.clock.advance(s.ms);
        return;
    }
  }

  private async payin(s: Extract<Step, { t: 'payin' }>): Promise<void> {
    const { phone } = this.customer(s.who);
    const expectedIssue = this.model.expectIssue(phone, s.amount);
    // SMS are listed newest first by time: a distinct instant per OTP keeps "the latest" unambiguous.
    this.gw.clock.advance(1);
    if (s.via === 'http') {
      const answer = await this.gw.call('GET', `/pay/v02/debitotp/${phone}/${s.amount}`, {
        headers: this.headers,
      });
      expect(answer.error, `debitotp ${phone} ${s.amount}: ${String(answer.message)}`).toBe(
        expectedIssue !== 'ok',
      );
    } else {
      const issued = await this.gw.gw.db.command((tx) =>
        issueWalletOtp(this.gw.gw, tx, this.project, phone, s.amount as Xof),
      );
      expect(outcomeOf(issued), `issueWalletOtp ${phone} ${s.amount}`).toBe(expectedIssue);
    }
    if (expectedIssue !== 'ok') {
      saw(`payin ${expectedIssue}`);
      return;
    }

    const walletMissing = !this.model.wallets.has(phone);
    // No SMS reaches a number without a wallet: its customer can only guess.
    const code = walletMissing
      ? '000000'
      : s.via === 'http'
        ? await latestOtp(this.gw, phone)
        : await this.latestOtpDirect(phone);
    const presented = s.otp === 'wrong' ? String((Number(code) + 1) % 1_000_000).padStart(6, '0') : code;
    if (s.otp === 'expired') this.gw.clock.advance(this.gw.gw.config.otp.ttlMs);
    const expected = this.model.expectPay(phone, s.amount, s.otp);
    if (s.via === 'http') {
      const body = await this.post(
        '/pay/v02/debitwallet/withotp',
        walletPayinBody(phone, s.amount, presented),
      );
      expect(outcomeOfBody(body), `withotp ${phone} ${s.amount} ${s.otp}`).toBe(
        wireOutcome('createInvoice', expected),
      );
    } else {
      const paid = await this.gw.gw.db.command((tx) =>
        payWithWalletOtp(this.gw.gw, tx, this.project, {
          amountXof: s.amount as Xof,
          customer: phone,
          otp: presented,
          description: 'Simulated order',
          callbackUrl: 'https://shop.example/cb',
          customData: {},
          externalId: '',
        }),
      );
      expect(outcomeOf(paid), `payWithWalletOtp ${phone} ${s.amount} ${s.otp}`).toBe(expected);
    }
    saw(walletMissing ? `payin no wallet ${expected}` : `payin ${expected}`);
    if (expected !== 'ok') return;
    this.model.wallets.set(phone, (this.model.wallets.get(phone) ?? 0) - s.amount);
    this.model.sub(WALLET_OP).availableXof += s.amount;
    this.model.payins += 1;
  }

  private async latestOtpDirect(phone: string): Promise<string> {
    const [message] = await this.gw.gw.db.command((tx) => listSms(tx, phone, 1));
    const match = /(\d{6})/.exec(message?.body ?? '');
    if (!match?.[1]) throw new Error(`no OTP for ${phone}`);
    return match[1];
  }

  private async payout(s: Extract<Step, { t: 'payout' }>): Promise<void> {
    const customer = this.customer(s.who);
    const expected = this.model.expectPayout(customer, s.amount, s.transactionId);
    const customData: Record<string, string> =
      s.transactionId === null ? {} : { transaction_id: s.transactionId };
    let payoutId: string | undefined;
    if (s.via === 'http') {
      const body = await this.post(
        '/pay/v01/withdrawal/create',
        payoutBody(customer.phone, s.amount, { top_up_wallet: s.topUp ? 1 : 0, custom_data: customData }),
      );
      expect(outcomeOfBody(body), `withdrawal/create ${customer.phone} ${JSON.stringify(s)}`).toBe(
        wireOutcome('createWithdrawal', expected),
      );
      if (body.response_code === '00') payoutId = await this.payoutIdOfToken(String(body.token));
    } else {
      const created = await this.gw.gw.db.command((tx) =>
        createCustomerPayout(this.gw.gw, tx, this.project, '127.0.0.1', {
          amountXof: s.amount as Xof,
          customer: customer.phone,
          description: 'Simulated refund',
          callbackUrl: 'https://shop.example/cb',
          topUpWallet: s.topUp,
          customData,
        }),
      );
      expect(outcomeOf(created), `createCustomerPayout ${customer.phone} ${JSON.stringify(s)}`).toBe(
        expected,
      );
      if (created.ok) payoutId = created.value.id;
    }
    saw(`payout ${expected}${expected === 'ok' ? ` top_up_wallet ${s.topUp ? 1 : 0}` : ''}`);
    if (expected !== 'ok' || customer.operatorId === undefined) return;
    if (payoutId === undefined) throw new Error('a successful payout has no id');
    this.model.payouts += 1;
    if (s.transactionId !== null) this.model.usedTransactionIds.add(s.transactionId);
    const sub = this.model.sub(customer.operatorId);
    sub.availableXof -= s.amount;
    if (s.topUp) {
      this.model.wallets.set(customer.phone, (this.model.wallets.get(customer.phone) ?? 0) + s.amount);
    } else {
      sub.heldXof += s.amount;
      this.model.pending.set(payoutId, {
        amountXof: s.amount,
        subId: this.model.subId(customer.operatorId),
        fate: customer.fate,
        dispatched: false,
      });
    }
  }

  private async payoutIdOfToken(token: string): Promise<string> {
    const claims = verifyToken(token, this.gw.gw.tokenSecret);
    expect(claims?.kind).toBe('payout');
    const row = await this.gw.gw.db.command((tx) =>
      tx
        .selectFrom('payouts')
        .select('id')
        .where('number', '=', claims?.number ?? '')
        .executeTakeFirstOrThrow(),
    );
    return row.id;
  }

  /**
   * Dispatcher passes until one finds less than a full batch. Every payout not yet sent is due at
   * once and settles as its number says; a payout its operator keeps pending (0005) stays pending
   * however often it is asked about again.
   */
  private async dispatch(): Promise<void> {
    const fresh = [...this.model.pending.values()].filter((p) => !p.dispatched).length;
    let handled = 0;
    for (let count = DISPATCH_BATCH_MAX; count === DISPATCH_BATCH_MAX; handled += count)
      count = await this.gw.dispatcher.runOnce();
    expect(handled).toBeGreaterThanOrEqual(fresh);
    const rows = await this.gw.gw.db.command((tx) =>
      tx.selectFrom('payouts').select(['id', 'status']).where('project_id', '=', this.project.id).execute(),
    );
    const statuses = new Map(rows.map((r) => [r.id, r.status]));
    for (const [id, payout] of this.model.pending) {
      expect(statuses.get(id), `payout ${id} (${payout.fate})`).toBe(
        payout.dispatched ? 'pending' : payout.fate,
      );
      if (!payout.dispatched) saw(`dispatch ${payout.fate}`);
      payout.dispatched = true;
      if (payout.fate === 'pending') continue;
      const sub = this.model.subs.get(payout.subId);
      if (!sub) throw new Error(`no sub-account ${payout.subId} in the model`);
      sub.heldXof -= payout.amountXof;
      // A failed transfer voids the hold: the money is the merchant's to spend again.
      if (payout.fate === 'notcompleted') sub.availableXof += payout.amountXof;
      this.model.pending.delete(id);
    }
  }

  /** Compares the database with the model and checks the ledger's invariants. */
  async check(where: string): Promise<void> {
    const ledger = await readLedger(this.gw.gw.db);
    expectLedgerSound(ledger, where);
    const payouts = ledger.payouts.filter((p) => p.project_id === this.project.id);
    const payins = ledger.payins.filter((p) => p.project_id === this.project.id);
    const actual = {
      wallets: Object.fromEntries(
        this.customers.map(({ phone }) => {
          const account = ledger.accounts.get(accountIds.wallet(phone));
          // Wallets never carry holds: a payout to a wallet is a single transfer.
          return [
            phone,
            account ? [availableXof(account), account.debitsPendingXof + account.creditsPendingXof] : 'none',
          ];
        }),
      ),
      subs: Object.fromEntries(
        [ORANGE, MOOV, WALLET_OP].map((operatorId) => {
          const account = ledger.accounts.get(this.model.subId(operatorId));
          return [
            operatorId,
            account ? { availableXof: availableXof(account), heldXof: account.debitsPendingXof } : 'none',
          ];
        }),
      ),
      payouts: payouts.length,
      pendingPayouts: payouts
        .filter((p) => p.status === 'pending')
        .map((p) => p.id)
        .sort(),
      payins: payins.length,
      // Wallet payins are final at once.
      payinStatuses: [...new Set(payins.map((p) => p.status))],
    };
    const expected = {
      wallets: Object.fromEntries(
        this.customers.map(({ phone }) => {
          const balance = this.model.wallets.get(phone);
          return [phone, balance === undefined ? 'none' : [balance, 0]];
        }),
      ),
      subs: Object.fromEntries(
        [ORANGE, MOOV, WALLET_OP].map((operatorId) => [
          operatorId,
          this.model.subs.get(this.model.subId(operatorId)) ?? 'none',
        ]),
      ),
      payouts: this.model.payouts,
      pendingPayouts: [...this.model.pending.keys()].sort(),
      payins: this.model.payins,
      payinStatuses: this.model.payins > 0 ? ['completed'] : [],
    };
    expect(actual, `${where}: database against the model`).toEqual(expected);
  }

  /**
   * Parks the run's forever-pending payouts as a person would find them ("review"), so that the
   * dispatcher passes of later runs do not keep asking about them. Their holds stay.
   */
  async park(): Promise<void> {
    await this.gw.gw.db.command((tx) =>
      tx
        .updateTable('payouts')
        .set({ dispatch_state: 'review' })
        .where('project_id', '=', this.project.id)
        .where('status', '=', 'pending')
        .execute(),
    );
  }
}

/** One gateway per backend, replaced every RUNS_PER_GATEWAY runs. */
class Gateways {
  private current: TestGateway | undefined;
  private runs = 0;

  constructor(private readonly backend: Backend) {}

  async next(): Promise<{ gw: TestGateway; run: number }> {
    if (!this.current || this.runs === RUNS_PER_GATEWAY) {
      await this.close();
      this.current = await startTestGateway(this.backend);
      this.runs = 0;
    }
    return { gw: this.current, run: this.runs++ };
  }

  async close(): Promise<void> {
    const gw = this.current;
    this.current = undefined;
    await gw?.destroy();
  }
}

const EXPECTED_OUTCOMES = [
  'payin ok',
  'payin otp_invalid',
  'payin otp_expired',
  'payin no wallet otp_invalid',
  'payin insufficient_wallet_balance',
  'payin amount_out_of_range',
  'payout ok top_up_wallet 1',
  'payout ok top_up_wallet 0',
  'payout amount_out_of_range',
  'payout wallet_not_found',
  'payout operator_not_identified',
  'payout duplicate_transaction',
  'payout subaccount_missing',
  'payout subaccount_insufficient',
  'dispatch completed',
  'dispatch notcompleted',
  'dispatch pending',
];

describe.each(BACKENDS)('ledger simulation on %s', (backend) => {
  const gateways = new Gateways(backend);
  beforeAll(() => seen.clear());
  afterAll(() => gateways.close());

  it(`keeps the ledger sound and equal to the model over ${RUNS} random sequences of ${STEPS_MIN} to ${STEPS_MAX} commands after a random setup`, async () => {
    await fc.assert(
      fc.asyncProperty(
        setup,
        fc.array(step, { minLength: STEPS_MIN, maxLength: STEPS_MAX }),
        async (first, then) => {
          const { gw, run } = await gateways.next();
          try {
            const sim = await Simulation.start(gw, run);
            await sim.check('start');
            for (const [i, s] of [...first, ...then, ...FINALE].entries()) {
              await sim.run(s);
              await sim.check(`step ${i} ${JSON.stringify(s)}`);
            }
            await sim.park();
          } catch (error) {
            // A failed run may leave a broken ledger behind: the runs that shrink it start afresh.
            await gateways.close();
            throw error;
          }
        },
      ),
      { seed: SEED, numRuns: RUNS, ...(PATH !== undefined ? { path: PATH } : {}) },
    );
    // The sequences must have reached every outcome, or the checks above proved little. With
    // another CAURI_SIM_SEED a rare outcome may be missed by chance: raise CAURI_SIM_RUNS.
    const missing = EXPECTED_OUTCOMES.filter((outcome) => !seen.has(outcome));
    expect(missing, `outcomes never reached; reached: ${JSON.stringify(Object.fromEntries(seen))}`).toEqual(
      [],
    );
  }, 180_000);
});
