import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64url, signToken, verifyToken, wireDate } from './tokens.js';

/** Transaction tokens: HS256 JWTs with LigdiCash's payloads (spec §8.3, ADR 0004). */
const secret = 'test-secret';
const createdAtMs = Date.UTC(2026, 10, 22, 9, 5, 7, 250);

function decode(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function parts(token: string): [string, string, string] {
  const split = token.split('.');
  expect(split).toHaveLength(3);
  return split as [string, string, string];
}

/** A correctly signed token around any payload, to test what verify does with the claims. */
function signedWith(payload: string, key = secret): string {
  const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }));
  const body = base64url(payload);
  return `${header}.${body}.${createHmac('sha256', key).update(`${header}.${body}`).digest('base64url')}`;
}

/**
 * Strings Node's base64url decoder reads as the same 32 bytes as `signature` (43 characters):
 * padded, with the standard alphabet's `+` and `/`, with characters outside the alphabet, and with
 * the unused low bits of the last character set.
 */
function signatureSpellings(signature: string): string[] {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(signature.slice(-1));
  const variants = [
    `${signature}=`,
    `${signature}==`,
    ` ${signature}`,
    `${signature.slice(0, 10)}!${signature.slice(10)}`,
    `${signature.slice(0, 20)}\n${signature.slice(20)}`,
  ];
  // 32 bytes take 42 characters and 4 bits: the last character's 2 low bits are unused.
  for (let low = 1; low < 4; low++)
    variants.push(signature.slice(0, -1) + (alphabet[(last & ~3) | ((last + low) & 3)] ?? ''));
  variants.push(signature.replace(/-/g, '+').replace(/_/g, '/'));
  return variants.filter((variant) => variant !== signature);
}

describe('signToken', () => {
  it('has the JWT header LigdiCash sends', () => {
    const [header] = parts(signToken('payin', '123456789012', createdAtMs, secret));
    expect(decode(header)).toEqual({ typ: 'JWT', alg: 'HS256' });
  });

  it('carries id_invoice for a payin and id_finance for a payout, with the dates of spec §8.3', () => {
    const [, payin] = parts(signToken('payin', '123456789012', createdAtMs, secret));
    expect(decode(payin)).toEqual({
      id_invoice: '123456789012',
      start_date: '2026-11-22 09:05:07+00',
      expiry_date: Math.floor(createdAtMs / 1000) + 86_400,
    });
    const [, payout] = parts(signToken('payout', '987654321098', createdAtMs, secret));
    expect(decode(payout)).toEqual({
      id_finance: '987654321098',
      start_date: '2026-11-22 09:05:07+00',
      expiry_date: Math.floor(createdAtMs / 1000) + 86_400,
    });
  });

  it('formats start_date as YYYY-MM-DD HH:MM:SS+00 and sets expiry_date 86400 s later, for any instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(9999, 0, 1) }), (ms) => {
        const claims = decode(parts(signToken('payin', '1', ms, secret))[1]);
        expect(claims.start_date).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\+00$/);
        expect(claims.start_date).toBe(wireDate(ms));
        expect(claims.expiry_date).toBe(Math.floor(ms / 1000) + 86_400);
      }),
    );
  });
});

