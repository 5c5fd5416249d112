import { describe, expect, it } from 'vitest';
import {
  invalidMessage,
  sendWithRetries,
  withoutBody,
  type SmsMessage,
  type SmsProvider,
  type SmsSendResult,
} from './provider.js';

const message: SmsMessage = { to: '22670123456', body: 'Code 482913 pour LigdiCash', deliveryId: 'sms_1' };

/** A provider that answers from a script and records the calls. */
function scripted(answers: (SmsSendResult | 'hang' | 'throw')[]): SmsProvider & { calls: number } {
  const provider = {
    name: 'scripted',
    calls: 0,
    send(): Promise<SmsSendResult> {
      const answer = answers[Math.min(provider.calls, answers.length - 1)] ?? {
        ok: true,
        providerMessageId: null,
      };
      provider.calls++;
      if (answer === 'hang') return new Promise(() => undefined);
      if (answer === 'throw') return Promise.reject(new Error(`socket broke while sending ${message.body}`));
      return Promise.resolve(answer);
    },
    close: () => Promise.resolve(),
  };
  return provider;
}

function sleeper(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: (ms) => (waits.push(ms), Promise.resolve()) };
}

const temporary: SmsSendResult = { ok: false, error: 'busy', retryable: true };

describe('sendWithRetries', () => {
  it('returns the first success with the number of attempts', async () => {
    const { sleep, waits } = sleeper();
    const provider = scripted([temporary, temporary, { ok: true, providerMessageId: 'm1' }]);
    expect(await sendWithRetries(provider, message, { sleep })).toEqual({
      ok: true,
      providerMessageId: 'm1',
      attempts: 3,
    });
    expect(waits).toEqual([500, 1000]);
  });

  it('stops at attemptsMax, doubling the back-off between attempts', async () => {
    const { sleep, waits } = sleeper();
    const provider = scripted([temporary]);
    expect(await sendWithRetries(provider, message, { attemptsMax: 5, backoffMs: 100, sleep })).toEqual({
      ...temporary,
      attempts: 5,
    });
    expect(provider.calls).toBe(5);
    expect(waits).toEqual([100, 200, 400, 800]);
  });

  it('does not retry a final failure', async () => {
    const { sleep, waits } = sleeper();
    const provider = scripted([{ ok: false, error: 'invalid number', retryable: false }]);
    expect(await sendWithRetries(provider, message, { sleep })).toEqual({
      ok: false,
      error: 'invalid number',
      retryable: false,
      attempts: 1,
    });
    expect(waits).toEqual([]);
  });

  it('counts a timed-out attempt as retryable', async () => {
    const { sleep } = sleeper();
    const provider = scripted(['hang', { ok: true, providerMessageId: null }]);
    expect(await sendWithRetries(provider, message, { timeoutMs: 20, sleep })).toEqual({
      ok: true,
      providerMessageId: null,
      attempts: 2,
    });
    expect(
      await sendWithRetries(scripted(['hang']), message, { attemptsMax: 2, timeoutMs: 10, sleep }),
    ).toEqual({
      ok: false,
      error: 'scripted: no answer within 10 ms',
      retryable: true,
      attempts: 2,
    });
  });

  it('turns a rejection into a retryable failure whose text has neither the body nor the code', async () => {
    const { sleep } = sleeper();
    const result = await sendWithRetries(scripted(['throw']), message, { attemptsMax: 2, sleep });
    expect(result).toMatchObject({ ok: false, retryable: true, attempts: 2 });
    expect(JSON.stringify(result)).not.toContain('482913');
  });

  it('refuses unbounded options', async () => {
    const provider = scripted([temporary]);
    await expect(sendWithRetries(provider, message, { attemptsMax: 6 })).rejects.toThrow(RangeError);
    await expect(sendWithRetries(provider, message, { attemptsMax: 0 })).rejects.toThrow(RangeError);
    await expect(sendWithRetries(provider, message, { timeoutMs: 0 })).rejects.toThrow(RangeError);
    expect(provider.calls).toBe(0);
  });
});

describe('messages', () => {
  it('validates the destination, the body and the delivery id', () => {
    expect(invalidMessage(message)).toBeUndefined();
    expect(invalidMessage({ ...message, to: '+22670123456' })).toBeDefined();
    expect(invalidMessage({ ...message, to: '0670123456' })).toBeDefined();
    expect(invalidMessage({ ...message, to: '1234567890123456' })).toBeDefined();
    expect(invalidMessage({ ...message, body: '' })).toBeDefined();
    expect(invalidMessage({ ...message, body: 'x'.repeat(613) })).toBeDefined();
    expect(invalidMessage({ ...message, deliveryId: '' })).toBeDefined();
  });

  it('removes the body and its digit runs from a text', () => {
    expect(withoutBody('failed to send Code 482913 pour LigdiCash', message.body)).toBe(
      'failed to send [body]',
    );
    expect(withoutBody('peer said 482913 is wrong', message.body)).toBe('peer said [redacted] is wrong');
    expect(withoutBody('nothing here', message.body)).toBe('nothing here');
  });
});
