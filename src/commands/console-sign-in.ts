import { assert } from '../core/assert.js';
import { UNKNOWN_USER_HASH, verifyPassword } from '../core/password.js';
import type { Database } from '../store/database.js';
import { type SignInOutcome, recordAudit, recordSignIn, signInCandidate } from './console-users.js';

/**
 * A console sign-in in three steps, so that no transaction is open during the scrypt check:
 * read the user, check the password, record the outcome (ADR 0008). Every attempt that gets a
 * slot costs one scrypt check, whether the user is unknown, locked or known (issue 10: a locked
 * account used to answer in milliseconds, which told that it exists and is locked), and every
 * outcome leaves an audit line.
 */
export const SIGN_INS_IN_FLIGHT_MAX = 8;
/**
 * Slots one client address may hold at once. Two, not one, so that a few operators behind one
 * NAT can sign in together; with eight slots in all, no address holds more than a quarter of
 * them, and the per-address failure limit (which counts "busy" answers too) bounds how long it
 * can keep even those (ADR 0008, "Hardening").
 */
export const SIGN_INS_IN_FLIGHT_PER_ADDRESS_MAX = 2;

/**
 * Checks in flight, in all and per address. Each check holds 32 MiB and a thread-pool thread for
 * ~0.3 s, hence the total; the per-address share keeps one address from taking every slot. The
 * map only holds addresses with a check running, so it never has more than `totalMax` entries.
 */
export class InFlightCap {
  private total = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(
    private readonly totalMax: number,
    private readonly perAddressMax: number,
  ) {}

  /** Takes a slot for `address`, or answers false when all slots, or this address's share, are taken. */
  tryEnter(address: string): boolean {
    const held = this.perAddress.get(address) ?? 0;
    if (this.total >= this.totalMax || held >= this.perAddressMax) return false;
    this.total++;
    this.perAddress.set(address, held + 1);
    return true;
  }

  leave(address: string): void {
    const held = this.perAddress.get(address) ?? 0;
    assert(held > 0, `InFlightCap.leave without a slot for ${address}`);
    this.total--;
    if (held === 1) this.perAddress.delete(address);
    else this.perAddress.set(address, held - 1);
  }

  get inFlight(): number {
    return this.total;
  }
}

const slots = new InFlightCap(SIGN_INS_IN_FLIGHT_MAX, SIGN_INS_IN_FLIGHT_PER_ADDRESS_MAX);

export interface SignInInput {
  username: string;
  password: string;
  ip: string;
  /** Whose share of the slots this attempt uses: the address, or its network (`addressKey`). */
  addressKey: string;
  userAgent: string;
  nowMs: () => number;
}

export type SignInResult = SignInOutcome | { outcome: 'busy' };

export async function signIn(db: Database, input: SignInInput): Promise<SignInResult> {
  if (!slots.tryEnter(input.addressKey)) return { outcome: 'busy' };
  try {
    const candidate = await db.command((tx) => signInCandidate(tx, input.username));
    // Checked before the lock-out is looked at, and for unknown users against a hash that
    // matches nothing, so that every answer costs the same work. A locked account's match is
    // not used: `recordSignIn` refuses it.
    const matched = await verifyPassword(input.password, candidate?.passwordHash ?? UNKNOWN_USER_HASH);
    if (candidate === undefined) {
      await audit(db, input, input.username.slice(0, 64), 'sign_in_failed', 'unknown user');
      return { outcome: 'refused', lockedNow: false };
    }
    const nowMs = input.nowMs();
    return await db.command(async (tx) => {
      const outcome = await recordSignIn(tx, {
        userId: candidate.id,
        passwordMatched: matched,
        ip: input.ip,
        userAgent: input.userAgent,
        nowMs,
      });
      const action =
        outcome.outcome === 'signed_in'
          ? 'sign_in'
          : outcome.outcome === 'locked'
            ? 'sign_in_locked'
            : 'sign_in_failed';
      const detail = outcome.outcome === 'refused' && outcome.lockedNow ? 'account locked' : '';
      await recordAudit(
        tx,
        { username: candidate.username, action, target: candidate.username, detail, ip: input.ip },
        nowMs,
      );
      return outcome;
    });
  } finally {
    slots.leave(input.addressKey);
  }
}

async function audit(
  db: Database,
  input: SignInInput,
  username: string,
  action: string,
  detail = '',
): Promise<void> {
  await db.command((tx) =>
    recordAudit(tx, { username, action, target: username, detail, ip: input.ip }, input.nowMs()),
  );
}
