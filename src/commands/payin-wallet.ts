import { randomBytes } from 'node:crypto';
import type { CustomData } from '../core/custom-data.js';
import { newId } from '../core/ids.js';
import { accountIds, availableXof } from '../core/ledger.js';
import type { Xof } from '../core/money.js';
import type { Payin } from '../core/payin.js';
import { WALLET_OPERATOR } from '../core/operators.js';
import { checkOtp, generateOtpCode, hashOtp } from '../core/otp.js';
import { normalizePhone } from '../core/phone.js';
import { type Result, fail, ok } from '../core/result-codes.js';
import type { Tx } from '../store/database.js';
import { ensureAccount, lockAccounts, postTransfers } from '../store/ledger-store.js';
import { countWrongOtp, deleteOtp, lockOtp, lockOtpWindow, upsertOtp } from '../store/otp.js';
import { insertPayinPrepared } from '../store/payins.js';
import { insertInboxSms } from '../store/sms.js';
import type { WithClock, WithConfig, WithDb, WithSms, WithTokens } from './context.js';
import { newPayin } from './payin-row.js';
import { requestStamp } from './request-context.js';
import { enqueueEvent } from './outbox.js';
import type { Project } from '../core/project.js';
import { type OutboundSms, SMS_PROVIDER_INBOX, insertDelivery } from './otp-delivery.js';

/**
 * The LigdiCash Wallet payin (spec §2.4, §2.5, §6.3): `debitotp` sends the customer a one-time
 * code bound to project, phone and amount; `withotp` checks it and moves the money from the
 * customer's wallet to the project's wallet sub-account, in one transaction with the payin row
 * and its callback event. The wallet debit is internal to Cauri, so the payin is final at once
 * (ADR 0004).
 */
export const PAYIN_MIN_XOF = 9;
export const PAYIN_MAX_XOF = 2_000_000;
const HOUR_MS = 3_600_000;

function amountInRange(amountXof: Xof): boolean {
  return amountXof >= PAYIN_MIN_XOF && amountXof <= PAYIN_MAX_XOF;
}

/** What `debitotp` answers when it sent a code, word for word (spec §2.4). */
export const OTP_SENT_MESSAGE = 'OTP sent. Please check your phone.';

/**
 * What `issueWalletOtp` did: `outbound` is the SMS a real provider must send after the commit;
 * `walletMissing` says that no code left because no customer account exists, which the route
 * must not tell the caller (ADR 0016).
 */
export interface IssuedOtp {
  phone: string;
  outbound?: OutboundSms;
  walletMissing?: true;
}

/**
 * `debitotp` (spec §2.4). Its answer must not tell whether a wallet exists or holds the amount
 * (ADR 0016): the checks that do not depend on the wallet come first (the delivery ability, then
 * the per-hour quota, which every well-formed request consumes), and then a missing wallet and
 * a short balance both answer "OTP sent". A missing wallet gets a code nobody can know, stored
 * like any other so that withotp answers it as a wrong code; a short balance gets a real code,
 * and withotp tells Code05 only to whoever presents it.
 */
