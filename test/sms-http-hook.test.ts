import { afterEach, describe, expect, it } from 'vitest';
import { generateWebhookSecret, verifyWebhook } from '../src/core/webhook-signature.js';
import { HttpHookConfigError, HttpHookProvider, type HttpHookConfig } from '../src/sms/http-hook.js';
import { sendWithRetries, type SmsMessage, type SmsSendResult } from '../src/sms/provider.js';
import { Receiver, type Answer } from './callback-receiver.js';

const OTP = '517204';
const BODY = `${OTP} est votre code LigdiCash. Valable 5 minutes.`;
const message: SmsMessage = { to: '22670123456', body: BODY, deliveryId: 'sms_01HZX' };
const NOW_MS = Date.parse('2026-12-04T03:30:00.000Z');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  answers: Answer[],
  config: Partial<HttpHookConfig> = {},
): Promise<{ receiver: Receiver; provider: HttpHookProvider; secret: string }> {
  const receiver = await Receiver.start();
  cleanups.push(() => receiver.close());
  // The last answer repeats.
  receiver.answer = () =>
    answers[Math.min(receiver.received.length - 1, answers.length - 1)] ?? { status: 200 };
  const secret = generateWebhookSecret();
  const provider = new HttpHookProvider({
    url: receiver.url('/sms'),
    secret,
    timeoutMs: 1_000,
    nowMs: () => NOW_MS,
    ...config,
  });
  cleanups.push(() => provider.close());
  return { receiver, provider, secret };
}

const errorOf = (result: SmsSendResult): string => (result.ok ? '' : result.error);

describe('HTTP send-SMS hook', () => {
  it('POSTs the message as JSON, signed in the Standard Webhooks scheme, and reads message_id', async () => {
    const { receiver, provider, secret } = await setup([
      {
        status: 202,
        body: JSON.stringify({ message_id: 'gw-77' }),
        headers: { 'content-type': 'application/json' },
      },
    ]);
    expect(await provider.send(message)).toEqual({ ok: true, providerMessageId: 'gw-77' });
    const request = receiver.received[0];
    expect(request?.path).toBe('/sms');
    expect(request?.contentType).toBe('application/json');
    expect(request?.fields).toEqual({
      id: 'sms_01HZX',
      to: '22670123456',
      body: BODY,
      created_at: '2026-12-04T03:30:00.000Z',
    });
    expect(request?.headers['webhook-id']).toBe('sms_01HZX');
    expect(request?.headers['webhook-timestamp']).toBe(String(NOW_MS / 1000));
    expect(verifyWebhook(secret, request?.headers ?? {}, request?.body ?? '', NOW_MS / 1000)).toBe('ok');
    expect(
      verifyWebhook(generateWebhookSecret(), request?.headers ?? {}, request?.body ?? '', NOW_MS / 1000),
    ).toBe('bad_signature');
  });

  it('accepts a 2xx without a JSON message_id as sent, with no provider id', async () => {
    const { provider } = await setup([{ status: 200, body: 'OK' }]);
    expect(await provider.send(message)).toEqual({ ok: true, providerMessageId: null });
  });

  it('retries a 500 and then succeeds, keeping the same webhook-id on every attempt', async () => {
    const { receiver, provider } = await setup([
      { status: 500, body: `echo ${BODY}` },
      { status: 503 },
      { status: 200, body: '{"message_id": 12}' },
    ]);
    const result = await sendWithRetries(provider, message, { attemptsMax: 3, backoffMs: 1 });
    expect(result).toEqual({ ok: true, providerMessageId: '12', attempts: 3 });
    expect(receiver.received.map((r) => r.id)).toEqual(['sms_01HZX', 'sms_01HZX', 'sms_01HZX']);
  });

  it('retries a 429, but not a 400', async () => {
    const throttled = await setup([{ status: 429 }]);
    expect(
      await sendWithRetries(throttled.provider, message, { attemptsMax: 2, backoffMs: 1 }),
    ).toMatchObject({ ok: false, retryable: true, attempts: 2 });
    const bad = await setup([{ status: 400, body: `bad number in ${BODY}` }]);
    const result = await sendWithRetries(bad.provider, message, { attemptsMax: 3, backoffMs: 1 });
    expect(result).toEqual({
      ok: false,
      retryable: false,
      attempts: 1,
      error: 'http: hook answered HTTP 400',
    });
    expect(bad.receiver.received).toHaveLength(1);
  });

  it('does not follow a redirect', async () => {
    const target = await setup([{ status: 200 }]);
    const { receiver, provider } = await setup([
      { status: 307, headers: { location: target.receiver.url('/elsewhere') } },
    ]);
    const result = await provider.send(message);
    expect(result).toMatchObject({ ok: false, retryable: false });
    expect(errorOf(result)).toContain('redirects are not followed');
    expect(receiver.received).toHaveLength(1);
    expect(target.receiver.received).toHaveLength(0);
  });

  it('gives a retryable failure on a timeout and on a refused connection', async () => {
    const { receiver, provider } = await setup(['hang'], { timeoutMs: 100 });
    const timedOut = await provider.send(message);
    expect(timedOut).toMatchObject({ ok: false, retryable: true });
    expect(errorOf(timedOut)).toContain('no answer within 100 ms');
    const url = receiver.url('/sms');
    await receiver.close();
    const down = new HttpHookProvider({ url, secret: generateWebhookSecret(), timeoutMs: 500 });
    expect(await down.send(message)).toMatchObject({ ok: false, retryable: true });
  });

  it('reads at most 4 KiB of the answer', async () => {
    const { provider } = await setup([
      { status: 200, body: JSON.stringify({ message_id: 'x', pad: 'p'.repeat(100_000) }) },
    ]);
    // The truncated JSON does not parse, so there is no id, but the message was accepted.
    expect(await provider.send(message)).toEqual({ ok: true, providerMessageId: null });
  });

  it('never quotes the body or the code in an error, even when the hook echoes them', async () => {
    const errors: string[] = [];
    for (const answer of [
      { status: 500, body: BODY },
      { status: 422, body: BODY },
      'destroy' as const,
      'hang' as const,
    ]) {
      const { provider } = await setup([answer], { timeoutMs: 100 });
      errors.push(errorOf(await provider.send(message)));
    }
    expect(errors.every((e) => e !== '')).toBe(true);
    for (const error of errors) expect(error).not.toContain(OTP);
  });

  it('checks its configuration with one-line errors', () => {
    const secret = generateWebhookSecret();
    expect(() => new HttpHookProvider({ url: 'ftp://example.test/sms', secret })).toThrow(
      HttpHookConfigError,
    );
    expect(() => new HttpHookProvider({ url: 'http://127.0.0.1:1/sms', secret: 'not-a-secret' })).toThrow(
      /whsec_/,
    );
    expect(() => new HttpHookProvider({ url: 'http://127.0.0.1:1/sms', secret, timeoutMs: 0 })).toThrow(
      HttpHookConfigError,
    );
  });
});
