import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway, walletPayinBody } from './harness.js';
import {
  type Json,
  ORANGE,
  WIKI,
  authFailures,
  decodeJwt,
  expectEchec,
  otpFor,
  send,
  walletPayin,
  wireDateOf,
} from './http-helpers.js';

/**
 * The status endpoints over HTTP: payin confirm E3 (spec §2.3) and payout confirm E8/E9
 * (spec §2.8), in every spelling the SDKs and the docs use (official-sdks §1, §3.5).
 */
const PHONE = '22670111111';

/** The confirm key set every SDK can parse, as official-sdks §1 lists it. */
const CONFIRM_KEYS = [
  'response_code',
  'token',
  'response_text',
  'description',
  'custom_data',
  'wiki',
  'status',
  'operator_id',
  'operator_name',
  'customer',
  'montant',
  'amount',
  'date',
  'external_id',
  'request_id',
  'transaction_id',
];

/** `datecreation_customdata`: a PostgreSQL-style timestamp with microseconds (spec §3.2). */
function rowDateOf(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '000');
}

/** The same token with its signature's first character changed: same claims, no longer genuine. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.');
  const sig = signature ?? '';
  return `${header ?? ''}.${payload ?? ''}.${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`;
}

function expectConfirmKeys(body: Json): void {
  expect(Object.keys(body).sort()).toEqual([...CONFIRM_KEYS].sort());
}

describe.each(BACKENDS)('confirm endpoints over HTTP on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
    await gw.wallet(PHONE, 100_000);
    await gw.fundSub(ORANGE, 100_000);
  });
  afterEach(async () => gw.destroy());

  describe('payin: GET|POST /pay/v01/redirect/checkout-invoice/confirm', () => {
    const path = '/pay/v01/redirect/checkout-invoice/confirm';

    it('answers exactly the 16 keys, with amounts as digit strings and custom_data as rows', async () => {
      const created = await walletPayin(gw, PHONE, 1500, { transaction_id: 'ORD-42', order_id: 'A7' });
      const createdAtMs = gw.clock.nowMs();
      gw.clock.advance(60_000);
      const body = await gw.call('GET', `${path}/?invoiceToken=${String(created.token)}`);
      expectConfirmKeys(body);
      expect(body).toMatchObject({
        response_code: '00',
        token: '',
        response_text: '',
        description: '',
        wiki: WIKI.confirmInvoice,
        status: 'completed',
        operator_id: '0',
        operator_name: 'LIGDICASH',
        customer: PHONE,
        montant: '1500',
        amount: '1500',
        date: wireDateOf(createdAtMs),
        external_id: 'ORD-42A7',
        transaction_id: 'ORD-42',
      });
      expect(body.request_id).toMatch(/^P\d{13}$/);
      const createdCustomData = created.custom_data as Json;
      const at = rowDateOf(createdAtMs);
      expect(body.custom_data).toEqual([
        { keyof_customdata: 'transaction_id', valueof_customdata: 'ORD-42', datecreation_customdata: at },
        { keyof_customdata: 'order_id', valueof_customdata: 'A7', datecreation_customdata: at },
        {
          keyof_customdata: 'hash',
          valueof_customdata: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
          datecreation_customdata: at,
        },
        {
          keyof_customdata: 'logfile',
          valueof_customdata: createdCustomData.logfile,
          datecreation_customdata: at,
        },
      ]);
    });

    it('gives a hash row the merchant can recompute as sha256(Apikey + token)', async () => {
      const created = await walletPayin(gw, PHONE, 1500);
      const body = await gw.call('GET', `${path}/?invoiceToken=${String(created.token)}`);
      const rows = body.custom_data as { keyof_customdata: string; valueof_customdata: string }[];
      const expected = createHash('sha256')
        .update(gw.project.apikey + String(created.token))
        .digest('hex');
      expect(rows.find((row) => row.keyof_customdata === 'hash')?.valueof_customdata).toBe(expected);
    });

    it('derives external_id from the custom keys containing "id", and transaction_id from it when absent', async () => {
      const created = await walletPayin(gw, PHONE, 1500, { order_id: 'A7', note: 'gift', customer_id: 'C9' });
      const body = await gw.call('GET', `${path}/?invoiceToken=${String(created.token)}`);
      expect(body).toMatchObject({ external_id: 'A7C9', transaction_id: 'A7C9' });
    });

    it('uses invoice.external_id when the merchant gives one', async () => {
      const otp = await otpFor(gw, PHONE, 1500);
      const request = walletPayinBody(PHONE, 1500, otp, { transaction_id: 'ORD-9' });
      request.commande.invoice.external_id = 'EXT-77';
      const created = await gw.call('POST', '/pay/v02/debitwallet/withotp', { body: request });
      const body = await gw.call('GET', `${path}/?invoiceToken=${String(created.token)}`);
      expect(body).toMatchObject({ external_id: 'EXT-77', transaction_id: 'ORD-9' });
    });

    it("gives only the hash and logfile rows for PHP's empty custom_data", async () => {
      const created = await walletPayin(gw, PHONE, 1500, []);
      const body = await gw.call('GET', `${path}/?invoiceToken=${String(created.token)}`);
      expectConfirmKeys(body);
      expect((body.custom_data as { keyof_customdata: string }[]).map((row) => row.keyof_customdata)).toEqual(
        ['hash', 'logfile'],
      );
      expect(body).toMatchObject({ external_id: '', transaction_id: '' });
    });

    it('answers the same body in every spelling: GET or POST, slash or not, invoiceToken or token', async () => {
      const created = await walletPayin(gw, PHONE, 1500);
      const token = String(created.token);
      const reference = await gw.call('GET', `${path}/?invoiceToken=${token}`);
      expect(reference.status).toBe('completed');
      for (const url of [
        `${path}?invoiceToken=${token}`,
        `${path}/?token=${token}`,
        `${path}?token=${token}`,
      ]) {
        expect(await gw.call('GET', url), `GET ${url}`).toEqual(reference);
        expect(await gw.call('POST', url), `POST ${url}`).toEqual(reference);
      }
      expect(await gw.call('POST', `${path}/`, { body: { invoiceToken: token } })).toEqual(reference);
      expect(await gw.call('POST', path, { body: { token } })).toEqual(reference);
    });

    it('accepts the GET without Content-Type and with lower-case headers', async () => {
      const created = await walletPayin(gw, PHONE, 1500);
      const response = await send(gw, 'GET', `${path}/?invoiceToken=${String(created.token)}`, {
        omit: ['content-type', 'accept'],
      });
      expect(response.status).toBe(200);
      expect(response.json.status).toBe('completed');
    });

    it('keeps answering after the token’s 24 h expiry_date', async () => {
      const created = await walletPayin(gw, PHONE, 1500);
      gw.clock.advance(3 * 86_400_000);
      expect((await gw.call('GET', `${path}/?invoiceToken=${String(created.token)}`)).status).toBe(
        'completed',
      );
    });

    it('refuses every kind of authentication failure with Code00', async () => {
      const created = await walletPayin(gw, PHONE, 1500);
      const url = `${path}/?invoiceToken=${String(created.token)}`;
      const failures = authFailures(gw);
      for (const failure of failures) {
        for (const method of ['GET', 'POST']) {
          const response = await send(gw, method, url, failure);
          expect(response.status, failure.name).toBe(200);
          expectEchec(response.json, 'confirmInvoice', '00');
        }
      }
    });

    it("answers Code02 for another project's payin token", async () => {
      const created = await walletPayin(gw, PHONE, 1500);
      const body = await gw.call('GET', `${path}/?invoiceToken=${String(created.token)}`, {
        headers: gw.other.headers,
      });
      expectEchec(body, 'confirmInvoice', '02', 'Invoice not found');
    });

    it('answers Code02 for a token that is not genuine, or names no payin', async () => {
      const created = await walletPayin(gw, PHONE, 1500);
      const token = String(created.token);
      const [header, , signature] = token.split('.');
      const claims = decodeJwt(token).payload;
      const otherNumber = Buffer.from(JSON.stringify({ ...claims, id_invoice: '1' })).toString('base64url');
      const payout = await gw.call('POST', '/pay/v01/withdrawal/create', { body: payoutBody(PHONE, 5000) });
      const candidates = [
        'abc',
        tamper(token),
        `${header ?? ''}.${otherNumber}.${signature ?? ''}`,
        String(payout.token),
        `${token}x`,
        'x'.repeat(2000),
      ];
      for (const candidate of candidates) {
        expectEchec(await gw.call('GET', `${path}/?invoiceToken=${candidate}`), 'confirmInvoice', '02');
      }
    });

    it('answers Code04 when no token is given', async () => {
      expectEchec(await gw.call('GET', `${path}/`), 'confirmInvoice', '04');
      expectEchec(await gw.call('GET', `${path}/?invoiceToken=`), 'confirmInvoice', '04');
      expectEchec(await gw.call('POST', path, { body: {} }), 'confirmInvoice', '04');
    });
  });

  describe('payout: GET|POST /pay/v01/withdrawal/confirm and /pay/v01/straight/payout/confirm', () => {
    const paths = ['/pay/v01/withdrawal/confirm', '/pay/v01/straight/payout/confirm'];

    async function createPayout(
      extra: Record<string, unknown> = {},
      headers?: Record<string, string>,
    ): Promise<string> {
      const created = await gw.call('POST', '/pay/v01/withdrawal/create', {
        body: payoutBody(PHONE, 5000, extra),
        ...(headers ? { headers } : {}),
      });
      expect(created.response_code).toBe('00');
      return String(created.token);
    }

    it('answers exactly the 16 keys with the payout token, operator and amounts as strings', async () => {
      const token = await createPayout({ custom_data: { transaction_id: 'PO-1', order_id: 'A7' } });
      const body = await gw.call('GET', `/pay/v01/withdrawal/confirm/?withdrawalToken=${token}`);
      expectConfirmKeys(body);
      expect(body).toEqual({
        response_code: '00',
        token,
        response_text: '',
        description: '',
        custom_data: [],
        wiki: WIKI.createStraightWithdrawal,
        status: 'completed',
        operator_id: ORANGE,
        operator_name: 'ORANGE BURKINA',
        customer: PHONE,
        montant: '5000',
        amount: '5000',
        date: wireDateOf(gw.clock.nowMs()),
        external_id: 'PO-1',
        request_id: expect.stringMatching(/^P\d{13}$/) as string,
        transaction_id: 'PO-1',
      });
    });

    it('derives external_id and transaction_id from the id keys when there is no transaction_id', async () => {
      const token = await createPayout({ custom_data: { order_id: 'A7', refund_id: 'R1', note: 'x' } });
      expect(await gw.call('GET', `/pay/v01/withdrawal/confirm/?withdrawalToken=${token}`)).toMatchObject({
        external_id: 'A7R1',
        transaction_id: 'A7R1',
      });
    });

    it('moves from pending to completed, with the date of the last change', async () => {
      const token = await createPayout({ top_up_wallet: 0 });
      const createdAtMs = gw.clock.nowMs();
      const pending = await gw.call('GET', `/pay/v01/withdrawal/confirm/?withdrawalToken=${token}`);
      expectConfirmKeys(pending);
      expect(pending).toMatchObject({
        status: 'pending',
        date: wireDateOf(createdAtMs),
        operator_id: ORANGE,
        amount: '5000',
      });
      gw.clock.advance(90_000);
      await gw.dispatcher.runOnce();
      const done = await gw.call('GET', `/pay/v01/withdrawal/confirm/?withdrawalToken=${token}`);
      expect(done).toMatchObject({ status: 'completed', date: wireDateOf(createdAtMs + 90_000) });
    });

    it('answers the same body on both paths, GET or POST, slash or not, either parameter name', async () => {
      const token = await createPayout();
      const reference = await gw.call('GET', `/pay/v01/withdrawal/confirm/?withdrawalToken=${token}`);
      for (const path of paths) {
        for (const slash of ['/', '']) {
          for (const name of ['withdrawalToken', 'payoutToken']) {
            const url = `${path}${slash}?${name}=${token}`;
            expect(await gw.call('GET', url), `GET ${url}`).toEqual(reference);
            expect(await gw.call('POST', url), `POST ${url}`).toEqual(reference);
          }
        }
        expect(await gw.call('POST', path, { body: { payoutToken: token } })).toEqual(reference);
      }
    });

    it('refuses every kind of authentication failure with Code00 on both paths', async () => {
      const token = await createPayout();
      const failures = authFailures(gw);
      for (const path of paths) {
        for (const failure of failures) {
          const response = await send(
            gw,
            'GET',
            `${path}/?withdrawalToken=${token}&payoutToken=${token}`,
            failure,
          );
          expect(response.status, failure.name).toBe(200);
          expectEchec(response.json, 'confirmInvoice', '00');
        }
      }
    });

    it("answers Code02 for another project's payout token", async () => {
      const token = await createPayout();
      for (const path of paths) {
        expectEchec(
          await gw.call('GET', `${path}/?withdrawalToken=${token}`, { headers: gw.other.headers }),
          'confirmInvoice',
          '02',
        );
      }
    });

    it('answers Code02 for a payin token or a token that is not genuine', async () => {
      const payin = await walletPayin(gw, PHONE, 1500);
      const token = await createPayout();
      for (const candidate of [String(payin.token), 'abc', tamper(token)]) {
        for (const path of paths) {
          expectEchec(await gw.call('GET', `${path}/?payoutToken=${candidate}`), 'confirmInvoice', '02');
        }
      }
    });

    it('answers Code04 when no token is given', async () => {
      for (const path of paths) {
        expectEchec(await gw.call('GET', `${path}/`), 'confirmInvoice', '04');
        expectEchec(await gw.call('POST', path, { body: {} }), 'confirmInvoice', '04');
      }
    });
  });
});
