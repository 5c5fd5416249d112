import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { type Json, PAYIN_ACCEPTED, outbox, subOf } from './http-helpers.js';
import {
  E1,
  E2,
  NUMBERS,
  PageClient,
  checkoutBody,
  confirmPayin,
  csrfOf,
  decide,
  dial,
  pagePath,
  pushes,
  straightBody,
  ussdOtp,
} from './payin-helpers.js';

/**
 * One end-to-end payin per validation mode of spec §5, through HTTP only, as a merchant and a
 * customer would: the direct payin (E2), the customer's part on the phone (sandbox actions) or in
 * the browser (the payment page, the operator portal), then the merchant's confirm. After each, the
 * ledger must balance and its running sums must equal what the transfer rows say.
 */
const AMOUNT = 7500;

async function expectLedgerConsistent(gw: TestGateway): Promise<void> {
  const { accounts, transfers } = await gw.gw.db.command(async (tx) => ({
    accounts: await tx.selectFrom('accounts').selectAll().execute(),
    transfers: await tx.selectFrom('transfers').selectAll().orderBy('created_at_ms').execute(),
  }));
  const sums = new Map<string, [number, number, number, number]>(accounts.map((a) => [a.id, [0, 0, 0, 0]]));
  const add = (id: string, index: 0 | 1 | 2 | 3, amount: number) => {
    const row = sums.get(id);
    if (row) row[index] += amount;
  };
  for (const t of transfers) {
    const a = Number(t.amount_xof);
    // [posted debits, posted credits, pending debits, pending credits] of the debit and credit sides.
    const effects: Record<string, [number, number, number, number, number, number, number, number]> = {
      single: [a, 0, 0, 0, 0, a, 0, 0],
      pending: [0, 0, a, 0, 0, 0, 0, a],
      post_pending: [a, 0, -a, 0, 0, a, 0, -a],
      void_pending: [0, 0, -a, 0, 0, 0, 0, -a],
    };
    const effect = effects[t.kind] ?? [0, 0, 0, 0, 0, 0, 0, 0];
    for (const index of [0, 1, 2, 3] as const) {
      add(t.debit_account_id, index, effect[index]);
      add(t.credit_account_id, index, effect[index + 4] ?? 0);
    }
  }
  for (const account of accounts) {
    expect(
      [
        Number(account.debits_posted_xof),
        Number(account.credits_posted_xof),
        Number(account.debits_pending_xof),
        Number(account.credits_pending_xof),
      ],
      account.id,
    ).toEqual(sums.get(account.id));
  }
  const total = (
    k: 'debits_posted_xof' | 'credits_posted_xof' | 'debits_pending_xof' | 'credits_pending_xof',
  ) => accounts.reduce((s, a) => s + Number(a[k]), 0);
  expect(total('debits_posted_xof')).toBe(total('credits_posted_xof'));
  expect(total('debits_pending_xof')).toBe(total('credits_pending_xof'));
}

type Mode = keyof typeof NUMBERS;

/** The customer's part, per mode, once the merchant's E2 has answered. */
const CUSTOMER: Record<
  Exclude<Mode, 'ussd_otp'>,
  (gw: TestGateway, created: Json, phone: string) => Promise<void>
> = {
  ussd_push: async (gw, _created, phone) => {
    const [push] = await pushes(gw, phone);
    expect((await decide(gw, String(push?.id), 'approve')).json.settled).toBe('completed');
  },
  push_with_guided_fallback: async (gw, _created, phone) => {
    // Moov falls back to guided USSD: the customer dials the code from the SMS instead.
    expect(await dial(gw, phone, '*555*6#')).toMatchObject({ action: 'approved', settled: 'completed' });
  },
  guided_ussd: async (gw, _created, phone) => {
    const sms = (await gw.call('GET', `/sandbox/sms?phone=${phone}&limit=1`)).messages as { body: string }[];
    const code = /Faites (\S+) pour payer/.exec(sms[0]?.body ?? '')?.[1];
    expect(code).toBe('*133#');
    expect(await dial(gw, phone, code)).toMatchObject({ action: 'approved', settled: 'completed' });
  },
  ligdicash_redirect: async (gw, created) => {
    const client = new PageClient(gw);
    const path = pagePath(created.response_text);
    const page = await client.get(path);
    expect(page.body).toContain('data-testid="waiting"');
    await client.post(`${path}/simulate`, { csrf: csrfOf(page.body), decision: 'approve' });
    expect((await client.get(path)).body).toContain('data-testid="completed"');
  },
  operator_redirect: async (gw, created) => {
    const client = new PageClient(gw);
    const portal = new URL(String(created.response_text)).pathname;
    const page = await client.get(portal);
    const back = await client.post(portal, { csrf: csrfOf(page.body), decision: 'approve' });
    expect((await client.get(new URL(back.location ?? '').pathname)).body).toContain(
      'data-testid="completed"',
    );
  },
};

