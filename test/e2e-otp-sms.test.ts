import { afterEach, describe, expect, it } from 'vitest';
import { generateWebhookSecret, verifyWebhook } from '../src/core/webhook-signature.js';
import { HttpHookProvider } from '../src/sms/http-hook.js';
import type { SmsProvider } from '../src/sms/provider.js';
import { SmppProvider } from '../src/sms/smpp.js';
import { insertDelivery, receiptIdCandidates, recordReceipt } from '../src/commands/otp-delivery.js';
import { BACKENDS, type TestGateway, startTestGateway, walletPayinBody } from './harness.js';
import { Receiver, until } from './callback-receiver.js';
import { FakeSmsc } from './fakes/fake-smsc.js';
import { OTP_SENT, payins, walletOf } from './http-helpers.js';

/**
 * Wallet OTP payins in production (issue 9, ADR 0014): the code goes to the customer through the
 * configured SMS provider — SMPP to the fake SMSC, or the signed HTTP hook — after the commit that
 * stores its hash; the customer pays with it. The code is stored nowhere in clear, each OTP has a
 * delivery state, and a provider that cannot take the SMS makes `debitotp` say so.
 */
const PHONE = '22670123456';
const WITHOTP = '/pay/v02/debitwallet/withotp';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function productionGateway(backend: (typeof BACKENDS)[number], sms: SmsProvider): Promise<TestGateway> {
  const gw = await startTestGateway(backend, {
    sms,
    config: { mode: 'production', callbackAllowPrivate: true },
  });
  cleanups.push(() => gw.destroy());
  await gw.wallet(PHONE, 50_000);
  return gw;
}

async function smppSetup(password = 'smpp-pw1'): Promise<{ smsc: FakeSmsc; provider: SmppProvider }> {
  const smsc = await FakeSmsc.start({ password: 'smpp-pw1' });
  cleanups.push(() => smsc.close());
  const provider = new SmppProvider({
    url: smsc.url,
    systemId: 'cauri',
    password,
    sourceAddr: 'LIGDICASH',
    connectTimeoutMs: 1_000,
    submitTimeoutMs: 1_000,
  });
  cleanups.push(() => provider.close());
  return { smsc, provider };
}

const codeIn = (body: string | undefined): string =>
  /code de paiement est (\d{6})/.exec(body ?? '')?.[1] ?? '';

async function deliveries(gw: TestGateway) {
  return gw.gw.db.command((tx) =>
    tx.selectFrom('otp_deliveries').selectAll().orderBy('created_at_ms').execute(),
  );
}

/** Every text column of the tables an OTP touches: the code must appear in none. */
async function storedText(gw: TestGateway): Promise<string> {
  const tables = await gw.gw.db.command(async (tx) => [
    await tx.selectFrom('otps').selectAll().execute(),
    await tx.selectFrom('otp_deliveries').selectAll().execute(),
    await tx.selectFrom('sms').selectAll().execute(),
  ]);
  return JSON.stringify(tables);
}

