import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  WEBHOOK_SECRET_PREFIX,
  generateWebhookSecret,
  signWebhook,
  verifyWebhook,
  webhookHeaders,
} from './webhook-signature.js';

/** Standard Webhooks signatures (ADR 0006). */
describe('signWebhook', () => {
  it('matches the Standard Webhooks reference vector', () => {
    // The test vector of the Standard Webhooks reference libraries.
    const signature = signWebhook(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('generates whsec_ secrets of 32 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret.startsWith(WEBHOOK_SECRET_PREFIX)).toBe(true);
    expect(Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });
});

describe('verifyWebhook', () => {
  const secret = generateWebhookSecret();
  const now = 1_800_000_000;

  it('round-trips any body, id and timestamp within the window', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: -300, max: 300 }),
        (body, id, skew) => {
          const headers = webhookHeaders([secret], id.replace(/ /g, '_'), now + skew, body);
          expect(verifyWebhook(secret, { ...headers }, body, now)).toBe('ok');
        },
      ),
    );
  });

  it('rejects a changed body, a changed id, another secret', () => {
    const headers = webhookHeaders([secret], 'evt_1', now, '{"a":1}');
    expect(verifyWebhook(secret, { ...headers }, '{"a":2}', now)).toBe('bad_signature');
    expect(verifyWebhook(secret, { ...headers, 'webhook-id': 'evt_2' }, '{"a":1}', now)).toBe(
      'bad_signature',
    );
    expect(verifyWebhook(generateWebhookSecret(), { ...headers }, '{"a":1}', now)).toBe('bad_signature');
  });

  it('rejects replays older than five minutes and timestamps from the future', () => {
    expect(verifyWebhook(secret, { ...webhookHeaders([secret], 'evt_1', now - 301, 'x') }, 'x', now)).toBe(
      'too_old',
    );
    expect(verifyWebhook(secret, { ...webhookHeaders([secret], 'evt_1', now + 301, 'x') }, 'x', now)).toBe(
      'too_new',
    );
    expect(
      verifyWebhook(
        secret,
        { 'webhook-id': 'e', 'webhook-timestamp': 'soon', 'webhook-signature': 'v1,x' },
        'x',
        now,
      ),
    ).toBe('bad_timestamp');
    expect(verifyWebhook(secret, {}, 'x', now)).toBe('missing_headers');
  });

  it('accepts any of several signatures, so that a rotation does not break receivers', () => {
    const previous = generateWebhookSecret();
    const headers = webhookHeaders([secret, previous], 'evt_1', now, 'body');
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifyWebhook(secret, { ...headers }, 'body', now)).toBe('ok');
    expect(verifyWebhook(previous, { ...headers }, 'body', now)).toBe('ok');
  });
});
