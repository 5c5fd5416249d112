import type { Gateway } from '../src/commands/context.js';
import { CALLBACK_RECEIVER_CONCURRENCY_DEFAULT } from '../src/core/callbacks.js';
import type { OutboxTable, CallbackAttemptTable } from '../src/store/schema.js';
import { CallbackWorker, type CallbackWorkerOptions } from '../src/workers/callback-worker.js';
import { type TestGateway, latestOtp, payoutBody, walletPayinBody } from './harness.js';

/**
 * Fixtures of the callback suites (test/callbacks*.test.ts): transactions that end in a callback
 * event, a worker driven by hand with jitter switched off, and readers of the delivery records.
 */
export const ORANGE_PHONE = '22670111111';
export const TIMEOUT_MS = 400;

export const errors: unknown[] = [];

/** A worker driven by hand: no timer, no jitter (every delay is exactly the published one). */
export function handWorker(gw: Gateway, options: Partial<CallbackWorkerOptions> = {}): CallbackWorker {
  return new CallbackWorker(
    gw,
    {
      timeoutMs: TIMEOUT_MS,
      receiverConcurrencyMax: CALLBACK_RECEIVER_CONCURRENCY_DEFAULT,
      intervalMs: 1000,
      allowPrivate: true,
      random: () => 0.5,
      ...options,
    },
    (error) => errors.push(error),
  );
}

/** A customer payout to the wallet: completed at once, so its callback event is queued at creation. */
export async function createPayout(
  gw: TestGateway,
  url: string,
  transactionId: string,
  amountXof = 1000,
): Promise<string> {
  const body = payoutBody(ORANGE_PHONE, amountXof, {
    callback_url: url,
    custom_data: { transaction_id: transactionId },
  });
  const created = await gw.call('POST', '/pay/v01/withdrawal/create', { body });
  if (created.response_code !== '00') throw new Error(`payout failed: ${JSON.stringify(created)}`);
  return String(created.token);
}

/** A wallet payin with OTP: completed at once. */
export async function createPayin(
  gw: TestGateway,
  url: string,
  customData: Record<string, string>,
  amountXof = 1500,
): Promise<string> {
  const otpSent = await gw.call('GET', `/pay/v02/debitotp/${ORANGE_PHONE}/${amountXof}`);
  if (otpSent.error !== false) throw new Error(`OTP failed: ${JSON.stringify(otpSent)}`);
  const body = walletPayinBody(ORANGE_PHONE, amountXof, await latestOtp(gw, ORANGE_PHONE), customData);
  body.commande.actions.callback_url = url;
  const created = await gw.call('POST', '/pay/v02/debitwallet/withotp', { body });
  if (created.response_code !== '00') throw new Error(`payin failed: ${JSON.stringify(created)}`);
  return String(created.token);
}

/** Money for payouts and payins of ORANGE_PHONE. */
export async function fund(gw: TestGateway): Promise<void> {
  await gw.wallet(ORANGE_PHONE, 1_000_000);
  await gw.fundSub('11', 1_000_000);
}

export function events(gw: Gateway): Promise<OutboxTable[]> {
  return gw.db.command((tx) =>
    tx.selectFrom('outbox').selectAll().orderBy('created_at_ms').orderBy('id').execute(),
  );
}

export function attemptsOf(gw: Gateway, eventId: string): Promise<CallbackAttemptTable[]> {
  return gw.db.command((tx) =>
    tx
      .selectFrom('callback_attempts')
      .selectAll()
      .where('event_id', '=', eventId)
      .orderBy('attempt')
      .orderBy('encoding', 'desc')
      .execute(),
  );
}

export async function webhookSecretOf(gw: Gateway, projectId: string): Promise<string> {
  const row = await gw.db.command((tx) =>
    tx.selectFrom('projects').select('webhook_secret').where('id', '=', projectId).executeTakeFirstOrThrow(),
  );
  return row.webhook_secret;
}

export async function setCallbackMode(
  gw: Gateway,
  projectId: string,
  mode: 'ligdicash' | 'json',
): Promise<void> {
  await gw.db.command((tx) =>
    tx.updateTable('projects').set({ callback_mode: mode }).where('id', '=', projectId).execute(),
  );
}
