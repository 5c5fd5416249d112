/**
 * The one closed list of expected failures (STYLE.md, "Errors"). Domain functions return one of
 * these; `subCodeFor` turns each into the LigdiCash sub-code of the endpoint family that answers,
 * exhaustively, so adding a code without deciding its wire form does not compile.
 */
export type ResultCode =
  | 'auth_failed'
  | 'payin_disabled'
  | 'payout_disabled'
  | 'ip_denied'
  | 'amount_out_of_range'
  | 'invalid_input'
  | 'invalid_phone'
  | 'wallet_not_found'
  | 'insufficient_wallet_balance'
  | 'operator_not_identified'
  | 'operator_not_enabled'
  /** Production: no connector serves the operator on this gateway (ADR 0009). */
  | 'operator_unavailable'
  | 'subaccount_missing'
  | 'subaccount_insufficient'
  | 'duplicate_transaction'
  | 'otp_missing'
  | 'otp_invalid'
  | 'otp_expired'
  | 'not_found'
  | 'method_not_allowed'
  | 'idempotency_conflict'
  /** Refunds (ADR 0024): the payin is not completed, so nothing was paid that could go back. */
  | 'payin_not_completed'
  /** Refunds: the payin's refunds that have not failed already return all it paid. */
  | 'payin_fully_refunded'
  /** Refunds: the amount asked is more than what is left to refund of the payin. */
  | 'refund_exceeds_payin'
  /** Refunds: neither the operator's refund nor a payout to the payer is available on this gateway. */
  | 'refund_unsupported'
  | 'internal_error';

/** Wiki names, one per endpoint family (spec §2.9). */
export type Wiki = 'createInvoice' | 'confirmInvoice' | 'createWithdrawal' | 'createStraightWithdrawal';

export const WIKI_BASE_URL = 'https://client.ligdicash.com/wiki/';

export interface SubCode {
  /** The digits of `Echec (CodeXX)`. */
  readonly code: string;
  /** English text, as the wiki and the SDKs word it (spec §8.8: errors are in English). */
  readonly description: string;
}

const sub = (code: string, description: string): SubCode => ({ code, description });

/** createInvoice (E1, E2, E5), spec §4.1; see ADR 0004 for the choices the spec leaves open. */
const CREATE_INVOICE: Record<ResultCode, SubCode> = {
  auth_failed: sub('00', 'Authentification failure'),
  payin_disabled: sub('01', 'Merchant Payin not activated'),
  payout_disabled: sub('13', 'Unauthorized method'),
  amount_out_of_range: sub('02', 'Wrong amount'),
  ip_denied: sub('03', 'IP Denied'),
  internal_error: sub('04', 'An error occurred while processing request'),
  insufficient_wallet_balance: sub('05', 'Insufficient wallet balance'),
  operator_not_identified: sub('07', 'No network access configured for this number'),
  operator_not_enabled: sub('07', 'No network access configured'),
  operator_unavailable: sub('07', 'No network access configured: operator unavailable on this gateway'),
  subaccount_missing: sub('07', 'No network access configured'),
  subaccount_insufficient: sub('05', 'An error occurred while sending request'),
  invalid_input: sub('08', 'Data Input error'),
  invalid_phone: sub('08', 'Data Input error: invalid phone number'),
  otp_missing: sub('08', 'You must specify password or otp'),
  duplicate_transaction: sub('08', 'Data Input error: duplicate transaction'),
  idempotency_conflict: sub('08', 'Data Input error: Idempotency-Key reused with a different request'),
  not_found: sub('08', 'Data Input error: not found'),
  payin_not_completed: sub('08', 'Data Input error: payin not completed'),
  payin_fully_refunded: sub('08', 'Data Input error: payin already fully refunded'),
  refund_exceeds_payin: sub('02', 'Wrong amount: more than is left to refund'),
  refund_unsupported: sub('07', 'No network access configured: refunds unavailable for this operator'),
  method_not_allowed: sub('12', 'Invalid method'),
  wallet_not_found: sub('14', 'Wrong Wallet Credentials'),
  otp_invalid: sub('15', 'Wrong OTP'),
  otp_expired: sub('16', 'Expired OTP'),
};

