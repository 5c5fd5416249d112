import { UNKNOWN_USER_HASH, verifyPassword } from '../core/password.js';
import type { Database } from '../store/database.js';
import { type SignInOutcome, recordAudit, recordSignIn, signInCandidate } from './console-users.js';

/**
 * A console sign-in in three steps, so that no transaction is open during the scrypt check:
 * read the user, check the password, record the outcome (ADR 0008). Unknown users cost the same
 * scrypt work as known ones, and every outcome leaves an audit line.
 */
export const SIGN_INS_IN_FLIGHT_MAX = 8;
let inFlight = 0;

export interface SignInInput {
  username: string;
  password: string;
  ip: string;
  userAgent: string;
  nowMs: () => number;
}

export type SignInResult = SignInOutcome | { outcome: 'busy' };

export async function signIn(db: Database, input: SignInInput): Promise<SignInResult> {
  // Each check holds 32 MiB and a thread-pool thread for ~0.3 s: bound how many run at once.
  if (inFlight >= SIGN_INS_IN_FLIGHT_MAX) return { outcome: 'busy' };
  inFlight++;
  try {
    const candidate = await db.command((tx) => signInCandidate(tx, input.username));
    const lockedMs = candidate?.lockedUntilMs ?? null;
    if (candidate !== undefined && lockedMs !== null && lockedMs > input.nowMs()) {
      await audit(db, input, candidate.username, 'sign_in_locked');
      return { outcome: 'locked' };
    }
    const matched = await verifyPassword(input.password, candidate?.passwordHash ?? UNKNOWN_USER_HASH);
    if (candidate === undefined) {
      await audit(db, input, input.username.slice(0, 64), 'sign_in_failed', 'unknown user');
      return { outcome: 'refused', lockedNow: false };
    }
    const nowMs = input.nowMs();
    return await db.command(async (tx) => {
      const outcome = await recordSignIn(tx, { userId: candidate.id, passwordMatched: matched, ip: input.ip, userAgent: input.userAgent, nowMs });
      const action = outcome.outcome === 'signed_in' ? 'sign_in' : outcome.outcome === 'locked' ? 'sign_in_locked' : 'sign_in_failed';
      const detail = outcome.outcome === 'refused' && outcome.lockedNow ? 'account locked' : '';
      await recordAudit(tx, { username: candidate.username, action, target: candidate.username, detail, ip: input.ip }, nowMs);
      return outcome;
    });
  } finally {
    inFlight--;
  }
}

async function audit(db: Database, input: SignInInput, username: string, action: string, detail = ''): Promise<void> {
  await db.command((tx) => recordAudit(tx, { username, action, target: username, detail, ip: input.ip }, input.nowMs()));
}
