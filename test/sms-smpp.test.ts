import { afterEach, describe, expect, it } from 'vitest';
import smpp from 'smpp';
import { SmppProvider, type SmppConfig } from '../src/sms/smpp.js';
import {
  sendWithRetries,
  type SmsMessage,
  type SmsReceipt,
  type SmsSendResult,
} from '../src/sms/provider.js';
import { FAKE_SMSC_CERT, FakeSmsc, type FakeSmscOptions } from './fakes/fake-smsc.js';

// The code comes first so that the receipt's `text:` field (the first 20 characters) quotes it.
const OTP = '482913';
const BODY = `${OTP} est votre code LigdiCash. Valable 5 minutes.`;
const message = (over: Partial<SmsMessage> = {}): SmsMessage => ({
  to: '22670123456',
  body: BODY,
  deliveryId: 'sms_1',
  ...over,
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Setup {
  smsc: FakeSmsc;
  provider: SmppProvider;
  lines: string[];
}

async function setup(config: Partial<SmppConfig> = {}, smscOptions: FakeSmscOptions = {}): Promise<Setup> {
  const smsc = await FakeSmsc.start(smscOptions);
  cleanups.push(() => smsc.close());
  const lines: string[] = [];
  const provider = new SmppProvider({
    url: smsc.url,
    systemId: 'cauri',
    password: 'secret1',
    sourceAddr: 'LIGDICASH',
    connectTimeoutMs: 1_000,
    submitTimeoutMs: 1_000,
    reconnectDelayMinMs: 20,
    reconnectDelayMaxMs: 200,
    log: (line) => lines.push(line),
    ...config,
  });
  cleanups.push(() => provider.close());
  return { smsc, provider, lines };
}

function receipts(provider: SmppProvider): SmsReceipt[] {
  const seen: SmsReceipt[] = [];
  provider.onReceipt((receipt) => seen.push(receipt));
  return seen;
}

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadlineMs = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadlineMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Neither the body nor the code appears in any error text or log line. */
function expectNoSecret(texts: string[]): void {
  for (const text of texts) {
    expect(text).not.toContain(OTP);
    expect(text).not.toContain(BODY);
  }
}

const errorOf = (result: SmsSendResult): string => (result.ok ? '' : result.error);

describe('SMPP provider: submit_sm', () => {
  it('binds as a transceiver, submits with TON/NPI and GSM coding, and returns the message id', async () => {
    const { smsc, provider } = await setup();
    const result = await provider.send(message());
    expect(result).toEqual({ ok: true, providerMessageId: smsc.messages[0]?.messageId });
    expect(smsc.binds).toBe(1);
    expect(smsc.messages[0]).toMatchObject({
      systemId: 'cauri',
      sourceAddr: 'LIGDICASH',
      sourceTon: 5,
      sourceNpi: 0,
      destination: '22670123456',
      destTon: 1,
      destNpi: 1,
      dataCoding: 0,
      registeredDelivery: 1,
      body: BODY,
      viaPayload: false,
    });
    expect(smsc.messages[0]?.validityPeriod).toBeUndefined();
  });

  it('uses TON 1 NPI 1 for a numeric sender, UCS2 for text outside GSM 03.38, message_payload past one SMS, and a relative validity', async () => {
    const { smsc, provider } = await setup({ sourceAddr: '22625000000', validitySeconds: 300 });
    expect((await provider.send(message({ body: `Код ${OTP}` }))).ok).toBe(true);
    const long = `${OTP} `.repeat(40);
    expect((await provider.send(message({ body: long }))).ok).toBe(true);
    expect(smsc.messages[0]).toMatchObject({
      sourceAddr: '22625000000',
      sourceTon: 1,
      sourceNpi: 1,
      dataCoding: 8,
      body: `Код ${OTP}`,
      viaPayload: false,
    });
    expect(smsc.messages[1]).toMatchObject({ dataCoding: 0, body: long, viaPayload: true });
    const validity = smsc.messages[0]?.validityPeriod;
    expect(validity).toBeInstanceOf(Date);
    const aheadMs = (validity as Date).getTime() - Date.now();
    expect(aheadMs).toBeGreaterThan(280_000);
    expect(aheadMs).toBeLessThanOrEqual(300_000);
  });

  it('refuses an invalid message without contacting the SMSC', async () => {
    const { smsc, provider } = await setup();
    expect(await provider.send(message({ to: '+22670123456' }))).toMatchObject({
      ok: false,
      retryable: false,
    });
    expect(await provider.send(message({ body: '' }))).toMatchObject({ ok: false, retryable: false });
    expect(smsc.binds).toBe(0);
  });

  it('treats a definitive refusal as final and throttling as retryable, then succeeds on retry', async () => {
    const { smsc, provider } = await setup();
    smsc.submitStatus = smpp.errors.ESME_RINVDSTADR;
    const refused = await sendWithRetries(provider, message(), { backoffMs: 1 });
    expect(refused).toMatchObject({ ok: false, retryable: false, attempts: 1 });
    expect(errorOf(refused)).toContain('ESME_RINVDSTADR');
    smsc.submitStatus = undefined;
    smsc.throttleNext = 2;
    const first = await provider.send(message());
    expect(first).toMatchObject({ ok: false, retryable: true });
    expect(errorOf(first)).toContain('ESME_RTHROTTLED');
    smsc.throttleNext = 2;
    const retried = await sendWithRetries(provider, message(), { attemptsMax: 3, backoffMs: 5 });
    expect(retried).toMatchObject({ ok: true, attempts: 3 });
    expect(smsc.messages).toHaveLength(1);
  });

  it('gives a retryable failure when submit_sm_resp never comes, and never quotes the body', async () => {
    const { smsc, provider, lines } = await setup({ submitTimeoutMs: 100 });
    smsc.silent = true;
    const result = await sendWithRetries(provider, message(), {
      attemptsMax: 2,
      backoffMs: 1,
      timeoutMs: 1_000,
    });
    expect(result).toMatchObject({ ok: false, retryable: true, attempts: 2 });
    expect(errorOf(result)).toContain('no submit_sm_resp within 100 ms');
    expectNoSecret([errorOf(result), ...lines]);
  });
});

describe('SMPP provider: bind', () => {
  it('fails without retry and without quoting the password when the SMSC refuses the credentials', async () => {
    const { smsc, provider, lines } = await setup({ password: 'wrongpw' });
    const result = await sendWithRetries(provider, message(), { backoffMs: 1 });
    expect(result).toMatchObject({ ok: false, retryable: false, attempts: 1 });
    expect(errorOf(result)).toContain('ESME_RINVPASWD');
    expect(errorOf(result)).toContain('cauri');
    expect(smsc.bindRefusals).toBe(1);
    for (const text of [errorOf(result), ...lines]) {
      expect(text).not.toContain('wrongpw');
      expect(text).not.toContain('secret1');
    }
    expectNoSecret([errorOf(result), ...lines]);
  });

  it('binds again once the SMSC accepts the account', async () => {
    const { smsc, provider } = await setup({ reconnectDelayMaxMs: 30 });
    smsc.refuseBindsWith = smpp.errors.ESME_RBINDFAIL;
    expect(errorOf(await provider.send(message()))).toContain('ESME_RBINDFAIL');
    smsc.refuseBindsWith = undefined;
    await until(() => provider.isBound);
    expect((await provider.send(message())).ok).toBe(true);
  });
});

describe('SMPP provider: delivery receipts', () => {
  it('turns a DELIVRD receipt into a delivered receipt and answers it with deliver_sm_resp', async () => {
    const { smsc, provider } = await setup();
    const seen = receipts(provider);
    smsc.autoReceipt = 'DELIVRD';
    const result = await provider.send(message());
    await until(() => seen.length === 1);
    expect(result.ok && seen[0]).toEqual({
      providerMessageId: result.ok ? result.providerMessageId : '',
      state: 'delivered',
      detail: 'stat:DELIVRD err:000',
    });
    await until(() => smsc.receiptsAnswered === 1);
  });

  it('reads the receipted_message_id and message_state TLVs, reports UNDELIV as failed, and ignores ENROUTE', async () => {
    const { smsc, provider } = await setup();
    const seen = receipts(provider);
    smsc.receiptTlvs = true;
    const result = await provider.send(message());
    const id = result.ok ? (result.providerMessageId ?? '') : '';
    smsc.sendReceipt(id, 'ENROUTE');
    smsc.sendReceipt(id, 'UNDELIV');
    await until(() => smsc.receiptsAnswered === 2);
    expect(seen).toEqual([{ providerMessageId: id, state: 'failed', detail: 'stat:UNDELIV err:001' }]);
    // The receipt's text field quoted the code; the receipt passed on does not.
    expectNoSecret(seen.map((r) => JSON.stringify(r)));
  });

  it('opens the link as soon as a receipt listener is registered', async () => {
    const { smsc, provider } = await setup();
    receipts(provider);
    await until(() => smsc.boundSessions === 1);
  });
});

describe('SMPP provider: link', () => {
  it('reconnects after the link drops, and a send made meanwhile waits for the new bind', async () => {
    const { smsc, provider, lines } = await setup({ reconnectDelayMinMs: 100 });
    expect((await provider.send(message())).ok).toBe(true);
    smsc.dropConnections();
    await until(() => !provider.isBound);
    const result = await provider.send(message());
    expect(result.ok).toBe(true);
    expect(smsc.binds).toBe(2);
    expect(lines.some((line) => line.includes('reconnecting'))).toBe(true);
    expectNoSecret(lines);
  });

  it('answers an unbind from the SMSC and binds again', async () => {
    const { smsc, provider } = await setup();
    expect((await provider.send(message())).ok).toBe(true);
    smsc.unbindAll();
    await until(() => smsc.binds === 2 && provider.isBound);
    expect(smsc.unbindsAnswered).toBe(1);
    expect((await provider.send(message())).ok).toBe(true);
    expect(smsc.messages).toHaveLength(2);
  });

  it('gives a retryable failure when the SMSC stays unreachable past the send timeout', async () => {
    const { smsc, provider } = await setup({ submitTimeoutMs: 150 });
    expect((await provider.send(message())).ok).toBe(true);
    await smsc.close();
    await until(() => !provider.isBound);
    const result = await provider.send(message());
    expect(result).toMatchObject({ ok: false, retryable: true });
    expect(errorOf(result)).toContain('not bound within 150 ms');
  });

  it('keeps the link alive with enquire_link and drops a link whose enquire_link goes unanswered', async () => {
    const { smsc, provider } = await setup({ enquireLinkMs: 25 });
    expect((await provider.send(message())).ok).toBe(true);
    await until(() => smsc.enquireLinks >= 3);
    expect(provider.isBound).toBe(true);
    expect(smsc.binds).toBe(1);
    smsc.ignoreEnquireLinks = true;
    await until(() => smsc.binds === 2);
    smsc.ignoreEnquireLinks = false;
    await until(() => provider.isBound);
    expect((await provider.send(message())).ok).toBe(true);
  });

  it('speaks SMPP over TLS (smpps) with a trusted CA, and will not bind to an untrusted certificate', async () => {
    const trusted = await setup({ tlsCa: FAKE_SMSC_CERT }, { tls: true });
    expect(trusted.smsc.url).toMatch(/^smpps:/);
    expect((await trusted.provider.send(message())).ok).toBe(true);
    expect(trusted.smsc.messages[0]?.body).toBe(BODY);
    const untrusted = await setup({ submitTimeoutMs: 200 }, { tls: true });
    expect(await untrusted.provider.send(message())).toMatchObject({ ok: false, retryable: true });
    expect(untrusted.smsc.binds).toBe(0);
    expect(untrusted.lines.some((line) => /certificate/i.test(line))).toBe(true);
  });

  it('unbinds on close, then refuses to send', async () => {
    const { smsc, provider } = await setup();
    expect((await provider.send(message())).ok).toBe(true);
    await provider.close();
    expect(smsc.unbinds).toBe(1);
    await until(() => smsc.boundSessions === 0);
    expect(await provider.send(message())).toMatchObject({
      ok: false,
      retryable: false,
      error: 'smpp: provider is closed',
    });
  });
});