/** confirmInvoice (E3, and the payout confirms E8/E9 which the SDKs parse with the same table), spec §4.4. */
const CONFIRM_INVOICE: Record<ResultCode, SubCode> = {
  auth_failed: sub('00', 'Authentification failure'),
  payin_disabled: sub('01', 'Merchant Payin feature is not activated'),
  payout_disabled: sub('01', 'Merchant Payout not activated'),
  not_found: sub('02', 'Invoice not found'),
  internal_error: sub('03', 'An error occurred while processing request'),
  invalid_input: sub('04', 'Data Input error'),
  invalid_phone: sub('04', 'Data Input error'),
  amount_out_of_range: sub('04', 'Data Input error'),
  ip_denied: sub('04', 'IP Denied'),
  wallet_not_found: sub('04', 'Data Input error'),
  insufficient_wallet_balance: sub('04', 'Data Input error'),
  operator_not_identified: sub('04', 'Data Input error'),
  operator_not_enabled: sub('04', 'Data Input error'),
  operator_unavailable: sub('04', 'Data Input error'),
  subaccount_missing: sub('04', 'Data Input error'),
  subaccount_insufficient: sub('04', 'Data Input error'),
  duplicate_transaction: sub('04', 'Data Input error'),
  otp_missing: sub('04', 'Data Input error'),
  otp_invalid: sub('04', 'Data Input error'),
  otp_expired: sub('04', 'Data Input error'),
  idempotency_conflict: sub('04', 'Data Input error'),
  method_not_allowed: sub('04', 'Invalid method'),
  // Cauri's refunds answer in this family (ADR 0024); their codes follow the table's last one.
  payin_not_completed: sub('05', 'Payin not completed'),
  payin_fully_refunded: sub('06', 'Payin already fully refunded'),
  refund_exceeds_payin: sub('07', 'Refund amount exceeds what is left to refund'),
  refund_unsupported: sub('08', 'Refunds unavailable for this operator'),
};

/** createWithdrawal (E6), spec §4.2: the four SDKs agree on this table. */
const CREATE_WITHDRAWAL: Record<ResultCode, SubCode> = {
  auth_failed: sub('00', 'api_key or auth_token is invalid'),
  payout_disabled: sub('01', 'Payout is disabled for this Merchant'),
  payin_disabled: sub('01', 'Payout is disabled for this Merchant'),
  wallet_not_found: sub('02', 'This customer is not registered on the platform'),
  operator_not_identified: sub('03', 'No merchant account on the specified network'),
  operator_not_enabled: sub('03', 'No merchant account on the specified network'),
  operator_unavailable: sub(
    '03',
    'No merchant account on the specified network: operator unavailable on this gateway',
  ),
  subaccount_missing: sub('03', 'No merchant account on the specified network'),
  subaccount_insufficient: sub('04', 'Merchant balance low'),
  insufficient_wallet_balance: sub('04', 'Merchant balance low'),
  amount_out_of_range: sub('05', 'Request amount is out of range [20;1000000]'),
  ip_denied: sub('06', 'IP denied'),
  duplicate_transaction: sub('07', 'Transaction already exists'),
  internal_error: sub('08', 'An error occurred while processing'),
  invalid_input: sub('09', 'Data Input error'),
  invalid_phone: sub('09', 'Data Input error: invalid phone number'),
  otp_missing: sub('09', 'Data Input error'),
  otp_invalid: sub('09', 'Data Input error'),
  otp_expired: sub('09', 'Data Input error'),
  idempotency_conflict: sub('09', 'Data Input error: Idempotency-Key reused with a different request'),
  not_found: sub('09', 'Data Input error: not found'),
  payin_not_completed: sub('09', 'Data Input error: payin not completed'),
  payin_fully_refunded: sub('09', 'Data Input error: payin already fully refunded'),
  refund_exceeds_payin: sub('05', 'Request amount is out of range: more than is left to refund'),
  refund_unsupported: sub('03', 'No merchant account on the specified network: refunds unavailable'),
  method_not_allowed: sub('10', 'Api error: invalid method'),
};