export async function issueWalletOtp(
  deps: WithDb & WithClock & WithSms & WithConfig<'mode' | 'otpIssuedPerHourMax' | 'otp'>,
  tx: Tx,
  project: Project,
  phoneRaw: string,
  amountXof: Xof,
): Promise<Result<IssuedOtp>> {
  if (!project.payinEnabled) return fail('payin_disabled');
  if (!project.operatorIds.includes(WALLET_OPERATOR.id)) return fail('operator_not_enabled');
  if (!amountInRange(amountXof))
    return fail('amount_out_of_range', `amount must be between ${PAYIN_MIN_XOF} and ${PAYIN_MAX_XOF}`);
  const phone = normalizePhone(phoneRaw);
  if (phone === undefined) return fail('invalid_phone');
  // Without an SMS provider (production with CAURI_SMS_PROVIDER unset), refuse rather than claim a code was sent.
  if (deps.config.mode !== 'sandbox' && deps.sms === undefined)
    return fail('internal_error', 'OTP delivery is not configured on this gateway');
  // Lock order, as in payWithWalletOtp: the wallet's balance row first, then the OTP row.
  const walletId = accountIds.wallet(phone);
  const walletFound = (await lockAccounts(tx, deps.db.dialect, [walletId])).has(walletId);
  const nowMs = deps.clock.nowMs();
  const previous = await lockOtpWindow(tx, deps.db.dialect, { projectId: project.id, phone });
  const windowOpen = previous !== undefined && nowMs - previous.windowStartedAtMs < HOUR_MS;
  const issued = windowOpen ? previous.issuedInWindow : 0;
  if (issued >= deps.config.otpIssuedPerHourMax)
    return fail('invalid_input', 'Too many OTPs requested for this number; try again later');
  // No customer account: 128 random bits that are never sent stand in for the code, so the
  // number's quota counts and every code presented for it is wrong, as for a real number.
  const code = walletFound ? generateOtpCode() : randomBytes(16).toString('hex');
  // A new code replaces the previous one (ADR 0004).
  await upsertOtp(tx, {
    projectId: project.id,
    phone,
    codeHash: hashOtp(project.id, phone, code),
    amountXof,
    expiresAtMs: nowMs + deps.config.otp.ttlMs,
    attempts: 0,
    issuedInWindow: issued + 1,
    windowStartedAtMs: windowOpen ? previous.windowStartedAtMs : nowMs,
    createdAtMs: nowMs,
  });
  // Nobody to send to: no SMS goes to a number without an account (ADR 0016).
  if (!walletFound) return ok({ phone, walletMissing: true });
  const body = otpSmsBody(code, amountXof, project.name, deps.config.otp.ttlMs);
  if (deps.sms === undefined) {
    // The sandbox's "SMS" lands in the inbox table (the CLI and `/sandbox/sms` read it), delivered at once.
    const deliveryId = await insertDelivery(tx, {
      projectId: project.id,
      phone,
      provider: SMS_PROVIDER_INBOX,
      state: 'delivered',
      nowMs,
    });
    await insertInboxSms(tx, { id: deliveryId, phone, body, createdAtMs: nowMs });
    return ok({ phone });
  }
  // A real provider is called after the commit; only the code's hash is stored (ADR 0014).
  const deliveryId = await insertDelivery(tx, {
    projectId: project.id,
    phone,
    provider: deps.sms.name,
    state: 'queued',
    nowMs,
  });
  return ok({ phone, outbound: { deliveryId, phone, body } });
}

/**
 * The OTP's text. With the merchant's name cut to 30 characters it stays within one GSM 7-bit SMS
 * (160 characters), which every SMSC delivers without `message_payload` (ADR 0014).
 */
export const OTP_SMS_MERCHANT_CHARS_MAX = 30;

function otpSmsBody(code: string, amountXof: Xof, merchantName: string, ttlMs: number): string {
  const minutes = Math.round(ttlMs / 60_000);
  return `LigdiCash: votre code de paiement est ${code} pour ${amountXof} FCFA chez ${merchantName.slice(0, OTP_SMS_MERCHANT_CHARS_MAX)}. Valable ${minutes} min. Ne le communiquez qu'au marchand.`;
}

export interface PayinRequest {
  amountXof: Xof;
  customer: string;
  otp: string;
  description: string;
  callbackUrl: string;
  customData: CustomData;
  externalId: string;
}

