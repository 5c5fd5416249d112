import type { ErrorFamily } from './codes.js';

/** A value or a typed error; business failures are values, never exceptions. */
export type Result<T, E = CauriError> = { ok: true; value: T } | { ok: false; error: E };

/** A LigdiCash business error: HTTP 200 with `response_code` other than "00". */
export interface BusinessError {
  kind: 'business';
  /** The sub-code from `response_text` (e.g. "02", "03a"), or null when the text has none. */
  code: string | null;
  family: ErrorFamily;
  /** What the code means in this family, from the client's table. */
  meaning: string;
  description: string;
  responseText: string;
  /** `response_code` as sent ("01" in practice). */
  responseCode: string;
  wiki: string;
}

export type TransportErrorReason = 'network' | 'timeout' | 'http_status' | 'invalid_response';

/** The request did not produce a LigdiCash answer: network failure, timeout, non-200, or a body that is not one. */
export interface TransportError {
  kind: 'transport';
  reason: TransportErrorReason;
  message: string;
  /** The HTTP status, when there was a response. */
  status?: number;
  /** The start of the body, when there was one (at most 500 characters). */
  bodyExcerpt?: string;
  cause?: unknown;
}

export type CauriError = BusinessError | TransportError;

/** Statuses on the wire: Cauri and the current docs say `notcompleted`, the SDK types and old samples `nocompleted`. */
export type WireStatus = 'pending' | 'completed' | 'notcompleted' | 'nocompleted';

/** A `custom_data` row of confirm answers and callbacks. */
export interface CustomDataRow {
  keyof_customdata: string;
  valueof_customdata: string;
  datecreation_customdata?: string;
  id_invoice?: string;
}

/** GET /pay/v02/debitotp answer: not the envelope. */
export interface OtpSent {
  error: false;
  message: string;
}

/** The answer of the four create POSTs and of debitwallet/withotp. */
export interface CreateResponse {
  response_code: '00';
  token: string;
  /** The payment page URL for a hosted invoice; a message such as "Votre requête est en cours de traitement" otherwise. */
  response_text: string;
  description: string;
  /** Cauri echoes the merchant's custom data plus `logfile`; LigdiCash sometimes answers `[]` or `""`. */
  custom_data?: Record<string, string> | unknown[] | string | null;
  wiki: string;
}

/** The confirm answer of the three confirm endpoints: 16 keys, amounts as digit strings. */
export interface ConfirmResponse {
  response_code: '00';
  /** Empty for payins; the payout token for payouts. */
  token: string;
  response_text: string;
  description: string;
  /** Rows, not an object (null or `[]` when there is none). */
  custom_data: CustomDataRow[] | null;
  wiki: string;
  status: WireStatus;
  /** A string here ("11"), empty while a payin is pending; a number in payout callbacks. */
  operator_id: string;
  operator_name: string;
  /** Null while a payin is pending. */
  customer: string | null;
  /** Digits, e.g. "1500". */
  montant: string;
  /** Digits, e.g. "1500". */
  amount: string;
  date: string;
  external_id: string;
  request_id: string;
  transaction_id: string;
}

export interface InvoiceItem {
  name: string;
  description?: string;
  quantity: number;
  unitPrice: number;
}

/** What a payin needs, for every payin endpoint. */
export interface PayinInput {
  /** Defaults to the sum of the items' `quantity * unitPrice`. */
  totalAmount?: number;
  items?: InvoiceItem[];
  /** Defaults to "XOF". */
  currency?: string;
  description: string;
  customerFirstname?: string;
  customerLastname?: string;
  customerEmail?: string;
  externalId?: string;
  store: { name: string; websiteUrl?: string };
  callbackUrl?: string;
  customData?: Record<string, string>;
}

export interface HostedInvoiceInput extends PayinInput {
  cancelUrl?: string;
  returnUrl?: string;
  /** The payer's number, to restrict the page to its operator; usually left empty. */
  customer?: string;
}

export interface DirectPayinInput extends PayinInput {
  /** The payer's number, e.g. "22670123456"; the operator is inferred from it. */
  customer: string;
  /** The USSD code for USSD-OTP operators; empty for push and redirect operators. */
  otp?: string;
}

export interface WalletPayinInput extends PayinInput {
  customer: string;
  /** The code the customer received after `sendWalletOtp`. */
  otp: string;
}

export interface PayoutInput {
  amount: number;
  description: string;
  /** The recipient's number. */
  customer: string;
  callbackUrl?: string;
  customData?: Record<string, string>;
}

export interface CustomerPayoutInput extends PayoutInput {
  /** true: credit the customer's LigdiCash wallet; false: send on to mobile money. Sent as `top_up_wallet: 1|0`. */
  topUpWallet: boolean;
}

export interface CreateOptions {
  /** Sent as the `Idempotency-Key` header: the same key and body replay the first answer. */
  idempotencyKey?: string;
}

export type PayoutKind = 'customer' | 'merchant';
