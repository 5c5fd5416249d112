import type { Xof } from './money.js';

/**
 * A debit request as the sandbox's simulated operator records it (its own records, not Cauri's):
 * the store maps each `sim_debits` row to this once (src/store/simulator.ts), with its kind and
 * status as closed unions and its amount as `Xof`.
 */

/** How the customer approves: a USSD OTP, a push, guided USSD, an app, a portal, or a magic number that decides alone. */
export type SimDebitKind = 'otp' | 'push' | 'guided' | 'app' | 'portal' | 'magic';

export type SimDebitStatus = 'pending' | 'completed' | 'failed';

export const SIM_DEBIT_KINDS: readonly SimDebitKind[] = ['otp', 'push', 'guided', 'app', 'portal', 'magic'];

export const SIM_DEBIT_STATUSES: readonly SimDebitStatus[] = ['pending', 'completed', 'failed'];

export interface SimDebit {
  /** Short id shown to people: `PSH` and 8 digits. */
  readonly id: string;
  /** Cauri's reference for the request; the operator's idempotency key. */
  readonly reference: string;
  readonly operatorId: string;
  readonly phone: string;
  readonly amountXof: Xof;
  readonly kind: SimDebitKind;
  readonly status: SimDebitStatus;
  readonly reason: string | null;
  readonly operatorReference: string;
  readonly merchantName: string;
  readonly description: string;
  readonly returnUrl: string;
  readonly createdAtMs: number;
  readonly decidedAtMs: number | null;
}

/** Whether a status read from outside (a notification's body) is one of a debit's. */
export function isSimDebitStatus(value: string): value is SimDebitStatus {
  return (SIM_DEBIT_STATUSES as readonly string[]).includes(value);
}
