import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway } from './harness.js';
import {
  type Json,
  MOOV,
  ORANGE,
  WIKI,
  authFailures,
  expectEchec,
  expectTokenClaims,
  money,
  outbox,
  payouts,
  send,
  setProject,
  subOf,
  walletOf,
  without,
} from './http-helpers.js';

/**
 * The customer payout over HTTP, `POST /pay/v01/withdrawal/create` (spec §2.6, §6.4), and its
 * onward transfer by the dispatcher with the simulator's magic numbers (src/operators/simulator.ts).
 */
const CREATE = '/pay/v01/withdrawal/create';
const PHONE = '22670111111';
const MOOV_PHONE = '22674111111';
const UNKNOWN_OPERATOR_PHONE = '22690111111';
const SUB_XOF = 100_000;
const WALLET_XOF = 1_000;

function confirmUrl(token: unknown): string {
  return `/pay/v01/withdrawal/confirm/?withdrawalToken=${String(token)}`;
}

/** A body with its `amount` written literally, e.g. `1500.0`, which JSON.stringify cannot produce. */
function rawAmountBody(phone: string, literal: string): string {
  return JSON.stringify(payoutBody(phone, 'AMOUNT', { custom_data: { transaction_id: 'PO-RAW' } })).replace(
    '"AMOUNT"',
    literal,
  );
}