/** createStraightWithdrawal (E7), spec §4.3, following the Python/JS/PHP table (ADR 0004). */
const CREATE_STRAIGHT_WITHDRAWAL: Record<ResultCode, SubCode> = {
  auth_failed: sub('00', 'api_key or auth_token is invalid'),
  payout_disabled: sub('01', 'Unable to authenticate your application'),
  payin_disabled: sub('01', 'Unable to authenticate your application'),
  amount_out_of_range: sub('02', 'Request amount is out of range [20;1000000]'),
  subaccount_missing: sub('03', 'No merchant account on the specified network'),
  operator_not_enabled: sub('03', 'No merchant account on the specified network'),
  operator_unavailable: sub(
    '03',
    'No merchant account on the specified network: operator unavailable on this gateway',
  ),
  operator_not_identified: sub('05', 'Recipient operator not identified'),
  invalid_phone: sub('05', 'Recipient operator not identified'),
  subaccount_insufficient: sub('08', 'Merchant balance low'),
  insufficient_wallet_balance: sub('08', 'Merchant balance low'),
  internal_error: sub('09', 'An error occurred while processing'),
  invalid_input: sub('10', 'Api error: data input'),
  wallet_not_found: sub('10', 'Api error'),
  duplicate_transaction: sub('10', 'Api error: transaction already exists'),
  otp_missing: sub('10', 'Api error'),
  otp_invalid: sub('10', 'Api error'),
  otp_expired: sub('10', 'Api error'),
  idempotency_conflict: sub('10', 'Api error: Idempotency-Key reused with a different request'),
  not_found: sub('10', 'Api error: not found'),
  method_not_allowed: sub('10', 'Api error: invalid method'),
  payin_not_completed: sub('10', 'Api error: payin not completed'),
  payin_fully_refunded: sub('10', 'Api error: payin already fully refunded'),
  refund_exceeds_payin: sub('02', 'Request amount is out of range: more than is left to refund'),
  refund_unsupported: sub('03', 'No merchant account on the specified network: refunds unavailable'),
  ip_denied: sub('14', 'IP denied'),
};

const TABLES: Record<Wiki, Record<ResultCode, SubCode>> = {
  createInvoice: CREATE_INVOICE,
  confirmInvoice: CONFIRM_INVOICE,
  createWithdrawal: CREATE_WITHDRAWAL,
  createStraightWithdrawal: CREATE_STRAIGHT_WITHDRAWAL,
};

/** Every code, for reading one back from where it was stored (a bulk payout item's result). */
export const RESULT_CODES: readonly ResultCode[] = Object.keys(CREATE_INVOICE) as ResultCode[];

export function subCodeFor(wiki: Wiki, code: ResultCode): SubCode {
  return TABLES[wiki][code];
}

export function wikiUrl(wiki: Wiki): string {
  return WIKI_BASE_URL + wiki;
}

/** Every sub-code of a family, for the static wiki page (spec §2.9). */
export function subCodeTable(wiki: Wiki): SubCode[] {
  const seen = new Map<string, SubCode>();
  for (const entry of Object.values(TABLES[wiki])) if (!seen.has(entry.code)) seen.set(entry.code, entry);
  return [...seen.values()].sort((a, b) => a.code.localeCompare(b.code));
}

/** A domain result: a value or one code from the closed list, with an optional detail for `description`. */
export type Result<T> = { ok: true; value: T } | { ok: false; code: ResultCode; detail?: string };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(code: ResultCode, detail?: string): Result<T> =>
  detail === undefined ? { ok: false, code } : { ok: false, code, detail };