describe.each(BACKENDS)('end to end per validation mode on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
  });
  afterEach(async () => gw.destroy());

  async function finish(created: Json, mode: Mode): Promise<void> {
    const { phone, operatorId, name } = NUMBERS[mode];
    expect(await confirmPayin(gw, created.token)).toMatchObject({
      status: 'completed',
      operator_id: operatorId,
      operator_name: name,
      customer: phone,
      amount: String(AMOUNT),
    });
    expect((await subOf(gw, operatorId))?.availableXof).toBe(AMOUNT);
    expect((await outbox(gw)).map((e) => e.event_type)).toEqual(['payin.completed']);
    await expectLedgerConsistent(gw);
  }

  it('USSD OTP (Orange Burkina)', async () => {
    const { phone } = NUMBERS.ussd_otp;
    const otp = await ussdOtp(gw, phone);
    const created = await gw.call('POST', E2, { body: straightBody(phone, { amount: AMOUNT, otp }) });
    expect(created.response_text).toBe(PAYIN_ACCEPTED);
    await finish(created, 'ussd_otp');
  });

  it.each(Object.keys(CUSTOMER) as Exclude<Mode, 'ussd_otp'>[])('%s', async (mode) => {
    const { phone } = NUMBERS[mode];
    const created = await gw.call('POST', E2, { body: straightBody(phone, { amount: AMOUNT }) });
    expect(created.response_code).toBe('00');
    expect((await confirmPayin(gw, created.token)).status).toBe('pending');
    await expectLedgerConsistent(gw);
    await CUSTOMER[mode](gw, created, phone);
    await finish(created, mode);
  });

  it('hosted page, every mode in turn on one project', async () => {
    for (const mode of Object.keys(NUMBERS) as Mode[]) {
      const { phone, operatorId } = NUMBERS[mode];
      const created = await gw.call('POST', E1, { body: checkoutBody({ amount: AMOUNT }) });
      const client = new PageClient(gw);
      const path = pagePath(created.response_text);
      let page = await client.get(`${path}?op=${operatorId}`);
      let otp = '';
      if (mode === 'ussd_otp') otp = await ussdOtp(gw, phone);
      const posted = await client.post(`${path}/pay`, {
        csrf: csrfOf(page.body),
        operator: operatorId,
        phone,
        otp,
      });
      page = await client.get(posted.location ?? path);
      if (mode === 'operator_redirect') {
        const portal = new URL(/content="0;url=([^"]+)"/.exec(page.body)?.[1] ?? '').pathname;
        const form = await client.get(portal);
        await client.post(portal, { csrf: csrfOf(form.body), decision: 'approve' });
      } else if (mode === 'guided_ussd' || mode === 'push_with_guided_fallback') {
        await client.post(`${path}/dial`, { csrf: csrfOf(page.body), op: operatorId, phone });
      } else if (mode !== 'ussd_otp') {
        await client.post(`${path}/simulate`, { csrf: csrfOf(page.body), decision: 'approve' });
      }
      expect((await client.get(path)).body, mode).toContain('data-testid="completed"');
      expect((await confirmPayin(gw, created.token)).status, mode).toBe('completed');
    }
    expect((await outbox(gw)).length).toBe(Object.keys(NUMBERS).length);
    await expectLedgerConsistent(gw);
  });
});
