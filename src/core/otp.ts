import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Xof } from './money.js';

/**
 * Wallet OTP rules (spec §2.4–2.5, §9 Q12; ADR 0004). An OTP is 6 digits, bound to project, phone
 * and amount, stored only as a hash, valid for `ttlMs`, and dead after `attemptsMax` wrong tries.
 * Issuing a new OTP for the same project and phone replaces the previous one.
 */
export const OTP_DIGITS = 6;

export interface OtpPolicy {
  readonly ttlMs: number;
  readonly attemptsMax: number;
}

export const DEFAULT_OTP_POLICY: OtpPolicy = { ttlMs: 5 * 60_000, attemptsMax: 5 };

export interface StoredOtp {
  readonly codeHash: string;
  readonly amountXof: Xof;
  readonly expiresAtMs: number;
  readonly attempts: number;
}

export function generateOtpCode(): string {
  return String(randomInt(0, 10 ** OTP_DIGITS)).padStart(OTP_DIGITS, '0');
}

/**
 * The hash binds the code to its project and phone, so a leaked table row cannot be replayed for
 * another customer. A 6-digit code has little entropy; what protects it is the attempt limit and
 * the expiry, not the hash's cost.
 */
export function hashOtp(projectId: string, phone: string, code: string): string {
  return createHash('sha256').update(`${projectId}\u0000${phone}\u0000${code}`).digest('hex');
}

export type OtpVerdict = 'accepted' | 'wrong' | 'expired' | 'exhausted';

export function checkOtp(
  stored: StoredOtp,
  presentedHash: string,
  amountXof: Xof,
  nowMs: number,
  policy: OtpPolicy,
): OtpVerdict {
  if (stored.attempts >= policy.attemptsMax) return 'exhausted';
  if (nowMs >= stored.expiresAtMs) return 'expired';
  const a = Buffer.from(stored.codeHash, 'hex');
  const b = Buffer.from(presentedHash, 'hex');
  const sameCode = a.length === b.length && timingSafeEqual(a, b);
  return sameCode && stored.amountXof === amountXof ? 'accepted' : 'wrong';
}