describe.each(BACKENDS)('customer payout over HTTP on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
    await gw.wallet(PHONE, WALLET_XOF);
    await gw.fundSub(ORANGE, SUB_XOF);
  });
  afterEach(async () => gw.destroy());

  function create(body: unknown, headers?: Record<string, string>, ip?: string): Promise<Json> {
    return gw.call('POST', CREATE, {
      body,
      ...(headers ? { headers } : {}),
      ...(ip !== undefined ? { ip } : {}),
    });
  }

  async function statusOf(token: unknown): Promise<unknown> {
    return (await gw.call('GET', confirmUrl(token))).status;
  }

  describe('top_up_wallet 1: to the LigdiCash wallet', () => {
    it('answers the create envelope with a payout token', async () => {
      const created = await create(payoutBody(PHONE, 5000, { custom_data: { transaction_id: 'PO-1' } }));
      expect(Object.keys(created).sort()).toEqual([
        'custom_data',
        'description',
        'response_code',
        'response_text',
        'token',
        'wiki',
      ]);
      expect(created).toMatchObject({
        response_code: '00',
        response_text: '',
        description: '',
        wiki: WIKI.createWithdrawal,
      });
      expect(created.custom_data).toEqual({
        transaction_id: 'PO-1',
        logfile: expect.stringMatching(/^20261122120000[0-9a-f]{13}$/) as string,
      });
      expectTokenClaims(created.token, 'id_finance', gw.clock.nowMs());
    });

    it('credits the wallet at once from the operator sub-account, and confirm says completed', async () => {
      const created = await create(payoutBody(PHONE, 5000));
      expect((await walletOf(gw, PHONE))?.availableXof).toBe(WALLET_XOF + 5000);
      expect(await subOf(gw, ORANGE)).toMatchObject({
        postedXof: SUB_XOF - 5000,
        availableXof: SUB_XOF - 5000,
        heldXof: 0,
      });
      expect(await statusOf(created.token)).toBe('completed');
    });

    it('writes exactly one payout.completed outbox row', async () => {
      await create(payoutBody(PHONE, 5000));
      const [payout] = await payouts(gw);
      const rows = await outbox(gw);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        event_type: 'payout.completed',
        subject_type: 'payout',
        subject_id: payout?.id,
        project_id: gw.project.id,
      });
    });

    it('needs nothing from the dispatcher', async () => {
      await create(payoutBody(PHONE, 5000));
      expect(await gw.dispatcher.runOnce()).toBe(0);
    });
  });

  describe('top_up_wallet 0: on to mobile money', () => {
    it('stays pending with a hold on the sub-account until the dispatcher runs', async () => {
      const created = await create(payoutBody(PHONE, 5000, { top_up_wallet: 0 }));
      expect(created.response_code).toBe('00');
      expect(await statusOf(created.token)).toBe('pending');
      expect(await subOf(gw, ORANGE)).toMatchObject({
        postedXof: SUB_XOF,
        availableXof: SUB_XOF - 5000,
        heldXof: 5000,
      });
      expect((await walletOf(gw, PHONE))?.availableXof).toBe(WALLET_XOF);
      expect(await outbox(gw)).toEqual([]);
    });

    it('completes when the operator pays: the hold is posted and one payout.completed event written', async () => {
      const created = await create(payoutBody(PHONE, 5000, { top_up_wallet: 0 }));
      expect(await gw.dispatcher.runOnce()).toBe(1);
      expect(await statusOf(created.token)).toBe('completed');
      expect(await subOf(gw, ORANGE)).toMatchObject({
        postedXof: SUB_XOF - 5000,
        availableXof: SUB_XOF - 5000,
        heldXof: 0,
      });
      expect((await walletOf(gw, PHONE))?.availableXof).toBe(WALLET_XOF);
      const rows = await outbox(gw);
      expect(rows.map((row) => row.event_type)).toEqual(['payout.completed']);
      expect(await gw.dispatcher.runOnce()).toBe(0);
    });

    it.each([
      ['0002', 'declined'],
      ['0003', 'insufficient_funds'],
      ['0004', 'operator_error'],
    ])(
      'becomes notcompleted when the operator fails (number ending %s) and gives the money back',
      async (suffix, reason) => {
        const phone = `2267011${suffix}`;
        await gw.wallet(phone, 0);
        const created = await create(payoutBody(phone, 5000, { top_up_wallet: 0 }));
        expect(created.response_code).toBe('00');
        expect(await gw.dispatcher.runOnce()).toBe(1);
        const confirmed = await gw.call('GET', confirmUrl(created.token));
        expect(confirmed).toMatchObject({ response_code: '00', status: 'notcompleted', description: reason });
        expect(await subOf(gw, ORANGE)).toMatchObject({
          postedXof: SUB_XOF,
          availableXof: SUB_XOF,
          heldXof: 0,
        });
        expect((await walletOf(gw, phone))?.availableXof).toBe(0);
        expect((await outbox(gw)).map((row) => row.event_type)).toEqual(['payout.notcompleted']);
      },
    );

    it('stays pending, money held, when the operator does not answer (number ending 0005)', async () => {
      const phone = '22670110005';
      await gw.wallet(phone, 0);
      const created = await create(payoutBody(phone, 5000, { top_up_wallet: 0 }));
      expect(await gw.dispatcher.runOnce()).toBe(1);
      expect(await statusOf(created.token)).toBe('pending');
      expect(await subOf(gw, ORANGE)).toMatchObject({
        postedXof: SUB_XOF,
        availableXof: SUB_XOF - 5000,
        heldXof: 5000,
      });
      expect(await outbox(gw)).toEqual([]);
    });

    it('counts held money as spent: a second payout beyond the rest is refused with Code04', async () => {
      expect((await create(payoutBody(PHONE, 60_000, { top_up_wallet: 0 }))).response_code).toBe('00');
      expectEchec(await create(payoutBody(PHONE, 50_000, { top_up_wallet: 0 })), 'createWithdrawal', '04');
      expectEchec(await create(payoutBody(PHONE, 50_000)), 'createWithdrawal', '04');
      expect((await create(payoutBody(PHONE, 40_000))).response_code).toBe('00');
    });
  });

  describe('errors', () => {
    /** Checks that a refused payout left balances, payouts and the outbox untouched. */
    async function expectNothingMoved(before: Awaited<ReturnType<typeof money>>): Promise<void> {
      expect(await money(gw)).toEqual(before);
      expect(await payouts(gw)).toEqual([]);
      expect(await outbox(gw)).toEqual([]);
    }

    it('refuses every kind of authentication failure with Code00', async () => {
      const before = await money(gw);
      const failures = authFailures(gw);
      for (const failure of failures) {
        const response = await send(gw, 'POST', CREATE, { ...failure, body: payoutBody(PHONE, 5000) });
        expect(response.status, failure.name).toBe(200);
        expectEchec(response.json, 'createWithdrawal', '00');
      }
      await expectNothingMoved(before);
    });

    it('refuses with Code01 when payouts are switched off', async () => {
      await setProject(gw, { payoutEnabled: false });
      const before = await money(gw);
      expectEchec(await create(payoutBody(PHONE, 5000)), 'createWithdrawal', '01');
      await expectNothingMoved(before);
    });

    it('refuses a customer without a wallet with Code02', async () => {
      const before = await money(gw);
      expectEchec(
        await create(payoutBody('22670999999', 5000)),
        'createWithdrawal',
        '02',
        'Customer not registered on the platform',
      );
      await expectNothingMoved(before);
    });

    it('refuses a number no operator serves with Code03', async () => {
      await gw.wallet(UNKNOWN_OPERATOR_PHONE, 0);
      const before = await money(gw);
      expectEchec(await create(payoutBody(UNKNOWN_OPERATOR_PHONE, 5000)), 'createWithdrawal', '03');
      await expectNothingMoved(before);
    });

    it("refuses with Code03 when the project has no sub-account on the customer's operator", async () => {
      await gw.wallet(MOOV_PHONE, 0);
      const before = await money(gw);
      expectEchec(await create(payoutBody(MOOV_PHONE, 5000)), 'createWithdrawal', '03');
      await expectNothingMoved(before);
      await gw.fundSub(MOOV, 10_000);
      expect((await create(payoutBody(MOOV_PHONE, 5000))).response_code).toBe('00');
    });

    it("refuses with Code03 when the customer's operator is not enabled for the project", async () => {
      await setProject(gw, { operatorIds: ['0', MOOV] });
      expectEchec(await create(payoutBody(PHONE, 5000)), 'createWithdrawal', '03');
    });

    it('refuses with Code04 when the sub-account is underfunded, for both kinds', async () => {
      const before = await money(gw);
      expectEchec(
        await create(payoutBody(PHONE, SUB_XOF + 1)),
        'createWithdrawal',
        '04',
        'Merchant balance low',
      );
      expectEchec(
        await create(payoutBody(PHONE, SUB_XOF + 1, { top_up_wallet: 0 })),
        'createWithdrawal',
        '04',
      );
      await expectNothingMoved(before);
      expect((await create(payoutBody(PHONE, SUB_XOF))).response_code).toBe('00');
    });

    it('keeps amounts within 20 … 1,000,000 XOF (Code05)', async () => {
      await gw.fundSub(ORANGE, 2_000_000);
      expectEchec(
        await create(payoutBody(PHONE, 19)),
        'createWithdrawal',
        '05',
        'Request amount is out of range [20;1000000]',
      );
      expect((await create(payoutBody(PHONE, 20))).response_code).toBe('00');
      expect((await create(payoutBody(PHONE, 1_000_000))).response_code).toBe('00');
      expectEchec(await create(payoutBody(PHONE, 1_000_001)), 'createWithdrawal', '05');
    });

    it.each([
      ['a fraction', 1500.5],
      ['a fractional string', '1500.5'],
      ['a negative amount', -1500],
      ['zero', 0],
      ['words', 'mille'],
    ])('refuses %s with Code05', async (_name, amount) => {
      const before = await money(gw);
      expectEchec(await create(payoutBody(PHONE, amount)), 'createWithdrawal', '05');
      await expectNothingMoved(before);
    });

    it('refuses a caller outside the IP allow-list with Code06', async () => {
      const before = await money(gw);
      expectEchec(await create(payoutBody(PHONE, 5000), undefined, '10.1.2.3'), 'createWithdrawal', '06');
      await expectNothingMoved(before);
    });

    it('refuses every caller when the allow-list is empty (Code06)', async () => {
      await setProject(gw, { allowedIps: [] });
      expectEchec(await create(payoutBody(PHONE, 5000)), 'createWithdrawal', '06');
    });

    it('accepts an allowed IPv4 address in its IPv4-mapped IPv6 form', async () => {
      expect((await create(payoutBody(PHONE, 5000), undefined, '::ffff:127.0.0.1')).response_code).toBe('00');
    });

    it('accepts an allowed IPv6 address', async () => {
      await setProject(gw, { allowedIps: ['::1'] });
      expect((await create(payoutBody(PHONE, 5000), undefined, '::1')).response_code).toBe('00');
      expectEchec(await create(payoutBody(PHONE, 5000)), 'createWithdrawal', '06');
    });

    it('refuses a second payout with the same custom_data.transaction_id with Code07', async () => {
      expect(
        (await create(payoutBody(PHONE, 5000, { custom_data: { transaction_id: 'PO-1' } }))).response_code,
      ).toBe('00');
      const before = await money(gw);
      expectEchec(
        await create(payoutBody(PHONE, 6000, { custom_data: { transaction_id: 'PO-1' } })),
        'createWithdrawal',
        '07',
        'Transaction already exists',
      );
      expect(await money(gw)).toEqual(before);
      expect(await payouts(gw)).toHaveLength(1);
      expect(await outbox(gw)).toHaveLength(1);
      expect(
        (await create(payoutBody(PHONE, 6000, { custom_data: { transaction_id: 'PO-2' } }))).response_code,
      ).toBe('00');
    });

    it('refuses a duplicate transaction_id even while the first payout is pending', async () => {
      expect(
        (await create(payoutBody(PHONE, 5000, { top_up_wallet: 0, custom_data: { transaction_id: 'PO-1' } })))
          .response_code,
      ).toBe('00');
      expectEchec(
        await create(payoutBody(PHONE, 5000, { top_up_wallet: 0, custom_data: { transaction_id: 'PO-1' } })),
        'createWithdrawal',
        '07',
      );
      expect(await subOf(gw, ORANGE)).toMatchObject({ heldXof: 5000 });
    });

    it('lets two projects use the same transaction_id', async () => {
      await gw.fundSub(ORANGE, SUB_XOF, gw.other.id);
      expect(
        (await create(payoutBody(PHONE, 5000, { custom_data: { transaction_id: 'PO-1' } }))).response_code,
      ).toBe('00');
      expect(
        (await create(payoutBody(PHONE, 5000, { custom_data: { transaction_id: 'PO-1' } }), gw.other.headers))
          .response_code,
      ).toBe('00');
    });

    it.each([
      ['too short', '7011111'],
      ['letters', '2267011111a'],
      ['empty', ''],
    ])('refuses a phone number that is %s with Code09', async (_name, phone) => {
      expectEchec(await create(payoutBody(phone, 5000)), 'createWithdrawal', '09');
      expect(await payouts(gw)).toEqual([]);
    });

    it.each([
      ['no commande', {}],
      ['a null body', null],
      ['no customer', { commande: { amount: 5000 } }],
      ['no amount', { commande: { customer: PHONE } }],
      ['top_up_wallet 2', payoutBody(PHONE, 5000, { top_up_wallet: 2 })],
      ['top_up_wallet "yes"', payoutBody(PHONE, 5000, { top_up_wallet: 'yes' })],
      ['custom_data a non-empty array', payoutBody(PHONE, 5000, { custom_data: ['x'] })],
      [
        'custom_data with an object value',
        payoutBody(PHONE, 5000, { custom_data: { transaction_id: { a: 1 } } }),
      ],
    ])('refuses a request with %s with Code09', async (_name, body) => {
      const before = await money(gw);
      expectEchec(await create(body), 'createWithdrawal', '09');
      await expectNothingMoved(before);
    });

    it('refuses an Idempotency-Key longer than 255 characters with Code09', async () => {
      expectEchec(
        await create(payoutBody(PHONE, 5000), { 'idempotency-key': 'k'.repeat(256) }),
        'createWithdrawal',
        '09',
      );
      expect(await payouts(gw)).toEqual([]);
    });
  });

  describe('what real clients send', () => {
    it("accepts Dart's doubles (1500.0)", async () => {
      const response = await send(gw, 'POST', CREATE, { rawBody: rawAmountBody(PHONE, '1500.0') });
      expect(response.json.response_code).toBe('00');
      expect((await walletOf(gw, PHONE))?.availableXof).toBe(WALLET_XOF + 1500);
    });

    it('accepts amounts as digit strings ("1500")', async () => {
      expect((await create(payoutBody(PHONE, '1500'))).response_code).toBe('00');
      expect((await walletOf(gw, PHONE))?.availableXof).toBe(WALLET_XOF + 1500);
    });

    it("accepts PHP's empty custom_data []", async () => {
      const created = await create(payoutBody(PHONE, 1500, { custom_data: [] }));
      expect(created.response_code).toBe('00');
      expect(created.custom_data).toEqual({ logfile: expect.any(String) as string });
    });

    it("accepts the JS SDK's to_ligdicash: true as top_up_wallet 1", async () => {
      const commande = without(payoutBody(PHONE, 1500).commande, 'top_up_wallet');
      const created = await create({ commande: { ...commande, to_ligdicash: true } });
      expect(await statusOf(created.token)).toBe('completed');
      expect((await walletOf(gw, PHONE))?.availableXof).toBe(WALLET_XOF + 1500);
    });

    it("accepts the JS SDK's to_ligdicash: false as top_up_wallet 0", async () => {
      const commande = without(payoutBody(PHONE, 1500).commande, 'top_up_wallet');
      const created = await create({ commande: { ...commande, to_ligdicash: false } });
      expect(await statusOf(created.token)).toBe('pending');
      expect(await subOf(gw, ORANGE)).toMatchObject({ heldXof: 1500 });
      expect((await walletOf(gw, PHONE))?.availableXof).toBe(WALLET_XOF);
    });

    it('treats an absent top_up_wallet as 1: the money stays in the wallet', async () => {
      const commande = without(payoutBody(PHONE, 1500).commande, 'top_up_wallet');
      const created = await create({ commande });
      expect(await statusOf(created.token)).toBe('completed');
      expect((await walletOf(gw, PHONE))?.availableXof).toBe(WALLET_XOF + 1500);
    });

    it('accepts top_up_wallet as the strings "0" and "1"', async () => {
      expect(await statusOf((await create(payoutBody(PHONE, 1500, { top_up_wallet: '0' }))).token)).toBe(
        'pending',
      );
      expect(await statusOf((await create(payoutBody(PHONE, 1500, { top_up_wallet: '1' }))).token)).toBe(
        'completed',
      );
    });

    it('accepts the Apikey and Authorization headers in any case, and no Content-Type', async () => {
      const response = await send(gw, 'POST', CREATE, {
        omit: ['apikey', 'authorization', 'content-type'],
        headers: { APIKEY: gw.project.apikey, Authorization: `Bearer ${gw.project.token}` },
        rawBody: JSON.stringify(payoutBody(PHONE, 1500)),
      });
      expect(response.json.response_code).toBe('00');
    });

    it('accepts +226 and 00226 spellings of the customer number', async () => {
      expect((await create(payoutBody(`+${PHONE}`, 1500))).response_code).toBe('00');
      expect((await create(payoutBody(`00${PHONE}`, 1500))).response_code).toBe('00');
      expect((await walletOf(gw, PHONE))?.availableXof).toBe(WALLET_XOF + 3000);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the same answer for the same key and body, and moves the money once', async () => {
      const body = payoutBody(PHONE, 5000, { custom_data: { transaction_id: 'PO-1' } });
      const first = await create(body, { 'idempotency-key': 'refund-1' });
      const second = await create(body, { 'idempotency-key': 'refund-1' });
      expect(first.response_code).toBe('00');
      expect(second).toEqual(first);
      expect((await walletOf(gw, PHONE))?.availableXof).toBe(WALLET_XOF + 5000);
      expect(await payouts(gw)).toHaveLength(1);
      expect(await outbox(gw)).toHaveLength(1);
    });

    it('places one hold only for a replayed top_up_wallet 0 payout', async () => {
      const body = payoutBody(PHONE, 5000, { top_up_wallet: 0 });
      const first = await create(body, { 'idempotency-key': 'refund-1' });
      expect(await create(body, { 'idempotency-key': 'refund-1' })).toEqual(first);
      expect(await subOf(gw, ORANGE)).toMatchObject({ heldXof: 5000 });
    });

    it('refuses the same key with another body, and moves nothing more', async () => {
      expect((await create(payoutBody(PHONE, 5000), { 'idempotency-key': 'refund-1' })).response_code).toBe(
        '00',
      );
      const before = await money(gw);
      expectEchec(
        await create(payoutBody(PHONE, 6000), { 'idempotency-key': 'refund-1' }),
        'createWithdrawal',
        '09',
        /Idempotency-Key/,
      );
      expect(await money(gw)).toEqual(before);
      expect(await payouts(gw)).toHaveLength(1);
    });

    it('does not record a failed request under its key', async () => {
      expectEchec(
        await create(payoutBody(PHONE, SUB_XOF + 1), { 'idempotency-key': 'refund-1' }),
        'createWithdrawal',
        '04',
      );
      await gw.fundSub(ORANGE, 1);
      expect(
        (await create(payoutBody(PHONE, SUB_XOF + 1), { 'idempotency-key': 'refund-1' })).response_code,
      ).toBe('00');
    });
  });
});