describe('verifyToken', () => {
  it('round-trips payin and payout tokens', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('payin' as const, 'payout' as const),
        fc.stringMatching(/^\d{1,20}$/),
        fc.nat(),
        (kind, number, ms) => {
          expect(verifyToken(signToken(kind, number, ms, secret), secret)).toEqual({ kind, number });
        },
      ),
    );
  });

  it('refuses a token signed with another secret', () => {
    expect(verifyToken(signToken('payin', '123', createdAtMs, 'other-secret'), secret)).toBeUndefined();
  });

  it('refuses a tampered payload', () => {
    const [header, , signature] = parts(signToken('payin', '123456789012', createdAtMs, secret));
    const forged = base64url(
      JSON.stringify({ id_invoice: '123456789013', start_date: wireDate(createdAtMs), expiry_date: 0 }),
    );
    expect(verifyToken(`${header}.${forged}.${signature}`, secret)).toBeUndefined();
  });

  it('refuses a tampered signature', () => {
    const token = signToken('payin', '123456789012', createdAtMs, secret);
    const [header, payload, signature] = parts(token);
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    expect(verifyToken(`${header}.${payload}.${flipped}`, secret)).toBeUndefined();
    expect(verifyToken(`${header}.${payload}.${signature.slice(0, -2)}`, secret)).toBeUndefined();
    expect(verifyToken(`${header}.${payload}.`, secret)).toBeUndefined();
  });

  it('refuses a tampered header', () => {
    const [, payload, signature] = parts(signToken('payin', '123456789012', createdAtMs, secret));
    const none = base64url(JSON.stringify({ typ: 'JWT', alg: 'none' }));
    expect(verifyToken(`${none}.${payload}.${signature}`, secret)).toBeUndefined();
  });

  it.each([
    ['an empty string', ''],
    ['a word', 'garbage'],
    ['two parts', 'a.b'],
    ['four parts', 'a.b.c.d'],
    ['three empty parts', '..'],
    ['non-base64 parts', '!!!.@@@.###'],
  ])('refuses garbage: %s', (_label, token) => {
    expect(verifyToken(token, secret)).toBeUndefined();
  });

  it('refuses any random string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (token) => {
        expect(verifyToken(token, secret)).toBeUndefined();
      }),
    );
  });

  it('refuses an overlong token even when its signature is genuine', () => {
    const long = signToken('payin', '1'.repeat(1000), createdAtMs, secret);
    expect(long.length).toBeGreaterThan(1024);
    expect(verifyToken(long, secret)).toBeUndefined();
    const short = signToken('payin', '1'.repeat(500), createdAtMs, secret);
    expect(short.length).toBeLessThanOrEqual(1024);
    expect(verifyToken(short, secret)).toEqual({ kind: 'payin', number: '1'.repeat(500) });
  });

  it('accepts only the canonical base64url spelling of the signature (issue 10)', () => {
    const token = signToken('payin', '123456789012', createdAtMs, secret);
    const [header, payload, signature] = parts(token);
    expect(verifyToken(token, secret)).toEqual({ kind: 'payin', number: '123456789012' });
    for (const variant of signatureSpellings(signature)) {
      expect(Buffer.from(variant, 'base64url').equals(Buffer.from(signature, 'base64url')), variant).toBe(
        true,
      );
      expect(verifyToken(`${header}.${payload}.${variant}`, secret), variant).toBeUndefined();
    }
  });

  it('refuses every other spelling of a genuine signature, for any token', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{1,20}$/), fc.nat(), (number, ms) => {
        const [header, payload, signature] = parts(signToken('payout', number, ms, secret));
        for (const variant of signatureSpellings(signature))
          expect(verifyToken(`${header}.${payload}.${variant}`, secret)).toBeUndefined();
      }),
      { seed: 10, numRuns: 200 },
    );
  });

  it('refuses genuine signatures over payloads that name no transaction', () => {
    expect(signedWith('{"id_invoice":"1"}')).toSatisfy((t: string) => verifyToken(t, secret)?.number === '1');
    expect(verifyToken(signedWith('not json'), secret)).toBeUndefined();
    expect(verifyToken(signedWith('null'), secret)).toBeUndefined();
    expect(verifyToken(signedWith('"id_invoice"'), secret)).toBeUndefined();
    expect(verifyToken(signedWith('{"id_invoice":123}'), secret)).toBeUndefined();
    expect(verifyToken(signedWith('{"id_app":"1"}'), secret)).toBeUndefined();
  });
});

describe('wireDate', () => {
  it('prints UTC without milliseconds and with +00', () => {
    expect(wireDate(Date.UTC(2026, 0, 2, 3, 4, 5, 999))).toBe('2026-01-02 03:04:05+00');
  });
});
