import { afterEach, describe, expect, it } from 'vitest';
import type { SmsMessage, SmsProvider, SmsSendResult } from '../src/sms/provider.js';
import { BACKENDS, type TestGateway, latestOtp, startTestGateway, walletPayinBody } from './harness.js';
import { OTP_SENT, expectEchec, money } from './http-helpers.js';

/**
 * `debitotp` and `withotp` must not tell whether a wallet exists or what it holds (ADR 0016).
 * Before, a number without a wallet answered "Customer has no LigdiCash wallet" and an amount
 * above the balance "Insufficient wallet balance", at once, without an SMS and without using the
 * number's quota: anyone with a merchant's credentials could list wallets and bisect balances.
 * withotp answered Code14 for a missing wallet before looking at the code.
 */
const FUNDED = '22670111111';
const MISSING = '22670999999';
const BALANCE_XOF = 10_000;
const WITHOTP = '/pay/v02/debitwallet/withotp';
const TOO_MANY = { error: true, message: 'Too many OTPs requested for this number; try again later' };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gateway(
  backend: (typeof BACKENDS)[number],
  options: Parameters<typeof startTestGateway>[1] = {},
): Promise<TestGateway> {
  const gw = await startTestGateway(backend, options);
  cleanups.push(() => gw.destroy());
  await gw.wallet(FUNDED, BALANCE_XOF);
  return gw;
}

const debitotp = (gw: TestGateway, phone: string, amountXof: number) =>
  gw.call('GET', `/pay/v02/debitotp/${phone}/${amountXof}`);
const inbox = async (gw: TestGateway, phone: string) =>
  (await gw.call('GET', `/sandbox/sms?phone=${phone}`)).messages as unknown[];

/** A provider that takes every SMS after `delayMs`, or refuses them all. */
class SlowProvider implements SmsProvider {
  readonly name = 'slow';
  readonly sent: SmsMessage[] = [];
  refuse = false;
  constructor(private readonly delayMs: number) {}
  async send(message: SmsMessage): Promise<SmsSendResult> {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.refuse) return { ok: false, error: 'refused', retryable: false };
    this.sent.push(message);
    return { ok: true, providerMessageId: String(this.sent.length) };
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function timedMs<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe.each(BACKENDS)('debitotp and withotp as an oracle on %s', (backend) => {
  it('answers "OTP sent" alike for a funded wallet, a short balance and a missing wallet', async () => {
    const gw = await gateway(backend);
    expect(await debitotp(gw, FUNDED, 1500)).toEqual(OTP_SENT);
    expect(await debitotp(gw, FUNDED, BALANCE_XOF + 1)).toEqual(OTP_SENT);
    expect(await debitotp(gw, MISSING, 1500)).toEqual(OTP_SENT);
    // The short balance's customer gets the code; a number without an account gets no SMS.
    expect(await inbox(gw, FUNDED)).toHaveLength(2);
    expect(await inbox(gw, MISSING)).toEqual([]);
  });

  it('withotp refuses a missing wallet as a wrong code (Code15), never Code14, issued or not', async () => {
    const gw = await gateway(backend);
    const before = await money(gw);
    const neverIssued = await gw.call('POST', WITHOTP, { body: walletPayinBody(MISSING, 1500, '123456') });
    expectEchec(neverIssued, 'createInvoice', '15');
    expect(await gw.call('POST', WITHOTP, { body: walletPayinBody(FUNDED, 1500, '123456') })).toEqual(
      neverIssued,
    );
    await debitotp(gw, MISSING, 1500);
    await debitotp(gw, FUNDED, 1500);
    const wrong = (await latestOtp(gw, FUNDED)) === '123456' ? '654321' : '123456';
    for (let attempt = 0; attempt < gw.gw.config.otp.attemptsMax; attempt++) {
      expectEchec(
        await gw.call('POST', WITHOTP, { body: walletPayinBody(MISSING, 1500, wrong) }),
        'createInvoice',
        '15',
        'Wrong OTP',
      );
      expectEchec(
        await gw.call('POST', WITHOTP, { body: walletPayinBody(FUNDED, 1500, wrong) }),
        'createInvoice',
        '15',
        'Wrong OTP',
      );
    }
    // Exhausted alike: Code16 for both.
    expectEchec(
      await gw.call('POST', WITHOTP, { body: walletPayinBody(MISSING, 1500, wrong) }),
      'createInvoice',
      '16',
    );
    expectEchec(
      await gw.call('POST', WITHOTP, { body: walletPayinBody(FUNDED, 1500, wrong) }),
      'createInvoice',
      '16',
    );
    expect(await money(gw)).toEqual(before);
  });

  it('tells a short balance (Code05) only to whoever presents the valid code', async () => {
    const gw = await gateway(backend);
    await debitotp(gw, FUNDED, BALANCE_XOF + 1);
    const code = await latestOtp(gw, FUNDED);
    const wrong = code === '123456' ? '654321' : '123456';
    expectEchec(
      await gw.call('POST', WITHOTP, { body: walletPayinBody(FUNDED, BALANCE_XOF + 1, wrong) }),
      'createInvoice',
      '15',
    );
    const before = await money(gw);
    expectEchec(
      await gw.call('POST', WITHOTP, { body: walletPayinBody(FUNDED, BALANCE_XOF + 1, code) }),
      'createInvoice',
      '05',
      'Insufficient wallet balance',
    );
    expect(await money(gw)).toEqual(before);
  });

  it('every well-formed request uses the per-hour quota, with or without a wallet', async () => {
    const gw = await gateway(backend, { config: { otpIssuedPerHourMax: 3 } });
    for (const phone of [FUNDED, MISSING]) {
      for (let i = 0; i < 3; i++)
        expect(await debitotp(gw, phone, i === 1 ? BALANCE_XOF + 1 : 1500)).toEqual(OTP_SENT);
      expect(await debitotp(gw, phone, 1500)).toEqual(TOO_MANY);
      expect(await debitotp(gw, phone, BALANCE_XOF + 1)).toEqual(TOO_MANY);
    }
    gw.clock.advance(3_600_000);
    expect(await debitotp(gw, MISSING, 1500)).toEqual(OTP_SENT);
  });

  it('production without an SMS provider refuses alike, before looking at the wallet', async () => {
    const gw = await gateway(backend, { config: { mode: 'production' } });
    const answers = await Promise.all([
      debitotp(gw, FUNDED, 1500),
      debitotp(gw, FUNDED, BALANCE_XOF + 1),
      debitotp(gw, MISSING, 1500),
    ]);
    expect(answers[0]).toMatchObject({ error: true });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('with a provider, a missing wallet sends nothing but answers as late as a real send, and "not sent" when sends fail', async () => {
    const provider = new SlowProvider(150);
    const gw = await gateway(backend, { sms: provider, config: { mode: 'production' } });
    const real = await timedMs(() => debitotp(gw, FUNDED, 1500));
    expect(real.value).toEqual(OTP_SENT);
    const missing = await timedMs(() => debitotp(gw, MISSING, 1500));
    expect(missing.value).toEqual(OTP_SENT);
    expect(missing.ms).toBeGreaterThanOrEqual(140);
    expect(provider.sent.map((message) => message.to)).toEqual([FUNDED]);
    provider.refuse = true;
    const failed = await debitotp(gw, FUNDED, 1500);
    expect(failed.error).toBe(true);
    expect(await debitotp(gw, MISSING, 1500)).toEqual(failed);
  });
});
