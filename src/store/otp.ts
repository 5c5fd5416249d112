import { xof } from '../core/money.js';
import type { StoredOtp } from '../core/otp.js';
import type { Dialect, Tx } from './database.js';
import { prepared } from './prepared.js';
import type { OtpTable } from './schema.js';

/**
 * Wallet OTPs (ADR 0004, ADR 0014): one code per project and number (its hash, its amount, its
 * expiry and wrong guesses, and the number's hourly issue window), and the delivery of each code's
 * SMS. Every statement of the OTP row is prepared (prepared.ts): `debitotp` and `withotp` run them.
 */

/** `failed`: the provider never took it; `undeliverable`: it took it, and its receipt says the handset never got it. */
export type DeliveryState = 'queued' | 'submitted' | 'delivered' | 'failed' | 'undeliverable';

type OtpKey = { projectId: string; phone: string };
const otpWindow = prepared((tx, p: OtpKey) =>
  tx
    .selectFrom('otps')
    .select(['issued_in_window', 'window_started_at_ms'])
    .where('project_id', '=', p.projectId)
    .where('phone', '=', p.phone),
);
// On PostgreSQL the window is read locked, so that concurrent requests for one number count one
// after the other even when the number has no wallet row to serialize them.
const otpWindowForUpdate = prepared((tx, p: OtpKey) =>
  tx
    .selectFrom('otps')
    .select(['issued_in_window', 'window_started_at_ms'])
    .where('project_id', '=', p.projectId)
    .where('phone', '=', p.phone)
    .forUpdate(),
);
const otpOf = prepared((tx, p: OtpKey) =>
  tx.selectFrom('otps').selectAll().where('project_id', '=', p.projectId).where('phone', '=', p.phone),
);
// On PostgreSQL the OTP row stays locked until commit, so that requests presenting one OTP take
// turns: one pays and deletes it, the next finds none; each wrong guess is counted before the next
// is judged. (A request for a new OTP locks the wallet first: a deadlock with it is retried.)
const otpOfForUpdate = prepared((tx, p: OtpKey) =>
  tx
    .selectFrom('otps')
    .selectAll()
    .where('project_id', '=', p.projectId)
    .where('phone', '=', p.phone)
    .forUpdate(),
);
const deleteOtpStatement = prepared((tx, p: OtpKey) =>
  tx.deleteFrom('otps').where('project_id', '=', p.projectId).where('phone', '=', p.phone),
);
const upsertOtpStatement = prepared((tx, row: OtpTable) =>
  tx
    .insertInto('otps')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['project_id', 'phone']).doUpdateSet({
        code_hash: row.code_hash,
        amount_xof: row.amount_xof,
        expires_at_ms: row.expires_at_ms,
        attempts: 0,
        issued_in_window: row.issued_in_window,
        window_started_at_ms: row.window_started_at_ms,
        created_at_ms: row.created_at_ms,
      }),
    ),
);

/** A number's hourly issue window: how many codes it got since the window opened. */
export interface OtpWindow {
  issuedInWindow: number;
  windowStartedAtMs: number;
}

/** The number's issue window, read locked on PostgreSQL. */
export async function lockOtpWindow(tx: Tx, dialect: Dialect, key: OtpKey): Promise<OtpWindow | undefined> {
  const [previous] = await (dialect === 'postgres' ? otpWindowForUpdate : otpWindow).rows(tx, key);
  return (
    previous && {
      issuedInWindow: previous.issued_in_window,
      windowStartedAtMs: Number(previous.window_started_at_ms),
    }
  );
}

/** The number's code, locked until commit on PostgreSQL. */
export async function lockOtp(tx: Tx, dialect: Dialect, key: OtpKey): Promise<StoredOtp | undefined> {
  const [stored] = await (dialect === 'postgres' ? otpOfForUpdate : otpOf).rows(tx, key);
  return (
    stored && {
      codeHash: stored.code_hash,
      amountXof: xof(Number(stored.amount_xof)),
      expiresAtMs: Number(stored.expires_at_ms),
      attempts: stored.attempts,
    }
  );
}

/** A new code for the number; it replaces the previous one (ADR 0004). */
export async function upsertOtp(
  tx: Tx,
  otp: OtpKey & StoredOtp & OtpWindow & { createdAtMs: number },
): Promise<void> {
  await upsertOtpStatement.run(tx, {
    project_id: otp.projectId,
    phone: otp.phone,
    code_hash: otp.codeHash,
    amount_xof: otp.amountXof,
    expires_at_ms: otp.expiresAtMs,
    attempts: otp.attempts,
    issued_in_window: otp.issuedInWindow,
    window_started_at_ms: otp.windowStartedAtMs,
    created_at_ms: otp.createdAtMs,
  });
}

export async function deleteOtp(tx: Tx, key: OtpKey): Promise<void> {
  await deleteOtpStatement.run(tx, key);
}

/** Counts a wrong guess: `attempts` is the count before it. */
export async function countWrongOtp(tx: Tx, key: OtpKey, attempts: number): Promise<void> {
  await tx
    .updateTable('otps')
    .set({ attempts: attempts + 1 })
    .where('project_id', '=', key.projectId)
    .where('phone', '=', key.phone)
    .execute();
}

export async function insertOtpDelivery(
  tx: Tx,
  row: {
    id: string;
    projectId: string;
    phone: string;
    provider: string;
    state: DeliveryState;
    nowMs: number;
  },
): Promise<void> {
  await tx
    .insertInto('otp_deliveries')
    .values({
      id: row.id,
      project_id: row.projectId,
      phone: row.phone,
      provider: row.provider,
      state: row.state,
      provider_message_id: null,
      attempts: row.state === 'queued' ? 0 : 1,
      error: null,
      created_at_ms: row.nowMs,
      updated_at_ms: row.nowMs,
    })
    .execute();
}

/** What the provider did with an SMS after its retries. */
export interface SubmitOutcome {
  state: 'submitted' | 'failed';
  providerMessageId: string | null;
  attempts: number;
  error: string | null;
  nowMs: number;
}

/** Records what the provider did with a delivery. */
export async function recordSubmission(tx: Tx, deliveryId: string, outcome: SubmitOutcome): Promise<void> {
  await tx
    .updateTable('otp_deliveries')
    .set({
      state: outcome.state,
      provider_message_id: outcome.providerMessageId,
      attempts: outcome.attempts,
      error: outcome.error,
      updated_at_ms: outcome.nowMs,
    })
    .where('id', '=', deliveryId)
    .execute();
}

/** A receipt's final state for the delivery the provider knows by one of these ids: how many rows it changed. */
export async function recordDeliveryReceipt(
  tx: Tx,
  receipt: {
    provider: string;
    messageIds: string[];
    state: 'delivered' | 'undeliverable';
    error: string | null;
    nowMs: number;
  },
): Promise<number> {
  const updated = await tx
    .updateTable('otp_deliveries')
    .set({ state: receipt.state, error: receipt.error, updated_at_ms: receipt.nowMs })
    .where('provider', '=', receipt.provider)
    .where('provider_message_id', 'in', receipt.messageIds)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows);
}