export async function payWithWalletOtp(
  deps: WithDb & WithClock & WithTokens & WithConfig<'otp'>,
  tx: Tx,
  project: Project,
  input: PayinRequest,
): Promise<Result<Payin>> {
  if (!project.payinEnabled) return fail('payin_disabled');
  if (!project.operatorIds.includes(WALLET_OPERATOR.id)) return fail('operator_not_enabled');
  if (!amountInRange(input.amountXof))
    return fail('amount_out_of_range', `amount must be between ${PAYIN_MIN_XOF} and ${PAYIN_MAX_XOF}`);
  const phone = normalizePhone(input.customer);
  if (phone === undefined) return fail('invalid_phone');
  if (input.otp.trim() === '') return fail('otp_missing');
  const walletId = accountIds.wallet(phone);
  const nowMs = deps.clock.nowMs();
  // Lock order, as in every command: balance rows first (by id), then the OTP row. issueWalletOtp
  // locks the wallet before replacing the OTP, so the two can never wait on each other in a cycle.
  // The project's wallet sub-account is created on its first payment only (spec §1.6), below.
  const subaccountId = accountIds.subaccount(project.id, WALLET_OPERATOR.id);
  const accounts = await lockAccounts(tx, deps.db.dialect, [walletId, subaccountId]);
  // Until a valid code is presented, a missing wallet and a short balance answer like any number
  // (ADR 0016): no code issued is Code15, and a missing wallet's stand-in code never matches.
  const stored = await lockOtp(tx, deps.db.dialect, { projectId: project.id, phone });
  if (!stored) return fail('otp_invalid', 'No OTP was issued for this number');
  const verdict = checkOtp(
    stored,
    hashOtp(project.id, phone, input.otp.trim()),
    input.amountXof,
    nowMs,
    deps.config.otp,
  );
  if (verdict === 'expired' || verdict === 'exhausted') {
    return fail(
      'otp_expired',
      verdict === 'expired' ? 'OTP expired; request a new one' : 'Too many wrong attempts; request a new OTP',
    );
  }
  if (verdict === 'wrong') {
    // The failed attempt is committed: the command returns a failure, it does not roll back.
    await countWrongOtp(tx, { projectId: project.id, phone }, stored.attempts);
    return fail('otp_invalid');
  }
  // Only a number with a wallet receives a code that can match, and wallets are never removed; kept
  // as the spec's "Wrong Wallet Credentials" (Code14, §2.5) should that ever change.
  const wallet = accounts.get(walletId);
  if (!wallet) return fail('wallet_not_found', 'Customer has no LigdiCash wallet');
  // Judged before the project's sub-account is created, so that a refusal leaves nothing behind.
  if (availableXof(wallet) < input.amountXof)
    return fail('insufficient_wallet_balance', 'Insufficient wallet balance');
  if (!accounts.has(subaccountId)) {
    await ensureAccount(
      tx,
      {
        id: subaccountId,
        kind: 'subaccount',
        projectId: project.id,
        operatorId: WALLET_OPERATOR.id,
        mustNotOverdraw: true,
      },
      nowMs,
    );
    for (const [id, account] of await lockAccounts(tx, deps.db.dialect, [subaccountId]))
      accounts.set(id, account);
  }
  const payinId = newId('pay');
  const posted = await postTransfers(
    tx,
    deps.db.dialect,
    [
      {
        kind: 'single',
        debitAccountId: walletId,
        creditAccountId: subaccountId,
        amountXof: input.amountXof,
        reason: 'wallet_payment',
        subjectId: payinId,
      },
    ],
    nowMs,
    accounts,
  );
  if (!posted.ok) return fail('insufficient_wallet_balance', 'Insufficient wallet balance');
  await deleteOtp(tx, { projectId: project.id, phone });
  const payin = newPayin(deps, project, {
    id: payinId,
    kind: 'wallet',
    status: 'completed',
    customer: phone,
    operatorId: WALLET_OPERATOR.id,
    input,
    nowMs,
  });
  await insertPayinPrepared(tx, payin, requestStamp(tx));
  await enqueueEvent(
    tx,
    { projectId: project.id, type: 'payin.completed', subjectType: 'payin', subjectId: payinId },
    nowMs,
  );
  return ok(payin);
}
