import { newId } from '../core/ids.js';
import type { SmsProvider, SmsReceipt } from '../sms/provider.js';
import { sendWithRetries } from '../sms/provider.js';
import type { Database, Tx } from '../store/database.js';
import {
  type DeliveryState,
  insertOtpDelivery,
  recordDeliveryReceipt,
  recordSubmission,
} from '../store/otp.js';

export type { DeliveryState };

/**
 * The SMS of a wallet OTP (ADR 0014). Issuing the OTP commits its hash and a delivery row
 * (`queued`); the code itself stays in memory only, and is handed to the provider after the commit
 * (no transaction is held across the provider call). The outcome is recorded in a transaction of
 * its own: `submitted` with the provider's message id, or `failed`; a delivery receipt later makes
 * it `delivered` or `undeliverable`. The sandbox's inbox is a provider too: its "SMS" is delivered at once.
 */
export const SMS_PROVIDER_INBOX = 'inbox';
export const DELIVERY_ERROR_CHARS_MAX = 300;

/** What a route hands to the provider once the OTP's transaction has committed. */
export interface OutboundSms {
  deliveryId: string;
  phone: string;
  body: string;
}

export async function insertDelivery(
  tx: Tx,
  row: { projectId: string; phone: string; provider: string; state: DeliveryState; nowMs: number },
): Promise<string> {
  const id = newId('sms');
  await insertOtpDelivery(tx, { id, ...row });
  return id;
}

/** Sends the SMS with bounded retries and records the outcome; true when the provider took it. */
export async function sendOtpSms(
  db: Database,
  provider: SmsProvider,
  outbound: OutboundSms,
  nowMs: () => number,
): Promise<boolean> {
  const result = await sendWithRetries(provider, {
    to: outbound.phone,
    body: outbound.body,
    deliveryId: outbound.deliveryId,
  });
  await db.command((tx) =>
    recordSubmission(tx, outbound.deliveryId, {
      state: result.ok ? 'submitted' : 'failed',
      providerMessageId: result.ok ? result.providerMessageId : null,
      attempts: result.attempts,
      // sendWithRetries already removed the body and every code-like run of digits from the text.
      error: result.ok ? null : result.error.slice(0, DELIVERY_ERROR_CHARS_MAX),
      nowMs: nowMs(),
    }),
  );
  return result.ok;
}

/**
 * The message ids a receipt may name one SMS by. Some SMSCs give the receipt's id in decimal where
 * submit_sm_resp gave it in hexadecimal (SMPP 3.4 Appendix B leaves the format to them), so a
 * decimal id also matches its hexadecimal spelling, in either case (see `sameMessageId` in smpp.ts).
 */
export function receiptIdCandidates(receiptedId: string): string[] {
  if (!/^[0-9]{1,19}$/.test(receiptedId)) return [receiptedId];
  const hex = BigInt(receiptedId).toString(16);
  return [...new Set([receiptedId, hex, hex.toUpperCase()])];
}

/** A delivery receipt from the provider: the final state of the SMS it names. */
export async function recordReceipt(
  db: Database,
  provider: string,
  receipt: SmsReceipt,
  nowMs: number,
): Promise<boolean> {
  const updated = await db.command((tx) =>
    recordDeliveryReceipt(tx, {
      provider,
      messageIds: receiptIdCandidates(receipt.providerMessageId),
      state: receipt.state === 'delivered' ? 'delivered' : 'undeliverable',
      error: receipt.state === 'failed' ? receipt.detail.slice(0, DELIVERY_ERROR_CHARS_MAX) : null,
      nowMs,
    }),
  );
  return updated > 0;
}
