import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret } from '../core/webhook-signature.js';
import { smsProviderFromEnv, smsSettingsFromEnv } from './config.js';
import { SmsConfigError } from './provider.js';

const smppEnv = {
  CAURI_SMS_PROVIDER: 'smpp',
  CAURI_SMPP_URL: 'smpp://smsc.example.test:2775',
  CAURI_SMPP_SYSTEM_ID: 'cauri',
  CAURI_SMPP_PASSWORD: 's3cr3t!',
  CAURI_SMS_SENDER: 'LIGDICASH',
};

describe('SMS provider from the environment', () => {
  it('is absent when CAURI_SMS_PROVIDER is unset', () => {
    expect(smsProviderFromEnv({})).toBeUndefined();
    expect(smsProviderFromEnv({ CAURI_SMS_PROVIDER: '' })).toBeUndefined();
  });

  it('reads the SMPP settings, the password from a file when asked', async () => {
    expect(smsSettingsFromEnv({ ...smppEnv, CAURI_SMPP_SYSTEM_TYPE: 'OTP' })).toEqual({
      provider: 'smpp',
      smpp: {
        url: 'smpp://smsc.example.test:2775',
        systemId: 'cauri',
        password: 's3cr3t!',
        sourceAddr: 'LIGDICASH',
        systemType: 'OTP',
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'cauri-sms-'));
    const file = join(dir, 'password');
    writeFileSync(file, 'fromfile\n');
    const settings = smsSettingsFromEnv({
      ...smppEnv,
      CAURI_SMPP_PASSWORD: undefined,
      CAURI_SMPP_PASSWORD_FILE: file,
    });
    rmSync(dir, { recursive: true, force: true });
    expect(settings?.provider === 'smpp' && settings.smpp.password).toBe('fromfile');
    const provider = smsProviderFromEnv(smppEnv);
    expect(provider?.name).toBe('smpp');
    await provider?.close();
  });

  it('reads the hook settings', async () => {
    const secret = generateWebhookSecret();
    const provider = smsProviderFromEnv({
      CAURI_SMS_PROVIDER: 'http',
      CAURI_SMS_HOOK_URL: 'https://sms.example.test/send',
      CAURI_SMS_HOOK_SECRET: secret,
    });
    expect(provider?.name).toBe('http');
    await provider?.close();
  });

  it.each([
    [{ ...smppEnv, CAURI_SMS_PROVIDER: 'twilio' }, 'CAURI_SMS_PROVIDER must be smpp or http'],
    [{ ...smppEnv, CAURI_SMPP_URL: undefined }, 'CAURI_SMPP_URL must be set'],
    [
      { ...smppEnv, CAURI_SMPP_PASSWORD: undefined },
      'exactly one of CAURI_SMPP_PASSWORD and CAURI_SMPP_PASSWORD_FILE must be set',
    ],
    [
      { ...smppEnv, CAURI_SMPP_PASSWORD_FILE: '/x' },
      'exactly one of CAURI_SMPP_PASSWORD and CAURI_SMPP_PASSWORD_FILE must be set',
    ],
    [
      { ...smppEnv, CAURI_SMPP_PASSWORD: undefined, CAURI_SMPP_PASSWORD_FILE: '/nonexistent/cauri' },
      'CAURI_SMPP_PASSWORD_FILE: cannot read /nonexistent/cauri',
    ],
    [
      { ...smppEnv, CAURI_SMPP_CA_FILE: '/nonexistent/ca.pem' },
      'CAURI_SMPP_CA_FILE: cannot read /nonexistent/ca.pem',
    ],
    [
      { ...smppEnv, CAURI_SMPP_URL: 'http://smsc:2775' },
      'CAURI_SMS_PROVIDER=smpp: SMPP URL must start with smpp:// or smpps://',
    ],
    [{ ...smppEnv, CAURI_SMS_SENDER: 'LIGDICASH-PAYMENTS' }, 'CAURI_SMS_PROVIDER=smpp: SMS sender must be'],
    [
      { ...smppEnv, CAURI_SMPP_PASSWORD: 'muchtoolongpassword' },
      'CAURI_SMS_PROVIDER=smpp: SMPP password must be at most 8 characters',
    ],
    [
      { CAURI_SMS_PROVIDER: 'http', CAURI_SMS_HOOK_URL: 'https://sms.example.test/send' },
      'exactly one of CAURI_SMS_HOOK_SECRET',
    ],
    [
      {
        CAURI_SMS_PROVIDER: 'http',
        CAURI_SMS_HOOK_URL: 'https://sms.example.test/send',
        CAURI_SMS_HOOK_SECRET: 'whsec_short',
      },
      'CAURI_SMS_PROVIDER=http: SMS hook secret must be',
    ],
  ])('rejects %o with one line', (env, expected) => {
    let caught: unknown;
    try {
      smsProviderFromEnv(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SmsConfigError);
    const text = (caught as Error).message;
    expect(text).toContain(expected);
    expect(text).not.toContain('\n');
    expect(text).not.toContain('muchtoolongpassword');
    expect(text).not.toContain('whsec_short');
  });
});