describe.each(BACKENDS)('wallet OTPs by SMS in production (%s)', (backend) => {
  it('SMPP: the SMSC gets the code, the customer pays with it, the receipt marks it delivered', async () => {
    const { smsc, provider } = await smppSetup();
    const gw = await productionGateway(backend, provider);
    expect(await gw.call('GET', `/pay/v02/debitotp/${PHONE}/1500`)).toEqual(OTP_SENT);
    expect(smsc.messages).toHaveLength(1);
    const sms = smsc.messages[0];
    expect(sms?.destination).toBe(PHONE);
    expect(sms?.sourceAddr).toBe('LIGDICASH');
    expect(sms?.body.length).toBeLessThanOrEqual(160);
    const code = codeIn(sms?.body);
    expect(code).toMatch(/^\d{6}$/);
    const [delivery] = await deliveries(gw);
    expect(delivery).toMatchObject({
      phone: PHONE,
      provider: 'smpp',
      state: 'submitted',
      provider_message_id: sms?.messageId,
      attempts: 1,
      error: null,
    });
    expect(await storedText(gw)).not.toContain(code);

    const paid = await gw.call('POST', WITHOTP, { body: walletPayinBody(PHONE, 1500, code) });
    expect(paid.response_code).toBe('00');
    expect((await payins(gw))[0]?.status).toBe('completed');
    expect((await walletOf(gw, PHONE))?.postedXof).toBe(48_500);

    smsc.sendReceipt(String(sms?.messageId), 'DELIVRD');
    await until(async () => (await deliveries(gw))[0]?.state === 'delivered');
  });

  it('SMPP: a failed receipt marks the SMS undeliverable', async () => {
    const { smsc, provider } = await smppSetup();
    const gw = await productionGateway(backend, provider);
    await gw.call('GET', `/pay/v02/debitotp/${PHONE}/1500`);
    smsc.sendReceipt(String(smsc.messages[0]?.messageId), 'UNDELIV');
    await until(async () => (await deliveries(gw))[0]?.state === 'undeliverable');
  });

  it('SMPP: a provider that cannot take the SMS makes debitotp say so, and records why without the code', async () => {
    const { smsc, provider } = await smppSetup('wrong-pw');
    const gw = await productionGateway(backend, provider);
    const answer = await gw.call('GET', `/pay/v02/debitotp/${PHONE}/1500`);
    expect(answer).toEqual({ error: true, message: 'The OTP could not be sent. Please try again later.' });
    expect(smsc.messages).toEqual([]);
    const [delivery] = await deliveries(gw);
    expect(delivery?.state).toBe('failed');
    expect(delivery?.error).toMatch(/bind|password|refused/i);
    expect(delivery?.error).not.toContain('wrong-pw');
    // No inbox in production.
    expect(await gw.gw.db.command((tx) => tx.selectFrom('sms').selectAll().execute())).toEqual([]);
  });

  it('HTTP hook: a signed POST carries the code, and the customer pays with it', async () => {
    const receiver = await Receiver.start();
    cleanups.push(() => receiver.close());
    receiver.answer = () => ({
      status: 200,
      body: JSON.stringify({ message_id: 'hook-1' }),
      headers: { 'content-type': 'application/json' },
    });
    const secret = generateWebhookSecret();
    const gw = await productionGateway(
      backend,
      new HttpHookProvider({ url: receiver.url('/sms'), secret, timeoutMs: 1_000 }),
    );
    expect(await gw.call('GET', `/pay/v02/debitotp/${PHONE}/2000`)).toEqual(OTP_SENT);
    const request = receiver.received[0];
    expect(verifyWebhook(secret, request?.headers ?? {}, request?.body ?? '', Date.now() / 1000)).toBe('ok');
    const fields = request?.fields as { to: string; body: string; id: string };
    expect(fields.to).toBe(PHONE);
    const [delivery] = await deliveries(gw);
    expect(delivery).toMatchObject({
      id: fields.id,
      provider: 'http',
      state: 'submitted',
      provider_message_id: 'hook-1',
    });
    const paid = await gw.call('POST', WITHOTP, { body: walletPayinBody(PHONE, 2000, codeIn(fields.body)) });
    expect(paid.response_code).toBe('00');
    expect(await storedText(gw)).not.toContain(codeIn(fields.body));
  });

  it('matches a receipt that gives the message id in decimal where submit_sm_resp gave hexadecimal', async () => {
    const { provider } = await smppSetup();
    const gw = await productionGateway(backend, provider);
    const id = await gw.gw.db.command((tx) =>
      insertDelivery(tx, {
        projectId: gw.project.id,
        phone: PHONE,
        provider: 'smpp',
        state: 'queued',
        nowMs: 1,
      }),
    );
    await gw.gw.db.command((tx) =>
      tx
        .updateTable('otp_deliveries')
        .set({ state: 'submitted', provider_message_id: '1F4A2B' })
        .where('id', '=', id)
        .execute(),
    );
    expect(receiptIdCandidates(String(0x1f4a2b))).toEqual([String(0x1f4a2b), '1f4a2b', '1F4A2B']);
    expect(
      await recordReceipt(gw.gw.db, 'smpp', { providerMessageId: 'ffff', state: 'delivered', detail: '' }, 2),
    ).toBe(false);
    expect(
      await recordReceipt(
        gw.gw.db,
        'smpp',
        { providerMessageId: String(0x1f4a2b), state: 'delivered', detail: 'stat:DELIVRD' },
        2,
      ),
    ).toBe(true);
    expect((await deliveries(gw)).find((d) => d.id === id)?.state).toBe('delivered');
  });
});
