import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Xof } from './money.js';
import {
  DEFAULT_OTP_POLICY,
  OTP_DIGITS,
  type OtpPolicy,
  type StoredOtp,
  checkOtp,
  generateOtpCode,
  hashOtp,
} from './otp.js';

/** Wallet OTP rules (spec §2.4–2.5, §9 Q12; ADR 0004). */
const policy: OtpPolicy = { ttlMs: 300_000, attemptsMax: 5 };
const project = 'prj_a';
const phone = '22670000001';
const issuedAtMs = 1_700_000_000_000;

function stored(overrides: Partial<StoredOtp> = {}): StoredOtp {
  return {
    codeHash: hashOtp(project, phone, '123456'),
    amountXof: 1000 as Xof,
    expiresAtMs: issuedAtMs + policy.ttlMs,
    attempts: 0,
    ...overrides,
  };
}

describe('checkOtp', () => {
  const right = hashOtp(project, phone, '123456');

  it('accepts the right code for the right amount before expiry', () => {
    expect(checkOtp(stored(), right, 1000 as Xof, issuedAtMs, policy)).toBe('accepted');
    expect(checkOtp(stored(), right, 1000 as Xof, issuedAtMs + policy.ttlMs - 1, policy)).toBe('accepted');
  });

  it('calls a wrong code wrong', () => {
    expect(checkOtp(stored(), hashOtp(project, phone, '123457'), 1000 as Xof, issuedAtMs, policy)).toBe(
      'wrong',
    );
  });

  it('calls the right code for another amount wrong: the code is bound to its amount', () => {
    expect(checkOtp(stored(), right, 1001 as Xof, issuedAtMs, policy)).toBe('wrong');
  });

  it('calls a malformed presented hash wrong instead of throwing', () => {
    expect(checkOtp(stored(), '', 1000 as Xof, issuedAtMs, policy)).toBe('wrong');
    expect(checkOtp(stored(), 'zz', 1000 as Xof, issuedAtMs, policy)).toBe('wrong');
    expect(checkOtp(stored(), right.slice(0, 62), 1000 as Xof, issuedAtMs, policy)).toBe('wrong');
  });

  it('is expired exactly at the expiry instant, and after', () => {
    expect(checkOtp(stored(), right, 1000 as Xof, issuedAtMs + policy.ttlMs, policy)).toBe('expired');
    expect(checkOtp(stored(), right, 1000 as Xof, issuedAtMs + policy.ttlMs + 60_000, policy)).toBe(
      'expired',
    );
  });

  it('is exhausted once attemptsMax wrong tries are recorded, even for the right code', () => {
    expect(
      checkOtp(stored({ attempts: policy.attemptsMax - 1 }), right, 1000 as Xof, issuedAtMs, policy),
    ).toBe('accepted');
    expect(checkOtp(stored({ attempts: policy.attemptsMax }), right, 1000 as Xof, issuedAtMs, policy)).toBe(
      'exhausted',
    );
    expect(
      checkOtp(stored({ attempts: policy.attemptsMax + 3 }), right, 1000 as Xof, issuedAtMs, policy),
    ).toBe('exhausted');
  });

  it('reports exhaustion before expiry', () => {
    expect(
      checkOtp(
        stored({ attempts: policy.attemptsMax }),
        right,
        1000 as Xof,
        issuedAtMs + policy.ttlMs,
        policy,
      ),
    ).toBe('exhausted');
  });

  it('accepts only the issued code, among all 6-digit codes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999 }), (n) => {
        const code = String(n).padStart(OTP_DIGITS, '0');
        const verdict = checkOtp(stored(), hashOtp(project, phone, code), 1000 as Xof, issuedAtMs, policy);
        expect(verdict).toBe(code === '123456' ? 'accepted' : 'wrong');
      }),
    );
  });

  it('has a default policy of five minutes and five attempts', () => {
    expect(DEFAULT_OTP_POLICY).toEqual({ ttlMs: 300_000, attemptsMax: 5 });
  });
});

describe('hashOtp', () => {
  it('is a deterministic SHA-256 in hex', () => {
    expect(hashOtp(project, phone, '123456')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashOtp(project, phone, '123456')).toBe(hashOtp(project, phone, '123456'));
  });

  it('binds the code to its project and its phone', () => {
    const base = hashOtp(project, phone, '123456');
    expect(hashOtp('prj_b', phone, '123456')).not.toBe(base);
    expect(hashOtp(project, '22670000002', '123456')).not.toBe(base);
    // Another project's or phone's code does not pass the check.
    expect(checkOtp(stored(), hashOtp('prj_b', phone, '123456'), 1000 as Xof, issuedAtMs, policy)).toBe(
      'wrong',
    );
    expect(
      checkOtp(stored(), hashOtp(project, '22670000002', '123456'), 1000 as Xof, issuedAtMs, policy),
    ).toBe('wrong');
  });

  it('separates its fields, so moving characters between them changes the hash', () => {
    expect(hashOtp('prj_a2', '2670000001', '123456')).not.toBe(hashOtp('prj_a', '22670000001', '123456'));
    expect(hashOtp(project, '226700000011', '23456')).not.toBe(hashOtp(project, phone, '123456'));
  });
});

describe('generateOtpCode', () => {
  it('makes six decimal digits, leading zeros kept', () => {
    for (let i = 0; i < 200; i++) expect(generateOtpCode()).toMatch(/^\d{6}$/);
  });
});
