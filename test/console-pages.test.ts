import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authenticate, hashApiToken } from '../src/commands/projects.js';
import {
  BACKENDS,
  type TestGateway,
  latestOtp,
  payoutBody,
  startTestGateway,
  walletPayinBody,
} from './harness.js';
import { ConsoleAgent, addConsoleUser, textOf } from './console-helpers.js';
import { E2, NUMBERS, confirmPayin, straightBody } from './payin-helpers.js';

/** The console's pages and actions through the real app, on every backend (ADR 0008). */
const WALLET = '22670123456';

describe.each(BACKENDS)('console pages on %s', (backend) => {
  let gw: TestGateway;
  let agent: ConsoleAgent;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
    await addConsoleUser(gw);
    agent = new ConsoleAgent(gw.app);
    await agent.signIn();
  });
  afterEach(async () => gw.destroy());

  async function walletPayin(amount: number, transactionId: string): Promise<Record<string, unknown>> {
    await gw.call('GET', `/pay/v02/debitotp/${WALLET}/${amount}`);
    return gw.call('POST', '/pay/v02/debitwallet/withotp', {
      body: walletPayinBody(WALLET, amount, await latestOtp(gw, WALLET), { transaction_id: transactionId }),
    });
  }

  it('creates a project, shows its credentials once, and they work', async () => {
    await agent.get('/console/projects');
    const created = await agent.post('/console/projects', {
      name: '<script>alert(1)</script> Shop',
      payin: 'on',
      allowed_ips: '10.0.0.1, 10.0.0.2',
      operators_submitted: '1',
      operators: ['0', '11'],
      callback_url: 'https://shop.example/cb',
      callback_mode: 'json',
    });
    expect(created.status).toBe(200);
    expect(created.body).not.toContain('<script>alert(1)</script>');
    expect(created.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Shop');
    const apikey = /<p>Apikey<\/p><code>([A-Z0-9]{17})<\/code>/.exec(created.body)?.[1] ?? '';
    const token = /<p>API token<\/p><code>([^<]+)<\/code>/.exec(created.body)?.[1] ?? '';
    expect(/<p>Callback signing secret<\/p><code>(whsec_[^<]+)<\/code>/.test(created.body)).toBe(true);
    const auth = await gw.gw.db.command((tx) => authenticate(tx, apikey, `Bearer ${token}`));
    expect(auth.ok && auth.value).toMatchObject({
      payinEnabled: true,
      payoutEnabled: false,
      allowedIps: ['10.0.0.1', '10.0.0.2'],
      operatorIds: ['0', '11'],
      callbackMode: 'json',
    });
    const projectId = auth.ok ? auth.value.id : '';
    const page = await agent.get(`/console/projects/${projectId}`);
    expect(page.body).toContain(apikey);
    expect(page.body).not.toContain(token);
    const stored = await gw.gw.db.command((tx) =>
      tx.selectFrom('projects').select('token_hash').where('id', '=', projectId).executeTakeFirstOrThrow(),
    );
    expect(stored.token_hash).toBe(hashApiToken(token));
  });

  it('changes switches, IPs and operators; refuses what LigdiCash refuses', async () => {
    await agent.get(`/console/projects/${gw.project.id}`);
    const tooMany = await agent.post(`/console/projects/${gw.project.id}`, {
      name: 'Test shop',
      payin: 'on',
      allowed_ips: '1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4',
      operators_submitted: '1',
      operators: ['0'],
    });
    expect(tooMany.status).toBe(200);
    expect(textOf(tooMany.body)).toContain('at most 3 allowed IPs');
    const saved = await agent.post(`/console/projects/${gw.project.id}`, {
      name: 'Renamed shop',
      payout: 'on',
      allowed_ips: '127.0.0.1',
      operators_submitted: '1',
      operators: ['0', '12'],
    });
    expect(saved.status).toBe(303);
    expect(textOf((await agent.get(saved.location ?? '')).body)).toContain('Settings saved.');
    const auth = await gw.gw.db.command((tx) =>
      authenticate(tx, gw.project.apikey, `Bearer ${gw.project.token}`),
    );
    expect(auth.ok && auth.value).toMatchObject({
      name: 'Renamed shop',
      payinEnabled: false,
      payoutEnabled: true,
      allowedIps: ['127.0.0.1'],
      operatorIds: ['0', '12'],
    });
    expect((await gw.call('GET', `/pay/v02/debitotp/${WALLET}/1000`)).error).toBe(true);
  });

  it('rotates the Apikey and API token only when confirmed; the old pair stops working at once', async () => {
    await agent.get(`/console/projects/${gw.project.id}`);
    const unconfirmed = await agent.post(`/console/projects/${gw.project.id}/rotate-credentials`, {});
    expect(textOf(unconfirmed.body)).toContain('Tick the box to confirm');
    const rotated = await agent.post(`/console/projects/${gw.project.id}/rotate-credentials`, {
      confirm: 'yes',
    });
    const apikey = /<p>Apikey<\/p><code>([A-Z0-9]{17})<\/code>/.exec(rotated.body)?.[1] ?? '';
    const token = /<p>API token<\/p><code>([^<]+)<\/code>/.exec(rotated.body)?.[1] ?? '';
    expect(apikey).not.toBe(gw.project.apikey);
    const [before, after] = await gw.gw.db.command(async (tx) => [
      await authenticate(tx, gw.project.apikey, `Bearer ${gw.project.token}`),
      await authenticate(tx, apikey, `Bearer ${token}`),
    ]);
    expect(before?.ok).toBe(false);
    expect(after?.ok).toBe(true);
  });

  it('rotates the callback secret and shows the new one once', async () => {
    const old = await gw.gw.db.command((tx) =>
      tx
        .selectFrom('projects')
        .select('webhook_secret')
        .where('id', '=', gw.project.id)
        .executeTakeFirstOrThrow(),
    );
    await agent.get(`/console/projects/${gw.project.id}`);
    const rotated = await agent.post(`/console/projects/${gw.project.id}/rotate-webhook-secret`, {});
    const secret = /<p>Callback signing secret<\/p><code>(whsec_[^<]+)<\/code>/.exec(rotated.body)?.[1];
    const now = await gw.gw.db.command((tx) =>
      tx
        .selectFrom('projects')
        .select(['webhook_secret', 'webhook_secret_previous'])
        .where('id', '=', gw.project.id)
        .executeTakeFirstOrThrow(),
    );
    expect(now).toEqual({ webhook_secret: secret, webhook_secret_previous: old.webhook_secret });
    expect((await agent.get(`/console/projects/${gw.project.id}`)).body).not.toContain(secret);
  });

  it('funds a sub-account and wallets; refuses amounts that are not whole XOF', async () => {
    await agent.get(`/console/projects/${gw.project.id}`);
    expect(
      (await agent.post(`/console/projects/${gw.project.id}/fund`, { operator: '11', amount: '12.5' })).body,
    ).toContain('whole, positive number');
    expect(
      (await agent.post(`/console/projects/${gw.project.id}/fund`, { operator: '11', amount: '25000' }))
        .status,
    ).toBe(303);
    expect(textOf((await agent.get(`/console/projects/${gw.project.id}`)).body)).toMatch(
      /ORANGE BURKINA 25\u202f000 XOF 0 XOF 25\u202f000 XOF/,
    );
    await agent.get('/console/wallets');
    expect(
      (
        await agent.post('/console/wallets', {
          phone: '+226 70 99 00 11',
          holder_name: 'Issa',
          amount: '3000',
        })
      ).location,
    ).toBe('/console/wallets?phone=22670990011&done=created');
    await agent.get('/console/wallets?phone=22670990011');
    expect((await agent.post('/console/wallets/fund', { phone: '22670990011', amount: '2000' })).status).toBe(
      303,
    );
    const page = await agent.get('/console/wallets?phone=22670990011&done=funded');
    expect(textOf(page.body)).toMatch(
      /Wallet funded\..*22670990011 Issa 5\u202f000 XOF 0 XOF 5\u202f000 XOF/,
    );
    expect(
      textOf((await agent.post('/console/wallets/fund', { phone: '22670990099', amount: '2000' })).body),
    ).toContain('no wallet for 22670990099');
    expect(textOf((await agent.post('/console/wallets', { phone: 'abc' })).body)).toContain(
      'is not an international number',
    );
  });

  it("searches transactions by every field and tells a payin's whole story", async () => {
    await gw.wallet(WALLET, 50_000);
    await gw.fundSub('11', 50_000);
    const payin = await walletPayin(2_500, 'ORD-1');
    gw.clock.advance(86_400_000);
    await agent.signIn();
    const payout = await gw.call('POST', '/pay/v01/withdrawal/create', {
      body: payoutBody(WALLET, 1_000, { custom_data: { transaction_id: 'RF-1' } }),
    });
    expect(payout.response_code).toBe('00');
    const find = async (query: string) =>
      [
        ...(await agent.get(`/console/transactions?${query}`)).body.matchAll(
          /href="\/console\/transactions\/((?:pay|po)_[a-z0-9]+)"/g,
        ),
      ].map((m) => m[1]);
    const all = await find('');
    expect(all).toHaveLength(2);
    expect(all[0]).toMatch(/^po_/);
    expect(await find(`token=${encodeURIComponent(String(payin.token))}`)).toEqual([all[1]]);
    expect(await find(`token=${encodeURIComponent(String(payout.token))}`)).toEqual([all[0]]);
    expect(await find('merchant_transaction_id=RF-1')).toEqual([all[0]]);
    expect(await find(`phone=${encodeURIComponent('+226 70 12 34 56')}`)).toHaveLength(2);
    expect(await find('kind=payin&status=completed&operator=0')).toEqual([all[1]]);
    expect(await find('status=pending')).toEqual([]);
    expect(await find(`project=${gw.other.id}`)).toEqual([]);
    expect(await find('from=2026-11-23&to=2026-11-23')).toEqual([all[0]]);
    expect(await find('to=2026-11-22')).toEqual([all[1]]);
    const requestId =
      /<code>(P\d{13})<\/code>/.exec((await agent.get('/console/transactions?kind=payin')).body)?.[1] ?? '';
    expect(await find(`request_id=${requestId}`)).toEqual([all[1]]);
    expect((await agent.get('/console/transactions?from=yesterday')).status).toBe(400);

    await gw.callbacks.runOnce();
    const story = textOf((await agent.get(`/console/transactions/${all[1] ?? ''}`)).body);
    expect(story).toContain('Status completed');
    expect(story).toMatch(/State changes 2026-11-22 12:00:00 completed/);
    expect(story).toMatch(/wal:22670123456 sub:prj_\w+:0 2\u202f500 XOF wallet_payment/);
    expect(story).toMatch(/payin\.completed/);
    expect((await agent.get('/console/transactions/pay_nope')).status).toBe(404);
  });

  it('resends a callback from the story page, and records who did', async () => {
    await gw.wallet(WALLET, 50_000);
    await walletPayin(2_500, 'ORD-2');
    await gw.callbacks.runOnce();
    const event = await gw.gw.db.command((tx) =>
      tx.selectFrom('outbox').select(['id', 'subject_id']).executeTakeFirstOrThrow(),
    );
    await agent.get(`/console/transactions/${event.subject_id}`);
    const wrongSubject = await agent.post(`/console/transactions/pay_other/callbacks/${event.id}/resend`, {});
    expect(wrongSubject.status).toBe(404);
    await agent.get(`/console/transactions/${event.subject_id}`);
    const resent = await agent.post(
      `/console/transactions/${event.subject_id}/callbacks/${event.id}/resend`,
      {},
    );
    expect(resent.location).toBe(`/console/transactions/${event.subject_id}?done=resent#callbacks`);
    const row = await gw.gw.db.command((tx) =>
      tx
        .selectFrom('outbox')
        .select(['status', 'cycle_attempts'])
        .where('id', '=', event.id)
        .executeTakeFirstOrThrow(),
    );
    expect(row).toEqual({ status: 'pending', cycle_attempts: 0 });
    expect(textOf((await agent.get('/console/activity')).body)).toMatch(
      new RegExp(`ops@example\\.com callback resend ${event.id}`),
    );
  });

  it("shows the dashboard's numbers per day and per operator", async () => {
    await gw.wallet(WALLET, 50_000);
    await gw.fundSub('11', 50_000);
    await walletPayin(2_500, 'ORD-3');
    await walletPayin(1_500, 'ORD-4');
    expect(
      (
        await gw.call('POST', '/pay/v01/withdrawal/create', {
          body: payoutBody(WALLET, 1_000, { custom_data: { transaction_id: 'RF-3' } }),
        })
      ).response_code,
    ).toBe('00');
    const text = textOf((await agent.get('/console?days=7')).body);
    expect(text).toContain('Payins 4\u202f000 XOF 2 completed of 2 created · success rate 100 %');
    expect(text).toContain('Payouts 1\u202f000 XOF 1 completed of 1 created');
    expect(text).toMatch(
      /By operator .* LIGDICASH 2 2 0 100 % 4\u202f000 XOF 0 0 0 — 0 XOF ORANGE BURKINA 0 0 0 — 0 XOF 1 1 0 100 % 1\u202f000 XOF All 2 2 0 100 % 4\u202f000 XOF 1 1 0 100 % 1\u202f000 XOF/,
    );
    expect((await agent.get(`/console?days=7&project=${gw.other.id}`)).body).toContain(
      'No payin or payout in this period.',
    );
  });

  it('proves the balances sum to zero, and recomputes them from the transfers', async () => {
    await gw.wallet(WALLET, 50_000);
    await walletPayin(2_500, 'ORD-5');
    const page = await agent.get('/console/balances');
    expect(textOf(page.body)).toMatch(/Proof of balance ok/);
    expect(textOf(page.body)).toMatch(/Sum of every posted balance 0 XOF/);
    const verified = await agent.post('/console/balances/verify', {});
    expect(textOf(verified.body)).toMatch(
      /Recomputed \d+ accounts from their transfers: every cached balance matches\./,
    );
    await gw.gw.db.command((tx) =>
      tx
        .updateTable('accounts')
        .set((eb) => ({ credits_posted_xof: eb('credits_posted_xof', '+', 1) }))
        .where('id', '=', 'wal:22670123456')
        .execute(),
    );
    await agent.get('/console/balances');
    expect(textOf((await agent.post('/console/balances/verify', {})).body)).toMatch(
      /1 of \d+ accounts differ from their transfers: wal:22670123456/,
    );
  });

  it('sandbox pages: the SMS inbox shows OTPs, pushes are approved, magic numbers are listed', async () => {
    await gw.wallet(WALLET, 5_000);
    await gw.call('GET', `/pay/v02/debitotp/${WALLET}/1000`);
    expect(textOf((await agent.get('/console/sandbox/sms')).body)).toMatch(
      new RegExp(`${WALLET} LigdiCash: votre code de paiement est \\d{6}`),
    );
    const payin = await gw.call('POST', E2, { body: straightBody(NUMBERS.ussd_push.phone) });
    const pushes = await agent.get('/console/sandbox/pushes');
    const id = /\/console\/sandbox\/pushes\/(PSH\d{8})\/approve/.exec(pushes.body)?.[1] ?? '';
    const approved = await agent.post(`/console/sandbox/pushes/${id}/approve`, {});
    expect(decodeURIComponent(approved.location ?? '')).toBe(
      `/console/sandbox/pushes?done=${id} approved, settled`,
    );
    expect(textOf((await agent.get(approved.location ?? '')).body)).toContain(`${id} approved, settled`);
    expect((await confirmPayin(gw, payin.token)).status).toBe('completed');
    expect(textOf((await agent.post(`/console/sandbox/pushes/${id}/decline`, {})).body)).toContain(
      'already completed',
    );
    expect(textOf((await agent.get('/console/sandbox/pushes?done=<b>phish</b>')).body)).not.toContain(
      'phish',
    );
    expect(textOf((await agent.get('/console/sandbox/magic-numbers')).body)).toMatch(
      /0002 fails: declined fails: declined 22670000002/,
    );
  });
});
